"""Botyard's config file, read as Botyard reads it (`config/botyard.config.json` under the working
directory, 0 or missing limits at their defaults) but never half-applied: a missing file means the
defaults, a malformed one raises ConfigError so the admin hears why and the old config stays."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PATH = Path("config/botyard.config.json")  # relative to the working directory, as in Botyard
ENV = "BOTBUS_BOTYARD_CONFIG"
DEFAULT_SERVICE: dict[str, Any] = {"name": "Botbus", "description": "", "socials": []}

LIMITS = (  # (section, key in the file, field, default): Botyard's own names and defaults
    ("user", "minNicknameLength", "min_nickname", 3),
    ("user", "maxNicknameLength", "max_nickname", 32),
    ("user", "authTokenLifetime", "token_lifetime_minutes", 10080),  # 7 days
    ("message", "maxBodyLength", "max_body_length", 4096),  # bytes, as Go's len()
    ("message", "maxAttachedFiles", "max_attached_files", 10),
    ("file", "maxImageSize", "max_image_size", 2097152),  # 2 MiB
    ("file", "maxAudioSize", "max_audio_size", 5242880),  # 5 MiB
    ("file", "maxVideoSize", "max_video_size", 26214400),  # 25 MiB
    ("file", "maxFileSize", "max_file_size", 10485760),  # 10 MiB
)

JSON_KINDS = {dict: "an object", list: "an array", str: "a string", int: "a number",
              float: "a number", bool: "a boolean", type(None): "null"}


@dataclass(frozen=True)
class BotyardConfig:
    """What the Botyard dialect reads on every request; `service` is served as-is by service-info,
    always with `name`, `description` and `socials`, which the web client reads unguarded."""

    service: dict[str, Any]
    min_nickname: int
    max_nickname: int
    token_lifetime_minutes: int
    max_body_length: int
    max_attached_files: int
    max_image_size: int
    max_audio_size: int
    max_video_size: int
    max_file_size: int


def load(path: Path | None = None) -> BotyardConfig:
    """The defaults for a missing file (decision 12); ConfigError for one that cannot be used.
    `BOTBUS_BOTYARD_CONFIG` names another file than Botyard's own place."""
    path = path or Path(os.environ.get(ENV, PATH))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _config(path, {}, {})
    except OSError as error:
        raise ConfigError(f"{path} cannot be read: {error.strerror}.") from None
    try:
        document = json.loads(raw)
    except ValueError as error:  # JSONDecodeError, or bytes that are not UTF-8/16/32
        raise ConfigError(f"{path} is not valid JSON: {error}.") from None
    _expect(path, "the top level", document, dict)
    service = _section(path, document, "service")
    limits = _section(path, document, "limits")
    return _config(path, service, limits)


def _config(path: Path, service: dict[str, Any], limits: dict[str, Any]) -> BotyardConfig:
    given = {key: value for key, value in service.items() if value is not None}  # null = absent
    merged = {**DEFAULT_SERVICE, "socials": [], **given}
    for key, kind in (("name", str), ("description", str), ("socials", list)):
        _expect(path, f"service.{key}", merged[key], kind)
    for index, social in enumerate(merged["socials"]):
        _expect(path, f"service.socials[{index}]", social, dict)
    sections = {name: _section(path, limits, name, "limits.")
                for name in ("user", "message", "file")}
    values = {field: _positive(sections[section].get(key), default)
              for section, key, field, default in LIMITS}
    return BotyardConfig(service=merged, **values)


def _section(path: Path, parent: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
    value = parent.get(key, {})
    _expect(path, prefix + key, value, dict)
    return dict(value)


def _expect(path: Path, where: str, value: object, kind: type) -> None:
    if not isinstance(value, kind):
        wanted, got = JSON_KINDS[kind], JSON_KINDS.get(type(value), type(value).__name__)
        raise ConfigError(f"{path}: {where} must be {wanted}, not {got}.")


def _positive(value: object, default: int) -> int:
    """Botyard keeps a 0 or missing limit at its default; a negative or non-integer one too."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


class ConfigError(Exception):
    """The file exists but cannot be used; the message names the file and the problem."""
