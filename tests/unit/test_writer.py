"""The writer's group commit against a real SQLite log and projections file."""
import asyncio

import pytest
import uvloop

from api.writer import Writer
from domain.errors import DomainError, Kind
from domain.tokens import hash_token
from domain.unit import Unit
from projections import directory, updates


async def started(app, projector, inline, applied=None):
    writer = Writer(app, projector, asyncio.get_running_loop(), inline=inline,
                    on_applied=(applied.append if applied is not None else lambda batch: None))
    writer.start()
    return writer


def test_concurrent_commands_share_transactions_and_all_land(parts, inline):
    app, projector = parts

    async def main():
        writer = await started(app, projector, inline)
        bot = await writer.run(lambda u: app.register_bot(u, "GroupBot", "ab" * 16))
        user = await writer.run(lambda u: app.register_user(u, "cd" * 16))
        sends = [writer.run(lambda u, i=i: app.send_message(
            u, user.user_id, bot.fingerprint, {"text": str(i)}, False)) for i in range(200)]
        results = await asyncio.gather(*sends)
        writer.stop()
        return bot, results

    bot, results = asyncio.run(main())
    assert len({r.message_id for r in results}) == 200
    queued = updates.pending(projector.db, bot.fingerprint, 1000)
    assert [item["update_id"] for item in queued] == list(range(1, 201))
    assert sorted(item["content"]["text"] for item in queued) == sorted(map(str, range(200)))
    transactions = projector.db.execute(
        "SELECT count(DISTINCT position) FROM messages").fetchone()[0]
    assert transactions == 200  # one position per event, whatever the batching


def test_same_alias_twice_in_one_batch_lands_once(parts, inline):
    app, projector = parts

    async def main():
        writer = await started(app, projector, inline)
        outcomes = await asyncio.gather(
            *[writer.run(lambda u, i=i: app.register_bot(u, "TwinBot", f"{i:02x}" * 16))
              for i in range(5)], return_exceptions=True)
        writer.stop()
        return outcomes

    outcomes = asyncio.run(main())
    failures = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(failures) == 4 and all(f.kind is Kind.CONFLICT for f in failures)
    assert {f.message for f in failures} == {"alias already taken"}
    assert directory.resolve_alias(projector.db, "twinbot") is not None
    assert projector.db.execute("SELECT count(*) FROM accounts").fetchone()[0] == 1


def test_a_command_that_fails_after_changing_an_aggregate_sinks_nothing_else(parts, inline):
    app, projector = parts

    def half_applied(unit: Unit):
        app.register_user(unit, "ef" * 16)
        raise RuntimeError("failed after recording")

    async def main():
        writer = await started(app, projector, inline)
        outcomes = await asyncio.gather(
            writer.run(lambda u: app.register_user(u, "01" * 16)),
            writer.run(half_applied),
            writer.run(lambda u: app.register_user(u, "02" * 16)),
            return_exceptions=True)
        writer.stop()
        return outcomes

    first, failed, third = asyncio.run(main())
    assert isinstance(failed, RuntimeError)
    assert first.fingerprint == "01" * 16 and third.fingerprint == "02" * 16
    fingerprints = {row["fingerprint"] for row in projector.db.execute("SELECT * FROM accounts")}
    assert fingerprints == {"01" * 16, "02" * 16}


def test_answers_come_after_the_projection_and_wake_listeners(parts, inline):
    app, projector = parts
    applied: list = []

    async def main():
        writer = await started(app, projector, inline, applied)
        user = await writer.run(lambda u: app.register_user(u, "aa" * 16))
        seen = directory.account(projector.db, user.user_id)  # read-after-write
        await asyncio.sleep(0)  # the listener is called on the loop, right after
        writer.stop()
        return seen

    assert asyncio.run(main())["fingerprint"] == "aa" * 16
    assert applied and applied[-1][-1][1] == projector.position


def test_reset_token_revokes_the_old_one(parts, inline):
    app, projector = parts

    async def main():
        writer = await started(app, projector, inline)
        bot = await writer.run(lambda u: app.register_bot(u, "ResetBot", "ab" * 16))
        new = await writer.run(lambda u: app.reset_token(u, bot.bot_id, "api"))
        with pytest.raises(DomainError):
            await writer.run(lambda u: app.reset_token(u, bot.bot_id, "nope"))
        writer.stop()
        return bot, new

    bot, new = asyncio.run(main())
    assert directory.account_by_token_hash(projector.db, hash_token(bot.api_token)) is None
    assert directory.account_by_token_hash(projector.db, hash_token(new))["id"] == bot.bot_id
    assert directory.account_by_token_hash(projector.db, hash_token(bot.token)) is not None
    assert new.startswith(f"{bot.number}:")


def lazy_parts(app, projector, applied: list, linger: float, inline: bool) -> Writer:
    writer = Writer(app, projector, asyncio.get_running_loop(), on_applied=applied.append,
                    linger=linger, inline=inline)
    writer.start()
    return writer


@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_a_lazy_command_rides_in_the_next_commands_transaction(parts, run, inline):
    """On the server's loop too (uvloop, whose timer handles are not asyncio's): the eager
    command ends the linger instead of waiting it out."""
    app, projector = parts
    applied: list = []

    async def main():
        writer = lazy_parts(app, projector, applied, linger=600.0, inline=inline)
        user = await writer.run(lambda u: app.register_user(u, "aa" * 16))
        applied.clear()
        lazy = writer.submit(lambda u: app.register_user(u, "bb" * 16), lazy=True)
        await asyncio.sleep(0.2)
        waited = lazy.done()  # nothing else came: it is still lingering
        await asyncio.wait_for(writer.run(lambda u: app.register_user(u, "cc" * 16)), 60)
        writer.stop()
        return user, waited, await lazy

    user, waited, lazy = run(main())
    assert not waited and lazy.fingerprint == "bb" * 16
    assert len(applied) == 1  # one transaction held both
    assert [type(event).__qualname__ for event, _ in applied[0]].count("User.Registered") == 2


def test_a_lazy_command_alone_is_recorded_once_it_has_lingered(parts, inline):
    app, projector = parts
    applied: list = []

    async def main():
        writer = lazy_parts(app, projector, applied, linger=0.05, inline=inline)
        done = await asyncio.wait_for(
            writer.submit(lambda u: app.register_user(u, "dd" * 16), lazy=True), 10)
        writer.stop()
        return done

    assert directory.account(projector.db, asyncio.run(main()).user_id) is not None
    assert len(applied) == 1


def test_a_stop_records_a_lingering_lazy_command_first(parts, inline):
    app, projector = parts
    applied: list = []

    async def main():
        writer = lazy_parts(app, projector, applied, linger=60.0, inline=inline)
        lazy = writer.submit(lambda u: app.register_user(u, "ee" * 16), lazy=True)
        await asyncio.sleep(0.1)
        writer.stop()  # within the linger: the stop cuts it short, after recording
        await asyncio.sleep(0)
        return await lazy

    assert directory.account(projector.db, asyncio.run(main()).user_id) is not None
