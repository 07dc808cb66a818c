"""The in-memory caller directory, kept current by the writer's applied batches, on a real
log and projections file: a reset token is refused on the very next request."""
import asyncio

import pytest

from api.callers import Callers
from api.writer import Writer
from domain.application import Botbus
from domain.tokens import hash_token
from projections.db import open_projections
from projections.projector import Projector


@pytest.fixture
def parts(tmp_path):
    app = Botbus.open(tmp_path)
    projector = Projector(app.recorder, app.mapper,
                          open_projections(tmp_path / "p.db", handed_over=True))
    yield app, projector, tmp_path / "p.db"
    app.close()


def following(parts) -> tuple[Callers, Writer]:
    """Callers on their own read connection, told of every batch the writer applies."""
    app, projector, path = parts
    callers = Callers(open_projections(path))
    writer = Writer(app, projector, asyncio.get_running_loop(),
                    lambda batch: callers.forget(event for event, _ in batch))
    writer.start()
    return callers, writer


def test_a_reset_token_is_refused_on_the_next_lookup_and_the_new_one_found(parts):
    app = parts[0]

    async def main():
        callers, writer = following(parts)
        bot = await writer.run(lambda u: app.register_bot(u, "CacheBot", "ab" * 16))
        held = callers.by_token_hash(hash_token(bot.api_token))  # read, then held
        again = callers.by_token_hash(hash_token(bot.api_token))
        new = await writer.run(lambda u: app.reset_token(u, bot.bot_id, "api"))
        old_after = callers.by_token_hash(hash_token(bot.api_token))
        new_after = callers.by_token_hash(hash_token(new))
        other_scheme = callers.by_token_hash(hash_token(bot.token))
        writer.stop()
        return bot, held, again, old_after, new_after, other_scheme

    bot, held, again, old_after, new_after, other_scheme = asyncio.run(main())
    assert held is again and held["id"] == bot.bot_id
    assert old_after is None
    assert new_after["id"] == bot.bot_id and other_scheme["id"] == bot.bot_id


def test_a_token_registered_in_one_batch_is_found_in_the_next(parts):
    app = parts[0]

    async def main():
        callers, writer = following(parts)
        missing = callers.by_token_hash(hash_token("not yet"))
        user = await writer.run(lambda u: app.register_user(u, "cd" * 16))
        found = callers.by_token_hash(hash_token(user.token))
        writer.stop()
        return missing, user, found

    missing, user, found = asyncio.run(main())
    assert missing is None and found["id"] == user.user_id


def test_a_chat_id_is_held_until_its_account_changes(parts):
    """Telegram's chat ids (account numbers) are resolved from memory too: a deleted bot's
    alias is gone from the next lookup on."""
    app = parts[0]

    async def main():
        callers, writer = following(parts)
        bot = await writer.run(lambda u: app.register_bot(u, "Chat", "ef" * 16, username="chatbot"))
        unknown = callers.by_number(bot.number + 1000)
        held, again = callers.by_number(bot.number), callers.by_number(bot.number)
        await writer.run(lambda u: app.delete_bot(u, bot.bot_id))
        after = callers.by_number(bot.number)
        writer.stop()
        return bot, unknown, held, again, after, callers

    bot, unknown, held, again, after, callers = asyncio.run(main())
    assert unknown is None and ("number", bot.number + 1000) not in callers._held
    assert held is again and held["alias"] == "chatbot" and held["id"] == bot.bot_id
    assert after["id"] == bot.bot_id and after["alias"] is None


def test_held_tokens_are_bounded_and_unknown_ones_never_held(parts):
    app, projector, path = parts
    unit = app.new_unit()
    users = [app.register_user(unit, f"{n:032x}") for n in range(1, 6)]
    projector.apply_recorded([(r.domain_event, r.notification.id)
                              for r in app.save(*unit.aggregates)])
    callers = Callers(open_projections(path), limit=3)
    for _ in range(100):
        callers.by_token_hash(hash_token("guess"))
    for user in users:
        assert callers.by_token_hash(hash_token(user.token))["id"] == user.user_id
    assert len(callers._held) == 3
