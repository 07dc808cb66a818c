"""Configuration: CLI flags win over BOTBUS_* environment variables, which win over defaults."""
import os
from dataclasses import dataclass, field
from pathlib import Path

from api.retention import RETENTION
from domain.webhooks import GONE_AFTER


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("BOTBUS_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: _env_int("BOTBUS_PORT", 7700))
    data: Path = field(default_factory=lambda: Path(os.environ.get("BOTBUS_DATA", "./data")))
    log_url: str = field(  # the log in PostgreSQL, shared by nodes; empty: SQLite in `data`
        default_factory=lambda: os.environ.get("BOTBUS_LOG_URL", ""))
    max_body_bytes: int = field(
        default_factory=lambda: _env_int("BOTBUS_MAX_BODY_BYTES", 1 << 20))
    max_upload_bytes: int = field(  # a multipart body (files): telegram.md decision 8
        default_factory=lambda: _env_int("BOTBUS_MAX_UPLOAD_BYTES", 2 << 30))
    telegram_rate_limit: int = field(  # sending calls per second per bot; 0: no limit
        default_factory=lambda: _env_int("BOTBUS_TELEGRAM_RATE_LIMIT", 0))
    telegram_chat_rate_limit: int = field(  # per second per chat of a bot; 0: no limit
        default_factory=lambda: _env_int("BOTBUS_TELEGRAM_CHAT_RATE_LIMIT", 0))
    login_failures: int = field(  # MaxChat failed logins per username per window (ten times
        default_factory=lambda: _env_int("BOTBUS_LOGIN_FAILURES", 10))  # per address); 0: off
    login_window: float = field(  # seconds those failures count for
        default_factory=lambda: float(os.environ.get("BOTBUS_LOGIN_WINDOW") or 300))
    update_retention: float = field(  # seconds a bot's update waits before it is dropped
        default_factory=lambda: float(os.environ.get("BOTBUS_UPDATE_RETENTION") or RETENTION))
    webhook_gone_after: float = field(  # a Telegram webhook answering only 410 this long goes
        default_factory=lambda: float(os.environ.get("BOTBUS_WEBHOOK_GONE_AFTER") or GONE_AFTER))
    client_timeout: float = field(  # seconds a client may stall a request or leave us unread
        default_factory=lambda: float(os.environ.get("BOTBUS_CLIENT_TIMEOUT") or 60))
    max_header_bytes: int = field(  # a request's line and headers (api/connections.py)
        default_factory=lambda: _env_int("BOTBUS_MAX_HEADER_BYTES", 1 << 16))
    signups_per_hour: int = field(  # anonymous accounts per client address (api/signups.py)
        default_factory=lambda: _env_int("BOTBUS_SIGNUPS_PER_HOUR", 60))
    sockets_per_account: int = field(  # live sockets per account, /v1/ws and /gateway each
        default_factory=lambda: _env_int("BOTBUS_SOCKETS_PER_ACCOUNT", 100))
    ack_timeout: float = field(
        default_factory=lambda: float(os.environ.get("BOTBUS_ACK_TIMEOUT") or 30))
    files: Path | None = field(  # the file store's folder; unset: <data>/files
        default_factory=lambda: Path(os.environ["BOTBUS_FILES"]) if os.environ.get(
            "BOTBUS_FILES") else None)
    stall_warning: float = field(  # seconds the event loop may stand before a warning; 0: off
        default_factory=lambda: float(os.environ.get("BOTBUS_STALL_WARNING") or 5))
    forwarded_allow_ips: str = field(  # behind a proxy: whose X-Forwarded-* headers to trust
        default_factory=lambda: os.environ.get("BOTBUS_FORWARDED_ALLOW_IPS", ""))
    log_level: str = field(default_factory=lambda: os.environ.get("BOTBUS_LOG_LEVEL", "warning"))
