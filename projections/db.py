"""The data directory: the projections file (one SQLite database per node, separate from
the log) and the lock that lets one server, or one rebuild, use it at a time."""
import fcntl
import os
import sqlite3
import stat
from pathlib import Path
from typing import IO

from sqlite_utils import Database

from domain.recorder import WAL_LIMIT


def open_projections(path: Path | str, *, handed_over: bool = False,
                     autocheckpoint: bool = True) -> Database:
    """WAL lets the API read while the projector writes. synchronous=NORMAL is safe here: the
    tracking row commits with the rows, and a lost tail is re-applied from the log.

    A connection stays on the thread that opened it (sqlite3 raises otherwise), so a read
    from a worker thread fails loudly instead of sharing the loop's connection; one opened
    `handed_over` may move (tests and tools that open it on one thread and project on
    another). Without `autocheckpoint`, its commits never copy the WAL back into the file:
    the live projector's connection, whose `Checkpoints` thread does that instead."""
    conn = sqlite3.connect(str(path), check_same_thread=not handed_over)
    conn.row_factory = sqlite3.Row
    db = Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    if not autocheckpoint:
        db.execute("PRAGMA wal_autocheckpoint=0")
        db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
    return db


PROJECTIONS_FILE = "projections.db"
SOURCE_FILE = "projections.source"  # which log they were built from
LOCK_FILE = "botbus.lock"


def discard_if_foreign(data: Path, identity: str) -> bool:
    """A node's projections are a disposable cache of one log: built from another (a new
    database, a log moved), they are thrown away and rebuilt. Returns whether they were."""
    source = data / SOURCE_FILE
    known = source.read_text() if source.exists() else None
    if known == identity:
        return False
    discarded = (data / PROJECTIONS_FILE).exists()
    for suffix in ("", "-wal", "-shm"):
        (data / f"{PROJECTIONS_FILE}{suffix}").unlink(missing_ok=True)
    source.write_text(identity)
    return discarded


class DataDirInUse(Exception):
    pass


def lock_data_dir(data: Path) -> IO:
    """Held by a running server; `replay rebuild` takes it too, so it never rebuilds under one.
    Taking it makes the directory private first (`secure`)."""
    secure(data)
    handle = open(data / LOCK_FILE, "w")  # noqa: SIM115 - held until closed
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DataDirInUse(f"another botbus process is using {data}") from None
    return handle


def secure(data: Path) -> None:
    """The log and the projections hold every message, and secrets.json the JWT key: only
    the owner may read them. The directory becomes 0700 and the files already in it 0600 (so
    an existing deployment is fixed on its next start), and the umask 077, so files created
    later, SQLite's -wal and -shm included, are 0600 from their first byte."""
    os.umask(0o077)
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(data, 0o700)
    for path in data.iterdir():
        if path.is_file() and not path.is_symlink():  # a link's target is not ours to change
            _tighten(path, 0o600)


def _tighten(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) != mode:  # chmod only what needs it
        path.chmod(mode)
