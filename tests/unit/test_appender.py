"""The embedded log's appends made by a child process (domain/appender.py): the ids, the
errors, and a child that dies between appends or in the middle of one."""
import asyncio
import os
import signal
import sqlite3
import threading
import time

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from api.writer import Writer
from domain.application import Botbus
from domain.recorder import GroupRecorder
from projections import directory
from projections.db import PROJECTIONS_FILE, open_projections
from projections.projector import Projector
from replay.rebuild import verify
from tests.doubles import FixedClock
from tests.unit.test_recorder import saved_and_its_twin, sends


@pytest.fixture
def app(tmp_path):
    app = Botbus.open(tmp_path, clock=FixedClock())
    assert isinstance(app.recorder, GroupRecorder)
    app.recorder.use_appender()
    yield app
    app.recorder.appender.close()
    app.close()


def logged(app: Botbus) -> list[int]:
    return [row.id for row in app.recorder.select_notifications(start=1, limit=10_000)]


def child(app: Botbus):
    process = app.recorder.appender._process
    assert process is not None, "no child: the append was not made by one"
    return process


def test_appends_go_through_the_child_and_get_the_logs_ids(app):
    counted: list[int] = []
    app.recorder.on_appended = counted.append
    recordings = [r for count in (1, 3, 5) for r in app.save(*sends(app, count))]
    assert child(app).poll() is None
    assert [r.notification.id for r in recordings] == logged(app) == list(range(1, 10))
    texts = [app.mapper.to_domain_event(row).content["text"]
             for row in app.recorder.select_notifications(start=1, limit=100)]
    assert texts == ["0", "0", "1", "2", "0", "1", "2", "3", "4"]
    assert counted == [1, 3, 5]


def test_ids_expected_are_checked_against_the_log(app):
    app.save(*sends(app, 2))
    with sqlite3.connect(app.recorder.path) as other:  # behind the appender's back
        other.execute("INSERT INTO stored_events VALUES (?, 1, 'x', x'00')", ("f" * 32,))
    pending = app.recorder.start_insert(app.prepare(*sends(app, 2)).stored)
    assert list(pending.expected) == [3, 4]  # what it believed
    assert list(pending.wait()) == [4, 5] == logged(app)[-2:]  # what the log gave


def test_a_conflict_is_the_librarys_integrity_error_and_records_nothing(app):
    twin = saved_and_its_twin(app)
    with pytest.raises(IntegrityError):
        app.save(*sends(app, 3), twin)
    assert logged(app) == [1]
    assert [r.notification.id for r in app.save(*sends(app, 2))] == [2, 3]


def test_a_child_killed_between_appends_is_replaced(app):
    app.save(*sends(app, 1))
    first = child(app)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert [r.notification.id for r in app.save(*sends(app, 2))] == [2, 3]
    assert child(app).pid != first.pid
    assert logged(app) == [1, 2, 3]


def test_a_child_killed_after_its_append_landed_counts_it_recorded(app):
    app.save(*sends(app, 1))
    pending = app.recorder.start_insert(app.prepare(*sends(app, 2)).stored)
    deadline = time.monotonic() + 10
    while len(logged(app)) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.read(child(app).stdout.fileno(), 9)  # as if it died before it could answer
    os.kill(child(app).pid, signal.SIGKILL)
    assert list(pending.wait()) == [2, 3] == logged(app)[1:]
    assert [r.notification.id for r in app.save(*sends(app, 1))] == [4]  # a new child


def test_a_child_killed_before_its_append_landed_fails_it_and_records_nothing(app):
    app.save(*sends(app, 1))
    blocker = sqlite3.connect(app.recorder.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the child's INSERT waits for this write lock
    try:
        pending = app.recorder.start_insert(app.prepare(*sends(app, 2)).stored)
        time.sleep(0.2)
        os.kill(child(app).pid, signal.SIGKILL)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with pytest.raises(OperationalError, match="appender died"):
        pending.wait()
    assert logged(app) == [1]
    assert [r.notification.id for r in app.save(*sends(app, 1))] == [2]  # a new child


def test_closing_ends_the_child(app):
    app.save(*sends(app, 1))
    process = child(app)
    app.recorder.appender.close()
    assert process.poll() is not None
    assert [r.notification.id for r in app.save(*sends(app, 1))] == [2]  # started again


def test_the_writer_projects_while_the_child_appends_and_a_failed_append_leaves_no_rows(
        tmp_path):
    """Through the writer, as the server runs it: each batch is staged in the read models
    while the child appends; an append that fails (its child killed while the log was
    locked) answers an error and leaves nothing readable, and the next batch takes its
    positions."""
    app = Botbus.open(tmp_path)
    app.recorder.use_appender()
    db = open_projections(tmp_path / PROJECTIONS_FILE, handed_over=True)
    projector = Projector(app.recorder, app.mapper, db)
    blocker = sqlite3.connect(app.recorder.path, isolation_level=None)

    def others_see(user_id) -> str | None:
        with sqlite3.connect(tmp_path / PROJECTIONS_FILE) as other:
            row = other.execute("SELECT fingerprint FROM accounts WHERE id = ?",
                                (str(user_id),)).fetchone()
        return row and row[0]

    async def main():
        writer = Writer(app, projector, asyncio.get_running_loop(), lambda batch: None,
                        inline=True)
        writer.start()
        first = await writer.run(lambda u: app.register_user(u, "0d" * 16))
        assert directory.account(db, first.user_id) is not None  # staged, durable, readable
        assert others_see(first.user_id) is None  # held: committed a turn later
        await asyncio.sleep(0)
        assert others_see(first.user_id) == "0d" * 16
        blocker.execute("BEGIN IMMEDIATE")
        threading.Timer(0.3, lambda: os.kill(child(app).pid, signal.SIGKILL)).start()
        failed = await asyncio.gather(writer.run(lambda u: app.register_user(u, "0e" * 16)),
                                      return_exceptions=True)
        blocker.execute("ROLLBACK")
        landed = await writer.run(lambda u: app.register_user(u, "0f" * 16))
        writer.stop()
        return first, failed[0], landed

    try:
        first, failed, landed = asyncio.run(main())
        assert isinstance(failed, OperationalError) and "appender died" in str(failed)
        assert directory.account_by_fingerprint(db, "0e" * 16) is None
        assert directory.account(db, landed.user_id)["fingerprint"] == "0f" * 16
        assert not db.conn.in_transaction
        assert verify(app.recorder, app.mapper, tmp_path) == []
    finally:
        blocker.close()
        app.recorder.appender.close()
        db.close()
        app.close()
