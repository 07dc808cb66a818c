"""Where the log lives: the embedded SQLite file in the data directory (the default), or a
PostgreSQL database named by URL (`--log` / BOTBUS_LOG_URL) that several nodes share. Either
way it is eventsourcing's own persistence module, set up through its own settings."""
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from domain.recorder import TOPIC as GROUP_RECORDER

SCHEMES = ("postgresql", "postgres")
_QUERY = {"host": "POSTGRES_HOST", "port": "POSTGRES_PORT", "user": "POSTGRES_USER",
          "password": "POSTGRES_PASSWORD", "schema": "POSTGRES_SCHEMA",
          "connect_timeout": "POSTGRES_CONNECT_TIMEOUT", "pool_size": "POSTGRES_POOL_SIZE",
          "lock_timeout": "POSTGRES_LOCK_TIMEOUT"}


class LogUrlError(ValueError):
    pass


def is_shared(url: str | None) -> bool:
    """Whether the log may have other writers (nodes) than this process."""
    return bool(url) or os.environ.get("PERSISTENCE_MODULE") == "eventsourcing.postgres"


def log_env(data_dir: Path, url: str | None = None) -> dict[str, str]:
    """The library's settings for the log. Without a URL: SQLite under the data directory,
    unless the environment already names a module (PERSISTENCE_MODULE, POSTGRES_*)."""
    if url:
        return postgres_env(url)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
           "SQLITE_DBNAME": str(Path(data_dir) / "events.db"), "SQLITE_LOCK_TIMEOUT": "10"}
    env = {k: v for k, v in env.items() if k not in os.environ}
    if os.environ.get("PERSISTENCE_MODULE", env.get("PERSISTENCE_MODULE")) \
            == "eventsourcing.sqlite":
        env.setdefault("APPLICATION_RECORDER_TOPIC", GROUP_RECORDER)
    return env


def postgres_env(url: str) -> dict[str, str]:
    """`postgresql://user:password@host:port/dbname?schema=...`; a socket directory as
    `?host=/var/run/postgresql`. LogUrlError says what is wrong, never echoing a password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # its text may hold the password (`user:password/db`, no host)
        raise LogUrlError("not a PostgreSQL URL: postgresql://user:password@host:port/dbname"
                          ) from None
    if parts.scheme not in SCHEMES:
        raise LogUrlError(f"the log URL must start with postgresql://, not {parts.scheme!r}://"
                          if parts.scheme else "the log URL must start with postgresql://")
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise LogUrlError("the log URL names no database: postgresql://host/DBNAME")
    env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": dbname,
           "POSTGRES_HOST": unquote(parts.hostname or "") or "localhost",
           "POSTGRES_PORT": str(port or 5432), "POSTGRES_USER": unquote(parts.username or ""),
           "POSTGRES_PASSWORD": unquote(parts.password or "")}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in _QUERY:
            raise LogUrlError(f"unknown log URL parameter {name!r}; known: {', '.join(_QUERY)}")
        env[_QUERY[name]] = value
    if not env["POSTGRES_USER"]:
        env["POSTGRES_USER"] = os.environ.get("PGUSER") or os.environ.get("USER") or "postgres"
    return env


def log_identity(env: Any) -> str:
    """Which log a node's projections were built from (never its password)."""
    get = env.get
    if get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        return f"sqlite:{get('SQLITE_DBNAME', '')}"
    return (f"postgresql://{get('POSTGRES_HOST', '')}:{get('POSTGRES_PORT', '')}"
            f"/{get('POSTGRES_DBNAME', '')}?schema={get('POSTGRES_SCHEMA', '')}")


def shown(url: str) -> str:
    """The URL for a log line: its password masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
