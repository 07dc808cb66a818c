"""The SQLite log's recorder appends a batch in one statement (domain/recorder.py)."""
import time
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError

from domain.application import Botbus
from domain.messages import Message
from domain.recorder import GroupRecorder
from projections.checkpoints import Checkpoints
from tests.doubles import FixedClock
from tests.sqlitefiles import rows_in_file, wal_restarts


@pytest.fixture
def app(tmp_path):
    app = Botbus.open(tmp_path, clock=FixedClock())
    yield app
    app.close()


def sends(app: Botbus, count: int) -> list:
    unit = app.new_unit()
    for i in range(count):
        app.send_message(unit, "sender", "ab" * 16, {"text": str(i)}, delivered=False)
    return unit.aggregates


def test_the_server_log_uses_it_and_each_recording_names_its_own_row(app, monkeypatch):
    assert isinstance(app.recorder, GroupRecorder)
    monkeypatch.setattr("domain.recorder.ONE_STATEMENT", 20)  # past it: the library's way
    counted: list[int] = []
    app.recorder.on_appended = counted.append  # told of each append, either way
    recordings = [r for count in (1, 3, 27) for r in app.save(*sends(app, count))]
    assert counted == [1, 3, 27]  # the 27 went the library's way
    rows = app.recorder.select_notifications(start=1, limit=10_000)
    assert [r.notification.id for r in recordings] == [row.id for row in rows] \
        == list(range(1, len(rows) + 1))
    assert [(r.notification.originator_id, r.notification.originator_version) for r in recordings] \
        == [(row.originator_id, row.originator_version) for row in rows]
    texts = [app.mapper.to_domain_event(row).content["text"] for row in rows]
    assert texts == ["0", "0", "1", "2", *map(str, range(27))]


def saved_and_its_twin(app: Botbus) -> Message:
    """A message saved, and another of the same id and version: a conflict to save."""
    first, = sends(app, 1)
    app.save(first)
    return Message._create(Message.Sent, id=first.id, sender_id="sender", to="ab" * 16,
                           content={"text": "twin"}, delivered=False,
                           timestamp=FixedClock()(), chat="")


def test_a_conflict_records_nothing_of_the_batch(app):
    twin = saved_and_its_twin(app)
    with pytest.raises(IntegrityError):
        app.save(*sends(app, 5), twin)
    assert len(app.recorder.select_notifications(start=1, limit=10_000)) == 1
    assert [r.notification.id for r in app.save(*sends(app, 2))] == [2, 3]


def in_file(path) -> int:
    """Events in the log's file itself, without what only its WAL holds."""
    return rows_in_file(path, "stored_events")


def append_past_the_threshold(app: Botbus) -> int:
    """Appends until the WAL has grown past SQLite's own checkpoint threshold (1,000 pages,
    where a commit would copy it back itself); returns how many events."""
    wal, appended = Path(f"{app.recorder.path}-wal"), 0
    while not (wal.exists() and wal.stat().st_size > 1200 * 4096):
        appended += len(app.save(*sends(app, 10), *sends(app, 10)))
        if appended > 100_000:
            raise AssertionError("the WAL never grew: was it copied back by each commit?")
    return appended


def test_appends_told_to_a_checkpoint_thread_leave_the_copy_to_it(app, tmp_path):
    """The server's appends never checkpoint inside the commit (the event loop would stall
    for the copy): the log's own thread copies once told enough were appended."""
    path = app.recorder.path
    assert path == str(tmp_path / "events.db")
    counted: list[int] = []
    app.recorder.on_appended = counted.append
    appended = append_past_the_threshold(app)
    assert sum(counted) == appended and in_file(path) == 0
    checkpoints = Checkpoints(path, every=appended, name="log")
    try:
        checkpoints.applied(appended)
        deadline = time.monotonic() + 10
        while in_file(path) < appended and time.monotonic() < deadline:
            time.sleep(0.02)
        assert in_file(path) == appended
    finally:
        checkpoints.close()


def test_appends_without_a_checkpoint_thread_keep_sqlites_own(app):
    """A tool appending without one (replay import) must not grow the WAL without end."""
    wal, appended = Path(f"{app.recorder.path}-wal"), 0
    while in_file(app.recorder.path) == 0 and appended < 100_000:
        appended += len(app.save(*sends(app, 10), *sends(app, 10)))
    assert in_file(app.recorder.path) > 0 and wal.stat().st_size < 1200 * 4096


def test_the_servers_log_starts_its_wal_over_under_appends_that_never_pause(app):
    """With the checkpoint thread told of every append, the WAL is copied back and started
    over again and again, as the server appends (not grown by every batch, to gigabytes)."""
    path = app.recorder.path
    checkpoints = Checkpoints(path, every=200, name="log")
    app.recorder.on_appended = checkpoints.applied
    wal, largest, appended = Path(f"{path}-wal"), 0, 0
    try:
        for _ in range(1000):
            appended += len(app.save(*sends(app, 2)))
            largest = max(largest, wal.stat().st_size)
    finally:
        checkpoints.close()
    assert in_file(path) > appended - 3 * 200  # copied as it went
    assert wal_restarts(path) >= 3  # started over, again and again
    assert largest < 1000 * 4096  # never the page or more per batch it grew by (11 MB here)
