"""Updates a read handed out, held until its lazy confirmation lands (api/longpoll.Taken),
and skipped by the next reads of the queue (projections/updates.pending)."""
import asyncio

from api.longpoll import Taken
from domain.application import Botbus
from projections import updates
from projections.db import open_projections
from projections.projector import Projector
from tests.doubles import FixedClock

BOT = "ab" * 16


def test_held_ids_are_released_once_the_confirmation_is_applied():
    async def main():
        taken = Taken()
        confirmed = asyncio.get_running_loop().create_future()
        taken.hold(BOT, [1, 2, 3], confirmed)
        taken.hold(BOT, [4], asyncio.get_running_loop().create_future())
        while_held = set(taken.held(BOT)), set(taken.held("someone else"))
        confirmed.set_result(True)
        await asyncio.sleep(0)
        return while_held, set(taken.held(BOT))

    (held, other), after = asyncio.run(main())
    assert held == {1, 2, 3, 4} and other == set()
    assert after == {4}


def test_a_failed_confirmation_hands_the_updates_out_again(caplog):
    async def main():
        taken = Taken()
        confirmed = asyncio.get_running_loop().create_future()
        taken.hold(BOT, [1, 2], confirmed)
        held = set(taken.held(BOT))
        confirmed.set_exception(RuntimeError("disk full"))
        await asyncio.sleep(0)
        return held, set(taken.held(BOT))

    held, again = asyncio.run(main())
    assert held == {1, 2} and again == set()
    assert "handed out again" in caplog.text


def test_a_read_skips_what_is_held_and_still_fills_its_limit(tmp_path):
    app = Botbus.open(tmp_path, clock=FixedClock())
    projector = Projector(app.recorder, app.mapper, open_projections(tmp_path / "p.db"))
    unit = app.new_unit()
    for i in range(7):
        app.send_message(unit, "sender", BOT, {"text": str(i)}, delivered=False)
    app.save(*unit.aggregates)
    projector.catch_up()
    ids = [item["update_id"] for item in updates.pending(projector.db, BOT, 3, skip={1, 2, 4})]
    assert ids == [3, 5, 6]
    assert [item["update_id"] for item in updates.pending(projector.db, BOT, 3)] == [1, 2, 3]
    app.close()
