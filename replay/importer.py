"""`replay import`: a whole exported log into an empty one, or nothing at all.

Every line is checked (`replay.checks`) and appended to a scratch SQLite log beside the
target's, and the projections are built from that log into a scratch file, so a bad line,
or an event no read model can apply, is found before the target is touched. Only then is
the import committed: for the SQLite default by renaming the scratch log over events.db (a
rename is atomic), then the projections over projections.db; for another store
(PostgreSQL) by one `insert_events` call, one transaction, then a rebuild. A refused
import leaves the target log empty, as it found it.
"""
import sqlite3
from array import array
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path

from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent

from domain.application import Botbus
from projections.db import PROJECTIONS_FILE, open_projections
from projections.projector import faults
from replay import rebuild
from replay.audit import notifications
from replay.checks import EventCheck
from replay.transfer import TransferError, stored_event

BATCH = 1000  # events per append to the scratch log


def import_log(data: Path, lines: Iterable[bytes], progress: bool = True) -> int:
    """Import `lines` (exported JSON lines) into the empty log of `data`; return how many."""
    target = Botbus.open(data)
    log_file = sqlite_file(target)
    scratch_log = Path(f"{log_file or data / 'events.db'}.import")
    scratch_views = data / f"{PROJECTIONS_FILE}.import"
    try:
        if target.recorder.max_notification_id():
            raise TransferError("the target log is not empty: import only into a new data"
                                " directory")
        count = stage(target.mapper, lines, scratch_log, scratch_views, progress)
        if log_file is None:
            insert_all(target.recorder, staged_events(scratch_log))
            rebuild.rebuild(target.recorder, target.mapper, data, progress=progress)
    except BaseException:
        _remove(scratch_log, scratch_views)
        raise
    finally:
        target.close()
    if log_file is None:
        _remove(scratch_log, scratch_views)
    else:  # the log first: projections behind their log catch up when the server starts
        rebuild.swap_in(scratch_log, log_file)
        rebuild.swap_in(scratch_views, data / PROJECTIONS_FILE)
    return count


def sqlite_file(app: Botbus) -> Path | None:
    """The log's file when it is SQLite on disk (the import renames onto it), else None."""
    name = app.env.get("SQLITE_DBNAME") or ""
    if (app.env.get("PERSISTENCE_MODULE") != "eventsourcing.sqlite" or not name
            or name.startswith("file:") or ":memory:" in name):
        return None
    return Path(name)


def insert_all(recorder: ApplicationRecorder, events: Sequence[StoredEvent]) -> None:
    """One call, so one transaction: the whole log is in, or none of it."""
    recorder.insert_events(events)


def stage(mapper: Mapper, lines: Iterable[bytes], log_path: Path, views_path: Path,
          progress: bool) -> int:
    """Check every line into a scratch log, then project it into a scratch projections
    file; TransferError names the first line that cannot go in."""
    _remove(log_path, views_path)
    line_of = array("q")  # position in the scratch log → line in the file
    scratch = _scratch_app(log_path)
    try:
        _append(scratch.recorder, mapper, lines, line_of)
        rebuild.build(scratch.recorder, mapper, views_path, progress=progress)
    finally:
        scratch.close()
    with closing(sqlite3.connect(log_path)) as db:  # fold the journal in: one file to rename
        db.execute("PRAGMA journal_mode=DELETE")
    views = open_projections(views_path)
    try:
        found = faults(views)
    finally:
        views.close()
    if found:
        fault = found[0]
        raise TransferError(f"line {line_of[fault['position'] - 1]}: read model {fault['model']}"
                            f" cannot apply {fault['event']}: {fault['error']}")
    return len(line_of)


def _append(recorder: ApplicationRecorder, mapper: Mapper, lines: Iterable[bytes],
            line_of: array) -> None:
    check = EventCheck(mapper)
    batch: list[StoredEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        event = stored_event(line, number)
        try:
            check.check(event)
        except ValueError as error:
            raise TransferError(f"line {number}: {error}") from None
        batch.append(event)
        line_of.append(number)
        if len(batch) == BATCH:
            recorder.insert_events(batch)
            batch = []
    if batch:
        recorder.insert_events(batch)


def staged_events(log_path: Path) -> list[StoredEvent]:
    scratch = _scratch_app(log_path)
    try:
        return [StoredEvent(originator_id=n.originator_id, originator_version=n.originator_version,
                            topic=n.topic, state=n.state) for n in notifications(scratch.recorder)]
    finally:
        scratch.close()


def _scratch_app(log_path: Path) -> Botbus:
    """A SQLite log laid out as the server's own, whatever store the environment names."""
    return Botbus({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(log_path),
                   "SQLITE_LOCK_TIMEOUT": "10"})


def _remove(*paths: Path) -> None:
    for path in paths:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
