"""The writer under faults, on a real SQLite log and projections file, with the fault
injected where it cannot be caused from outside: a read model double, a failing snapshot.

Once a batch is recorded, its answers are never failures caused by later steps, and a
success is only ever answered for what is readable."""
import asyncio
import sqlite3

import pytest

from api.writer import NOT_YET_READABLE, Writer
from domain.application import Botbus
from domain.errors import DomainError, Kind
from domain.updates import queue_id
from projections import READ_MODELS, directory, updates
from projections.db import open_projections
from projections.projector import Projector

BOT = "ab" * 16


class Flaky:
    """A read model that raises `error` while `failing` is set, or for one fingerprint."""

    NAME, VERSION, TABLES = "flaky", 1, ()

    def __init__(self) -> None:
        self.failing: Exception | None = None
        self.poison_fingerprint: str | None = None

    def create(self, db) -> None:
        pass

    def apply(self, event, db, position) -> None:
        if self.failing is not None:
            raise self.failing
        fingerprint = getattr(event, "fingerprint", None)
        if fingerprint is not None and fingerprint == self.poison_fingerprint:
            raise RuntimeError("cannot apply this one")


@pytest.fixture
def flaky() -> Flaky:
    return Flaky()


@pytest.fixture
def parts(tmp_path, flaky):
    app = Botbus.open(tmp_path)
    projector = Projector(app.recorder, app.mapper,
                          open_projections(tmp_path / "p.db", handed_over=True),
                          [*READ_MODELS, flaky])
    yield app, projector
    app.close()


def writer_for(app, projector, **options) -> Writer:
    writer = Writer(app, projector, asyncio.get_running_loop(), lambda batch: None, **options)
    writer.start()
    return writer


def test_a_snapshot_that_fails_after_the_commit_changes_no_answer(parts, monkeypatch, inline):
    """The 100th confirmation of a queue takes a snapshot: if that write fails, the poll
    still hears success, and the confirmation is not run again."""
    app, projector = parts

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(app.snapshots, "put", broken)

    async def main():
        writer = writer_for(app, projector, inline=inline)
        answers = [await writer.run(lambda u, n=n: app.confirm_updates(u, BOT, n, via="test"))
                   for n in range(1, 101)]
        writer.stop()
        return answers

    assert asyncio.run(main()) == [True] * 100
    assert app.repository.get(queue_id(BOT)).version == 101  # Opened + 100, none twice
    assert app.recorder.max_notification_id() == 101


def test_answers_wait_while_the_projection_fails_and_come_once_it_catches_up(parts, flaky, inline):
    app, projector = parts

    async def main():
        writer = writer_for(app, projector, inline=inline)
        flaky.failing = sqlite3.OperationalError("database or disk is full")
        pending = asyncio.ensure_future(writer.run(lambda u: app.register_user(u, "01" * 16)))
        await asyncio.sleep(0.3)
        waited = not pending.done() and writer.behind
        flaky.failing = None  # the disk has room again: the writer's retry catches up
        user = await asyncio.wait_for(pending, 10)
        seen = directory.account(projector.db, user.user_id)  # readable when answered
        writer.stop()
        return waited, seen, writer.behind

    waited, seen, behind = asyncio.run(main())
    assert waited and seen is not None and behind is False


def test_past_its_deadline_a_recorded_command_hears_it_is_not_yet_readable(parts, flaky, inline):
    app, projector = parts

    async def main():
        writer = writer_for(app, projector, inline=inline, answer_within=0.2)
        flaky.failing = sqlite3.OperationalError("disk I/O error")
        with pytest.raises(DomainError) as refused:
            await asyncio.wait_for(writer.run(lambda u: app.register_user(u, "02" * 16)), 10)
        flaky.failing = None
        # the next batch records nothing (a refused command), and still the projector catches up
        with pytest.raises(DomainError):
            await writer.run(lambda u: app.register_user(u, "not hex"))
        writer.stop()
        return refused.value

    refused = asyncio.run(main())
    assert refused.kind is Kind.UNAVAILABLE and refused.message == NOT_YET_READABLE
    assert app.recorder.max_notification_id() == 3  # recorded once: User, 2 claims
    assert directory.account_by_fingerprint(projector.db, "02" * 16) is not None
    assert projector.position == 3


