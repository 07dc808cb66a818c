"""Server secrets: generated on first start, stored in the data directory, printed once.

Only the admin key's hash is kept; ADMIN_SECRET_KEY / JWT_SECRET_KEY in the environment win.
The bot key secret is what Botyard bot keys are derived from (domain/botyard.py), so the log
keeps only their hashes; a data directory from before it gets one on its next start.
"""
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from domain.tokens import hash_token

FILE = "secrets.json"


@dataclass(frozen=True)
class Secrets:
    admin_key_hash: str
    jwt_key: str
    bot_key_secret: bytes = b""


def load_or_create(data_dir: Path) -> tuple[Secrets, str | None]:
    """Returns the secrets and, on the first start only, the new admin key to print."""
    path, new_key = data_dir / FILE, None
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        new_key = secrets.token_urlsafe(32)
        stored = {"admin_key_sha256": hash_token(new_key), "jwt_key": secrets.token_urlsafe(48)}
    if "bot_key_secret" not in stored:
        stored["bot_key_secret"] = secrets.token_urlsafe(48)
        _write(path, stored)
    env_admin, env_jwt = os.environ.get("ADMIN_SECRET_KEY"), os.environ.get("JWT_SECRET_KEY")
    return Secrets(
        admin_key_hash=hash_token(env_admin) if env_admin else stored["admin_key_sha256"],
        jwt_key=env_jwt or stored["jwt_key"],
        bot_key_secret=stored["bot_key_secret"].encode(),
    ), (None if env_admin else new_key)


def _write(path: Path, stored: dict) -> None:
    """Only its owner may read it; a crash leaves the old file or the new one, whole."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(stored, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
