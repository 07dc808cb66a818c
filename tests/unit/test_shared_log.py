"""Two writers on one log, as two nodes on a shared PostgreSQL log are: here two Botbus apps
on one SQLite file, each with its own cache, writer and read models. What must hold: a command
that lost a race for an aggregate runs again on the winner's state, a reader's named updates
go to one reader only, and following the log catches a node's read models up."""
import asyncio

import pytest

from api.writer import Writer
from domain.application import Botbus
from domain.errors import DomainError, Kind
from domain.updates import ALREADY_TAKEN, UpdateQueue
from projections import updates
from projections.db import open_projections
from projections.projector import Projector
from tests.doubles import FixedClock


@pytest.fixture
def nodes(tmp_path):
    apps = [Botbus.open(tmp_path) for _ in range(2)]
    projectors = [Projector(app.recorder, app.mapper, open_projections(
        tmp_path / f"p{i}.db", handed_over=True)) for i, app in enumerate(apps)]
    yield list(zip(apps, projectors, strict=True))
    for app in apps:
        app.close()


def writer_for(app, projector, applied=None) -> Writer:
    writer = Writer(app, projector, asyncio.get_running_loop(),
                    on_applied=applied.append if applied is not None else lambda batch: None)
    writer.shared = True
    writer.start()
    return writer


def test_a_command_that_lost_a_race_runs_again_on_the_winners_state(nodes):
    (a, pa), (b, pb) = nodes

    async def main():
        wa, wb = writer_for(a, pa), writer_for(b, pb)
        bot = await wa.run(lambda u: a.register_bot(u, "RaceBot", "ab" * 16))
        await wa.run(lambda u: a.confirm_updates(u, bot.fingerprint, 1, "t", [1]))
        wb.follow()
        await wb.run(lambda u: b.confirm_updates(u, bot.fingerprint, 2, "t", [2]))  # B caches
        await wa.run(lambda u: a.confirm_updates(u, bot.fingerprint, 3, "t", [3]))  # A: stale
        with pytest.raises(DomainError) as refused:  # B's cache is stale: retried, refused
            await wb.run(lambda u: b.confirm_updates(u, bot.fingerprint, 3, "t", [3]))
        await wb.run(lambda u: b.confirm_updates(u, bot.fingerprint, 4, "t", [4]))
        wa.stop()
        wb.stop()
        return bot, refused.value

    bot, refused = asyncio.run(main())
    assert refused.kind is Kind.CONFLICT and str(refused) == ALREADY_TAKEN
    confirmed = [a.mapper.to_domain_event(n).update_ids
                 for n in a.recorder.select_notifications(0, 100)
                 if n.topic.endswith("UpdatesConfirmed")]
    assert confirmed == [[1], [2], [3], [4]]  # each id once, B's lost race recorded nothing


def test_following_the_log_brings_another_writers_events_to_read_models_and_listeners(nodes):
    (a, pa), (b, pb) = nodes
    applied: list = []

    async def main():
        wa, wb = writer_for(a, pa), writer_for(b, pb, applied)
        bot = await wa.run(lambda u: a.register_bot(u, "FollowBot", "ab" * 16))
        user = await wa.run(lambda u: a.register_user(u, "cd" * 16))
        await wa.run(lambda u: a.send_message(u, user.user_id, bot.fingerprint, {"text": "x"},
                                              False))
        assert updates.pending(pb.db, bot.fingerprint, 10) == []
        wb.follow()
        wa.stop()
        wb.stop()
        return bot

    bot = asyncio.run(main())
    assert [i["content"]["text"] for i in updates.pending(pb.db, bot.fingerprint, 10)] == ["x"]
    assert sum(len(batch) for batch in applied) == pb.position  # every event told, once


def test_a_queue_hands_named_updates_to_one_reader_until_they_come_back():
    queue = UpdateQueue(address="ab", timestamp=FixedClock()())
    queue.confirm(2, "v1", FixedClock()(), [1, 2])
    with pytest.raises(DomainError, match=ALREADY_TAKEN):
        queue.confirm(3, "v1", FixedClock()(), [2, 3])
    queue.give_back([[2, "m2"]], "socket closed", FixedClock()())
    assert queue.confirm(3, "v1", FixedClock()(), [2, 3])
    del queue.taken  # a snapshot from before ids were kept
    assert queue.handed_out() == () and queue.confirm(4, "v1", FixedClock()(), [4])


def test_a_recorded_offset_is_not_a_named_take():
    queue = UpdateQueue(address="ab", timestamp=FixedClock()())
    assert queue.confirm(5, "telegram", FixedClock()())
    assert queue.confirm(6, "v1", FixedClock()(), [5, 6])
