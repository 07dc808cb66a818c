"""The live projections' WAL is copied back into their file by a thread of its own, never by
a commit on the event loop: seen by reading the file alone (`immutable=1` ignores the WAL)."""
import time
from pathlib import Path

from projections.checkpoints import Checkpoints
from projections.db import open_projections
from tests.sqlitefiles import rows_in_file, wal_restarts


def in_file(path) -> int:
    return rows_in_file(path, "t")


def write(db, rows: int) -> None:
    for i in range(rows):
        with db.atomic():
            db.execute("INSERT INTO t (n) VALUES (?)", (i,))


def test_without_autocheckpoint_commits_leave_everything_in_the_wal(tmp_path):
    path = tmp_path / "p.db"
    db = open_projections(path, autocheckpoint=False)
    db.execute("CREATE TABLE t (n INTEGER)")
    write(db, 3000)  # ~3,000 WAL pages: past SQLite's own threshold of 1,000
    assert in_file(path) == 0
    db.close()  # the last connection checkpoints what is left
    assert in_file(path) == 3000


def test_the_thread_checkpoints_once_enough_events_were_applied(tmp_path):
    path = tmp_path / "p.db"
    db = open_projections(path, autocheckpoint=False)
    db.execute("CREATE TABLE t (n INTEGER)")
    checkpoints = Checkpoints(path, every=100)
    try:
        write(db, 50)
        checkpoints.applied(50)
        time.sleep(0.3)
        assert in_file(path) == 0  # not yet due
        write(db, 50)
        checkpoints.applied(50)
        deadline = time.monotonic() + 10
        while in_file(path) < 100 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert in_file(path) == 100
    finally:
        checkpoints.close()
        db.close()
    assert not checkpoints._thread.is_alive()


def test_the_wal_starts_over_under_commits_that_never_pause(tmp_path):
    """The thread's pass alone never caught up with them: what they committed during its copy
    kept SQLite from starting the WAL over, and it grew by a page or more per commit."""
    path, commits, every = tmp_path / "p.db", 4000, 100
    db = open_projections(path, autocheckpoint=False)
    db.execute("CREATE TABLE t (n INTEGER)")
    checkpoints = Checkpoints(path, every=every)
    wal, largest = Path(f"{path}-wal"), 0
    try:
        for i in range(commits):
            with db.atomic():
                db.execute("INSERT INTO t (n) VALUES (?)", (i,))
            checkpoints.applied(1)
            largest = max(largest, wal.stat().st_size)
        checkpoints.close()  # its thread is done: the file alone can be read
        assert in_file(path) > commits - 3 * every  # copied as it went
        restarts = wal_restarts(path)  # while a connection keeps the WAL
    finally:
        checkpoints.close()
        db.close()
    assert restarts >= 3  # started over, again and again
    assert largest < commits * 4096 / 2  # never the page or more per commit it grew by