def test_a_command_whose_event_is_set_aside_hears_it_and_its_batch_mates_do_not(
        parts, flaky, inline):
    app, projector = parts
    flaky.poison_fingerprint = "03" * 16

    async def main():
        writer = writer_for(app, projector, inline=inline)
        outcomes = await asyncio.gather(
            *[writer.run(lambda u, fp=fp: app.register_user(u, fp))
              for fp in ("01" * 16, "03" * 16, "05" * 16)], return_exceptions=True)
        after = await writer.run(lambda u: app.register_user(u, "07" * 16))
        writer.stop()
        return outcomes, after

    (first, poisoned, third), after = asyncio.run(main())
    assert first.fingerprint == "01" * 16 and third.fingerprint == "05" * 16
    assert after.fingerprint == "07" * 16  # nothing stalls behind the fault
    assert isinstance(poisoned, DomainError) and poisoned.kind is Kind.UNAVAILABLE
    assert "read model flaky cannot apply it" in poisoned.message
    assert [f["model"] for f in projector.faults] == ["flaky"]
    assert updates.pending(projector.db, "x", 1) == []  # the other read models went on


def test_a_base_exception_in_a_command_fails_fast_instead_of_hanging(parts, inline):
    app, projector = parts

    class Fatal(BaseException):
        pass

    def fatal(unit):
        raise Fatal("boom")

    async def main():
        writer = writer_for(app, projector, inline=inline)
        first = await asyncio.wait_for(
            asyncio.gather(writer.run(fatal), return_exceptions=True), 5)
        later = await asyncio.wait_for(asyncio.gather(
            writer.run(lambda u: app.register_user(u, "09" * 16)), return_exceptions=True), 5)
        writer.stop()
        return first[0], later[0], writer.failure

    first, later, failure = asyncio.run(main())
    assert isinstance(failure, BaseException) and str(failure) == "boom"
    for refused in (first, later):
        assert isinstance(refused, DomainError) and refused.kind is Kind.UNAVAILABLE
        assert "the writer stopped" in refused.message


def test_a_start_whose_catch_up_fails_still_serves_and_catches_up_later(parts, flaky, inline):
    app, projector = parts
    unit = app.new_unit()
    app.register_user(unit, "0b" * 16)
    app.save(*unit.aggregates)  # recorded by an earlier run, never projected

    async def main():
        flaky.failing = sqlite3.OperationalError("disk I/O error")
        writer = Writer(app, projector, asyncio.get_running_loop(), lambda batch: None,
                        inline=inline)
        writer.catch_up()  # logs, does not raise
        behind_at_start = writer.behind
        writer.start()
        flaky.failing = None
        user = await writer.run(lambda u: app.register_user(u, "0d" * 16))
        writer.stop()
        return behind_at_start, user

    behind_at_start, user = asyncio.run(main())
    assert behind_at_start is True
    assert directory.account_by_fingerprint(projector.db, "0b" * 16) is not None
    assert directory.account(projector.db, user.user_id) is not None


