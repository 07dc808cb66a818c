"""`replay import`: a whole exported log into an empty one, or nothing at all.

Every line is checked (`replay.checks`) and appended to a scratch SQLite log beside the
target's, and the projections are built from that log into a scratch file, so a bad line,
or an event no read model can apply, is found before the target is touched. Only then is
the import committed: for the SQLite default by renaming the scratch log over events.db (a
rename is atomic), then the projections over projections.db; for another store
(PostgreSQL) by one `insert_events` call, one transaction, then a rebuild. A refused
import leaves the target log empty, as it found it.

Last, the target log is read back: its count and checksum (`replay.transfer.Digest`) must be
the input's (a store could change what it was given, or another node write to a shared log
between the empty check and the insert). What fails once the log is committed raises
`AfterCommit`, saying what the log holds now: a retry would find it not empty. Positions are
the store's own (a PostgreSQL sequence may skip numbers): a change is reported, not refused.
"""
import sqlite3
from array import array
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path

from eventsourcing.persistence import ApplicationRecorder, Mapper, PersistenceError, StoredEvent
from tqdm import tqdm

from domain.application import Botbus
from projections.db import PROJECTIONS_FILE, open_projections
from projections.tracking import faults
from replay import rebuild
from replay.audit import notifications
from replay.checks import EventCheck
from replay.transfer import Digest, TransferError, canonical, digest_of, stored_event

BATCH = 1000  # events per append to the scratch log


class AfterCommit(Exception):
    """The log took the import; a later step (projections, the read-back check) failed."""


def import_log(data: Path, lines: Iterable[bytes], progress: bool = True,
               log_url: str | None = None) -> tuple[Digest, str]:
    """Import `lines` (exported JSON lines) into the empty log of `data` (or of `log_url`),
    check it by reading it back; return the input's digest and `renumbered`'s note."""
    target = Botbus.open(data, log_url)
    log_file = sqlite_file(target)
    scratch_log = Path(f"{log_file or data / 'events.db'}.import")
    scratch_views = data / f"{PROJECTIONS_FILE}.import"
    try:
        if target.recorder.max_notification_id():
            raise TransferError("the target log is not empty: import only into a new data"
                                " directory or an empty database")
        given = stage(target.mapper, lines, scratch_log, scratch_views, progress)
        if log_file is None:
            insert_all(target.recorder, staged_events(scratch_log))
            _project(target, data, progress)
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
    return given, read_back(data, log_url, given, progress)


def _project(target: Botbus, data: Path, progress: bool) -> None:
    try:
        rebuild.rebuild(target.recorder, target.mapper, data, progress=progress)
    except Exception as error:  # noqa: BLE001 - any failure here comes after the commit
        raise AfterCommit(f"the projections in {data} were not built ({error}); run"
                          " `botbus replay rebuild` with the same --data and --log") from error


def read_back(data: Path, log_url: str | None, given: Digest, progress: bool) -> str:
    """The target log as stored must be the input: the same count and checksum."""
    try:
        target = Botbus.open(data, log_url)
        try:
            found = digest_of(target.recorder, progress)
        finally:
            target.close()
    except Exception as error:  # noqa: BLE001 - the import itself is committed
        raise AfterCommit(f"reading it back to check it failed: {error}") from error
    if found != given:
        raise AfterCommit(f"the log read back holds {found}, but the input had {given}")
    return renumbered(given, found)


def renumbered(given: Digest, found: Digest) -> str:
    """'' when every event kept the position its line gave, else the first that moved."""
    pairs = zip(given.positions, found.positions, strict=True)
    for number, (was, now) in enumerate(pairs, start=1):
        if was and was != now:
            return f"event {number} was at position {was}, is at {now}"
    return ""


def sqlite_file(app: Botbus) -> Path | None:
    """The log's file when it is SQLite on disk (the import renames onto it), else None."""
    name = app.env.get("SQLITE_DBNAME") or ""
    if (app.env.get("PERSISTENCE_MODULE") != "eventsourcing.sqlite" or not name
            or name.startswith("file:") or ":memory:" in name):
        return None
    return Path(name)


def insert_all(recorder: ApplicationRecorder, events: Sequence[StoredEvent]) -> None:
    """One call, so one transaction: the whole log is in, or none of it. The library retries
    a call whose connection failed: if a first try did commit, the read-back checks it."""
    try:
        recorder.insert_events(events)
    except PersistenceError as error:
        if not recorder.max_notification_id():
            raise TransferError(f"the log refused the events: {error}") from None


def stage(mapper: Mapper, lines: Iterable[bytes], log_path: Path, views_path: Path,
          progress: bool) -> Digest:
    """Check every line into a scratch log, then project it into a scratch projections
    file; TransferError names the first line that cannot go in. Returns the input's digest."""
    _remove(log_path, views_path)
    line_of = array("q")  # position in the scratch log → line in the file
    scratch = _scratch_app(log_path)
    try:
        with tqdm(lines, unit="line", desc="check", disable=None if progress else True,
                  mininterval=0.5) as bar:
            given = _append(scratch.recorder, mapper, bar, line_of)
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
    return given


def _append(recorder: ApplicationRecorder, mapper: Mapper, lines: Iterable[bytes],
            line_of: array) -> Digest:
    check, given = EventCheck(mapper), Digest()
    batch: list[StoredEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        event, position = stored_event(line, number)
        try:
            check.check(event)
        except ValueError as error:
            raise TransferError(f"line {number}: {error}") from None
        batch.append(event)
        line_of.append(number)
        given.add(canonical(event), position)
        if len(batch) == BATCH:
            recorder.insert_events(batch)
            batch = []
    if batch:
        recorder.insert_events(batch)
    return given


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
