"""Server secrets: generated on first start, stored in the data directory, printed once.

Only the admin key's hash is kept; ADMIN_SECRET_KEY / JWT_SECRET_KEY in the environment win.
The bot key secret is what Botyard bot keys are derived from (domain/botyard.py), so the log
keeps only their hashes; a data directory from before it gets one on its next start.
"""
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from domain.tokens import hash_token

FILE = "secrets.json"
Shared = Callable[[dict], dict]


@dataclass(frozen=True)
class Secrets:
    admin_key_hash: str
    jwt_key: str
    bot_key_secret: bytes = b""


def load_or_create(data_dir: Path, shared: Shared | None = None
                   ) -> tuple[Secrets, str | None]:
    """Returns the secrets and, on the first start only, the new admin key to print. Nodes
    of one shared log keep theirs in it (`shared`: keeps what it is given unless another
    node's are already there, and returns those kept), not in their data directories."""
    path, new_key, stored = data_dir / FILE, None, None
    if path.exists():
        stored = json.loads(path.read_text())
        if "bot_key_secret" not in stored:  # from before bot keys were derived
            stored["bot_key_secret"] = secrets.token_urlsafe(48)
            _write(path, stored)
    if shared is not None:  # a log moved from one node keeps that node's secrets
        stored = shared(stored or _new())
        new_key = stored.pop("new_admin_key", None)
    elif stored is None:
        stored = _new()
        new_key = stored.pop("new_admin_key")
        _write(path, stored)
    env_admin, env_jwt = os.environ.get("ADMIN_SECRET_KEY"), os.environ.get("JWT_SECRET_KEY")
    return Secrets(
        admin_key_hash=hash_token(env_admin) if env_admin else stored["admin_key_sha256"],
        jwt_key=env_jwt or stored["jwt_key"],
        bot_key_secret=stored["bot_key_secret"].encode(),
    ), (None if env_admin else new_key)


def _new() -> dict:
    """A new set; the admin key itself travels only to be printed once, never stored."""
    key = secrets.token_urlsafe(32)
    return {"admin_key_sha256": hash_token(key), "jwt_key": secrets.token_urlsafe(48),
            "bot_key_secret": secrets.token_urlsafe(48), "new_admin_key": key}


def _write(path: Path, stored: dict) -> None:
    """Only its owner may read it; a crash leaves the old file or the new one, whole."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(stored, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