def test_a_failed_append_fails_its_batch_only_and_the_next_batch_lands(parts, monkeypatch, inline):
    """The append raises (disk I/O): that batch's requests hear it, nothing of
    it is readable, and the writer goes on with the next batch."""
    app, projector = parts
    record = app.record
    failing = {"next": True}

    def flaky_record(prepared):
        if failing.pop("next", False):
            raise sqlite3.OperationalError("disk I/O error (injected)")
        return record(prepared)

    monkeypatch.setattr(app, "record", flaky_record)

    async def main():
        writer = writer_for(app, projector, inline=inline)
        failed = await asyncio.gather(writer.run(lambda u: app.register_user(u, "0e" * 16)),
                                      return_exceptions=True)
        landed = await writer.run(lambda u: app.register_user(u, "0f" * 16))
        writer.stop()
        return failed[0], landed

    failed, landed = asyncio.run(main())
    assert isinstance(failed, sqlite3.OperationalError)
    assert directory.account_by_fingerprint(projector.db, "0e" * 16) is None
    assert directory.account(projector.db, landed.user_id)["fingerprint"] == "0f" * 16
    assert len(app.recorder.select_notifications(start=1, limit=100)) == 3  # user, 2 claims


def test_a_stop_writes_and_answers_everything_still_queued(parts, inline):
    """SIGTERM with requests in the queue: stop() writes them before the log closes."""
    app, projector = parts

    async def main():
        writer = writer_for(app, projector, inline=inline)
        queued = [writer.submit(lambda u, i=i: app.register_user(u, f"{i:02x}" * 16))
                  for i in range(20, 40)]
        writer.stop()  # at once: nothing has run yet
        with pytest.raises(DomainError, match="the writer stopped"):
            writer.submit(lambda u: app.register_user(u, "ff" * 16))
        return await asyncio.gather(*queued)

    users = asyncio.run(main())
    assert len(users) == 20
    assert all(directory.account(projector.db, user.user_id) for user in users)


def test_a_command_whose_events_cannot_be_encoded_fails_alone(parts, inline):
    """Its events fail to encode while the whole batch is prepared (here, content the log's
    JSON cannot hold): the batch runs again one by one, so only that command fails."""
    app, projector = parts

    def send(content: dict):
        return lambda unit: app.send_message(unit, "sender", BOT, content, delivered=False)

    async def main():
        writer = writer_for(app, projector, inline=inline)
        futures = [writer.submit(send({"text": "one"})), writer.submit(send({"odd": {1, 2}})),
                   writer.submit(send({"text": "two"}))]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        writer.stop()
        return outcomes

    first, odd, last = asyncio.run(main())
    assert isinstance(odd, TypeError)
    assert not isinstance(first, BaseException) and not isinstance(last, BaseException)
    assert [item["content"]["text"] for item in updates.pending(projector.db, BOT, 10)] == [
        "one", "two"]


def test_a_held_projection_whose_commit_fails_is_applied_again_from_the_log(parts, monkeypatch):
    """A child appends and the batch is answered from its projection held open (api/settle);
    if the commit a turn later fails (disk full), the writer falls behind and catches up
    from the log: the read models end with every batch, once."""
    app, projector = parts
    app.recorder.use_appender()
    real, failures = projector.db.commit, []

    def full_once() -> None:
        if not failures:
            failures.append(1)
            raise sqlite3.OperationalError("database or disk is full")
        real()

    async def main():
        writer = writer_for(app, projector, inline=True)
        monkeypatch.setattr(projector.db, "commit", full_once)
        first = await writer.run(lambda u: app.register_user(u, "0a" * 16))
        seen = directory.account(projector.db, first.user_id)  # read while held
        await asyncio.sleep(0)  # the commit's turn: it fails, the rows go
        behind = writer.behind
        for _ in range(100):
            if not writer.behind:
                break
            await asyncio.sleep(0.05)
        second = await writer.run(lambda u: app.register_user(u, "0c" * 16))
        writer.stop()
        return seen, behind, first, second

    try:
        seen, behind, first, second = asyncio.run(main())
        assert seen is not None and behind and failures == [1]
        for user in (first, second):
            assert directory.account(projector.db, user.user_id) is not None
        assert projector.position == app.recorder.max_notification_id()
        assert not projector.db.conn.in_transaction
    finally:
        app.recorder.appender.close()
