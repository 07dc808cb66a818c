"""A batch projected while the log appends it (`Projector.stage`): unseen until the append is
durable, then held open by `apply_recorded` (seen through the projector's own connection)
until `commit`; rolled back, and projected the usual way, when the append failed or the log
gave other positions."""
import sqlite3
from collections.abc import Callable

import pytest

from projections import READ_MODELS
from projections.db import PROJECTIONS_FILE
from projections.tracking import tracked_positions
from replay.rebuild import verify
from tests.projections.test_projector import (
    BOT_A,
    Log,
    count,
    dump,
    log,
    poisoned_projector,
    queued,
)

__all__ = ["log"]  # the fixture


def staged_send(log: Log, text: str, before_append: Callable[[], object] = lambda: None):
    """Stages a send of the registered user's to BOT_A at the positions the log should give,
    then appends it (after `before_append`); returns what was recorded, not committed."""
    log.clock.advance(seconds=1)  # as Log.send does
    unit = log.app.new_unit()
    log.app.send_message(unit, log.user_id, BOT_A, {"text": text}, False)
    prepared = log.app.prepare(*unit.aggregates)
    expected = range(log.last_position + 1, log.last_position + 1 + len(prepared.stored))
    log.projector.stage(list(zip(prepared.processing_event.events, expected, strict=True)))
    before_append()
    return log.app.finish(prepared, log.app.record(prepared))


def registered(log: Log) -> Log:
    _, _, user = log.register()
    log.user_id = user.user_id  # type: ignore[attr-defined]
    return log


def others_see(log: Log) -> int:
    """Messages another connection to the projections file can read."""
    with sqlite3.connect(log.data / PROJECTIONS_FILE) as other:
        return other.execute("SELECT count(*) FROM messages").fetchone()[0]


def test_a_staged_batch_is_unseen_until_committed_then_it_is_as_if_projected(log, tmp_path):
    registered(log)
    committed = []
    log.projector.on_projected = committed.append
    recorded = staged_send(log, "staged")
    assert others_see(log) == 0 and queued(log.db, BOT_A) == [(1, "staged")]  # uncommitted
    heard = []
    assert log.projector.apply_recorded(recorded, on_batch=heard.append) == 1
    assert heard == [recorded] and log.projector.position == recorded[-1][1]
    assert others_see(log) == 0 and log.projector.held == 1 and committed == []  # held
    log.projector.commit()
    assert others_see(log) == 1 and log.projector.held == 0 and committed == [1]
    assert set(tracked_positions(log.db).values()) == {recorded[-1][1]}
    (tmp_path / "plain").mkdir()
    plain = registered(Log(tmp_path / "plain"))  # the same commands, projected as usual
    try:
        plain.send(plain.user_id, BOT_A, "staged")
        assert dump(log.db) == dump(plain.db)
    finally:
        plain.close()
    assert verify(log.app.recorder, log.app.mapper, log.data) == []


def test_an_append_that_failed_leaves_nothing_of_the_staged_batch(log):
    registered(log)
    before = dump(log.db)
    user = log.user_id
    unit = log.app.new_unit()
    log.app.send_message(unit, user, BOT_A, {"text": "never recorded"}, False)
    prepared = log.app.prepare(*unit.aggregates)
    position = log.last_position + 1
    log.projector.stage([(prepared.processing_event.events[0], position)])
    assert log.projector.apply_recorded([]) == 0  # the writer's call when the append failed
    assert dump(log.db) == before
    log.send(user, BOT_A, "next")  # the next batch projects at that very position
    assert queued(log.db, BOT_A) == [(1, "next")]
    assert verify(log.app.recorder, log.app.mapper, log.data) == []


def test_other_positions_than_staged_roll_it_back_and_project_the_batch_anew(log):
    registered(log)
    recorded = staged_send(log, "second", before_append=lambda: log.send(
        log.user_id, BOT_A, "first", project=False))  # took the position it expected
    assert log.projector.apply_recorded(recorded) == 2  # caught up from the log instead
    assert queued(log.db, BOT_A) == [(1, "first"), (2, "second")]
    assert verify(log.app.recorder, log.app.mapper, log.data) == []


def test_catching_up_rolls_back_what_was_staged(log):
    registered(log)
    staged_send(log, "staged")
    assert log.projector.catch_up() == 1  # from the log: the same event, committed once
    assert queued(log.db, BOT_A) == [(1, "staged")] and count(log.db, "messages") == 1
    assert verify(log.app.recorder, log.app.mapper, log.data) == []


def test_a_batch_a_read_model_cannot_apply_is_not_staged_and_becomes_a_fault(log):
    registered(log)
    position = log.last_position + 1
    log.projector = poisoned_projector(log, RuntimeError("projection bug"), at=position)
    log.projector.catch_up()
    recorded = staged_send(log, "poisoned")
    assert not log.db.conn.in_transaction  # nothing held open
    assert log.projector.apply_recorded(recorded) == 1
    assert [(f["model"], f["position"]) for f in log.projector.faults] == [("poison", position)]
    assert set(tracked_positions(log.db, [*READ_MODELS]).values()) == {position}


def test_what_is_held_is_committed_before_the_next_batch_is_staged_so_its_failure_keeps_it(log):
    registered(log)
    log.projector.apply_recorded(staged_send(log, "held"))
    unit = log.app.new_unit()
    log.app.send_message(unit, log.user_id, BOT_A, {"text": "never recorded"}, False)
    prepared = log.app.prepare(*unit.aggregates)
    log.projector.stage([(prepared.processing_event.events[0], log.last_position + 1)])
    assert others_see(log) == 1 and log.projector.held == 0  # committed first
    log.projector.apply_recorded([])  # that append failed: only its own batch rolls back
    assert queued(log.db, BOT_A) == [(1, "held")]
    assert verify(log.app.recorder, log.app.mapper, log.data) == []


def test_catching_up_commits_what_is_held_and_applies_it_once(log):
    registered(log)
    log.projector.apply_recorded(staged_send(log, "held"))
    assert log.projector.catch_up() == 0
    assert others_see(log) == 1 and count(log.db, "messages") == 1


def test_a_commit_that_fails_rolls_back_and_the_batch_is_applied_again_from_the_log(
        log, monkeypatch):
    """A full disk at the commit: the rows the answers were read from go, the positions are
    read back from the file, and catching up applies the batch again from the log."""
    registered(log)
    before = log.projector.position
    recorded = staged_send(log, "held")
    log.projector.apply_recorded(recorded)

    def full() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(log.db, "commit", full)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        log.projector.commit()
    monkeypatch.undo()
    assert log.projector.position == before and log.projector.held == 0
    assert queued(log.db, BOT_A) == [] and not log.db.conn.in_transaction
    assert log.projector.catch_up() == len(recorded)
    assert queued(log.db, BOT_A) == [(1, "held")] and others_see(log) == 1
    assert verify(log.app.recorder, log.app.mapper, log.data) == []
