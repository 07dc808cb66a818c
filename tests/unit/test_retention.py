"""The retention's sweep against a real log, writer and projections: a bot's stale updates
expire in slices (each its own command and event), fresh ones and users' inboxes stay."""
import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from api.retention import Retention
from api.writer import Writer
from domain.application import Botbus
from domain.updates import UpdateQueue
from projections import backlog, updates

BOT_FP, USER_FP = "ab" * 16, "cd" * 16


def expired_events(app: Botbus) -> list:
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    return [e for e in events if isinstance(e, UpdateQueue.UpdatesExpired)]


def test_stale_updates_expire_in_slices_and_fresh_ones_stay(parts):
    app, projector = parts
    old = datetime.now(UTC) - timedelta(hours=2)

    async def main():
        writer = Writer(app, projector, asyncio.get_running_loop(), lambda batch: None)
        writer.start()
        bot = await writer.run(lambda u: app.register_bot(u, "OldBot", BOT_FP))
        user = await writer.run(lambda u: app.register_user(u, USER_FP))
        for n in range(23):  # queued two hours ago, a few in the same millisecond
            await writer.run(lambda u, n=n: app.send_message(
                u, user.user_id, BOT_FP, {"text": f"old {n}"}, False,
                at=old + timedelta(milliseconds=n // 3)))
            await writer.run(lambda u, n=n: app.send_message(
                u, bot.bot_id, USER_FP, {"text": f"to the user {n}"}, False, at=old))
        for n in range(2):
            await writer.run(lambda u, n=n: app.send_message(
                u, user.user_id, BOT_FP, {"text": f"fresh {n}"}, False))
        retention = Retention(SimpleNamespace(db=projector.db, writer=writer, app=app), 3600)
        retention.slice = 10
        swept = await retention.sweep()
        again = await retention.sweep()
        writer.stop()
        return swept, again

    swept, again = asyncio.run(main())
    assert (swept, again) == (1, 0)  # one queue, then none
    left = updates.pending(projector.db, BOT_FP, 100)
    assert [item["content"]["text"] for item in left] == ["fresh 0", "fresh 1"]
    assert len(updates.pending(projector.db, USER_FP, 100)) == 23  # inboxes are kept
    slices = expired_events(app)
    assert len(slices) == 3 and all(e.address == BOT_FP for e in slices)
    assert [e.before for e in slices] == sorted(e.before for e in slices)


def test_a_slice_never_splits_a_millisecond_and_is_never_empty(parts):
    app, projector = parts
    db = projector.db
    rows = [("q", n, 100 + n // 4) for n in range(12)]  # 4 updates in each of 3 ms
    db.conn.executemany("INSERT INTO updates (address, update_id, message_id, position,"
                        " in_flight, ms) VALUES (?, ?, '', 0, 0, ?)", rows)
    assert backlog.slice_end(db, "q", 1000, 5) == 102  # 8 rows: the 5th's ms kept whole
    assert backlog.slice_end(db, "q", 1000, 2) == 101  # 4 rows: more than asked, not none
    assert backlog.slice_end(db, "q", 1000, 12) is None  # they all fit
    assert backlog.slice_end(db, "q", 102, 4) == 101  # of the 8 that old, the first 4
    assert backlog.slice_end(db, "q", 102, 8) is None
