"""Botyard's commands in, past-tense events out (domain/botyard.py, domain/chats.py): keys
derived from the server's secret and kept as hashes, names unique among live bots, deletion
revoking everything, at most ten rooms per user and bot, and a refused command recording
nothing."""
from collections.abc import Callable
from typing import Any

import pytest

from domain.application import Botbus
from domain.bots import Bot
from domain.botyard import NAME_TAKEN, SCHEME
from domain.chats import CHAT_NOT_FOUND, MAX_ROOMS, TOO_MANY_ROOMS, ChatMessage, ChatRooms
from domain.claims import BOT_NAME, Claim, claim_id
from domain.clock import millis
from domain.errors import DomainError, Kind
from domain.ids import aggregate_id
from domain.messages import Message
from domain.tokens import hash_token
from domain.unit import Unit
from domain.webhooks import Webhook
from tests.doubles import CountingIds, FixedClock

SECRET = b"server key secret"


@pytest.fixture
def app():
    botbus = Botbus({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FixedClock(),
                    ids=CountingIds())
    botbus.key_secret = SECRET
    yield botbus
    botbus.close()


def run(app: Botbus, command: Callable[[Unit], Any]) -> Any:
    unit = app.new_unit()
    try:
        result = command(unit)
    except Exception:
        unit.abandon()
        raise
    if unit.aggregates:
        app.save(*unit.aggregates)
    return result


def events(app: Botbus) -> list:
    return [app.mapper.to_domain_event(n)
            for n in app.recorder.select_notifications(start=1, limit=10_000)]


def refused(app: Botbus, command: Callable[[Unit], Any], kind: Kind, message: str) -> None:
    """The command fails with this error and appends nothing."""
    before = len(events(app))
    with pytest.raises(DomainError) as error:
        run(app, command)
    assert (error.value.kind, error.value.message) == (kind, message)
    assert len(events(app)) == before


def test_a_bot_is_made_with_a_key_kept_only_as_its_hash(app):
    made = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "just testing", ""))
    bot_id, token = made.key.split(":")
    assert bot_id == made.bot_id and len(token) == 26 and token.isalnum()
    issued = [e for e in events(app) if isinstance(e, Bot.TokenIssued)]
    assert [(e.scheme, e.token_hash) for e in issued] == [(SCHEME, hash_token(made.key))]
    assert made.key not in repr(events(app)) and token not in repr(events(app))
    # the key is computed again from the secret and the event's salt, never stored
    assert app.botyard_key(made.bot_id, issued[0].salt) == made.key
    app.key_secret = b"another secret"
    assert app.botyard_key(made.bot_id, issued[0].salt) != made.key


def test_a_reset_issues_another_key(app):
    made = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    key = run(app, lambda u: app.reset_botyard_key(u, made.bot_id))
    assert key != made.key and key.startswith(made.bot_id + ":")
    bot = app.repository.get(aggregate_id(made.bot_id))
    assert bot.token_hashes[SCHEME] == hash_token(key)


def test_names_are_unique_among_live_bots_and_free_again_after_a_delete(app):
    first = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    refused(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""), Kind.CONFLICT,
            NAME_TAKEN)
    run(app, lambda u: app.delete_bot(u, first.bot_id))
    second = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    claim = app.repository.get(claim_id(BOT_NAME, "Test bot"))
    assert isinstance(claim, Claim) and claim.owner_id == second.bot_id


def test_an_edited_name_moves_the_claim_and_a_taken_one_is_refused(app):
    one = run(app, lambda u: app.create_botyard_bot(u, "One", "", ""))
    run(app, lambda u: app.create_botyard_bot(u, "Two", "", ""))
    refused(app, lambda u: app.edit_botyard_bot(u, one.bot_id, "Two", "new", ""),
            Kind.CONFLICT, NAME_TAKEN)
    run(app, lambda u: app.edit_botyard_bot(u, one.bot_id, "Uno", "", "https://x.example/a.png"))
    bot = app.repository.get(aggregate_id(one.bot_id))
    assert bot.shown_name == "Uno" and bot.profile["avatar"] == "https://x.example/a.png"
    run(app, lambda u: app.create_botyard_bot(u, "One", "", ""))  # released by the edit


@pytest.mark.parametrize(("name", "description", "avatar", "message"), [
    ("", "", "", "bot name must not be empty"),
    ("x" * 33, "", "", "bot name should not be longer than 32 characters"),
    ("bad_name!", "", "", "bot name should contain upper/lower case English letters, spaces,"
                          " dashes or numbers"),
    ("ok", "d" * 513, "", "bot description should not be longer than 512 characters"),
    ("ok", "", "ftp://x.example/a.png", "specified url is not valid"),
    ("ok", "", "not a url", "specified url is not valid"),
])
def test_bad_bot_fields_are_refused_before_anything_is_recorded(app, name, description,
                                                                 avatar, message):
    refused(app, lambda u: app.create_botyard_bot(u, name, description, avatar), Kind.INVALID,
            message)


def test_commands_are_upserted_by_alias_after_the_whole_list_is_checked(app):
    made = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    run(app, lambda u: app.add_botyard_commands(u, made.bot_id, [
        {"alias": "start", "description": "Start"}, {"alias": "help"}]))
    bot = app.repository.get(aggregate_id(made.bot_id))
    start_id = bot.commands[0]["id"]
    refused(app, lambda u: app.add_botyard_commands(u, made.bot_id, [
        {"alias": "start", "description": "again"}, {"alias": "Bad Alias"}]), Kind.INVALID,
        "command alias should contain lower case English letters, underscores, dashes or"
        " numbers")
    run(app, lambda u: app.add_botyard_commands(u, made.bot_id, [
        {"alias": "start", "description": "Begin"}]))
    bot = app.repository.get(aggregate_id(made.bot_id))
    assert [(c["command"], c["description"], c["id"] == start_id) for c in bot.commands] == [
        ("start", "Begin", True), ("help", "", False)]
    run(app, lambda u: app.remove_botyard_command(u, made.bot_id, start_id))
    refused(app, lambda u: app.remove_botyard_command(u, made.bot_id, start_id),
            Kind.NOT_FOUND, "Command not found.")


def test_deleting_a_bot_revokes_its_tokens_webhook_and_name(app):
    made = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    bot = app.repository.get(aggregate_id(made.bot_id))
    run(app, lambda u: app.set_webhook(u, bot.fingerprint, "http://127.0.0.1:9/h", "", 40,
                                       "botyard"))
    run(app, lambda u: app.delete_bot(u, made.bot_id))
    last = events(app)[-3:]
    assert {type(e) for e in last} == {Webhook.Deleted, Claim.Released, Bot.Deleted}
    bot = app.repository.get(aggregate_id(made.bot_id))
    assert bot.deleted and bot.token_hashes == {}
    refused(app, lambda u: app.delete_bot(u, made.bot_id), Kind.NOT_FOUND, "Bot not found.")
    refused(app, lambda u: app.reset_botyard_key(u, made.bot_id), Kind.NOT_FOUND,
            "Bot not found.")
    refused(app, lambda u: app.open_chat(u, "01jgm1s0000000000000000001", made.bot_id),
            Kind.NOT_FOUND, "Bot not found.")


def test_at_most_ten_rooms_per_user_and_bot_counted_in_the_log(app):
    made = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    user = run(app, lambda u: app.register_web_user(u, "alice", 3, 32))
    rooms = [run(app, lambda u: app.open_chat(u, user, made.bot_id)) for _ in range(MAX_ROOMS)]
    refused(app, lambda u: app.open_chat(u, user, made.bot_id), Kind.INVALID, TOO_MANY_ROOMS)
    run(app, lambda u: app.delete_chat(u, user, made.bot_id, rooms[0]))
    run(app, lambda u: app.open_chat(u, user, made.bot_id))
    refused(app, lambda u: app.delete_chat(u, user, made.bot_id, rooms[0]), Kind.NOT_FOUND,
            CHAT_NOT_FOUND)


def test_messages_go_only_into_open_rooms_and_carry_the_room(app):
    made = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    bot = app.repository.get(aggregate_id(made.bot_id))
    user = run(app, lambda u: app.register_web_user(u, "alice", 3, 32))
    room = run(app, lambda u: app.open_chat(u, user, made.bot_id))
    hello = ChatMessage("héllo", ["01jgm1s0000000000000000009"])
    sent = run(app, lambda u: app.send_in_chat(u, user, user, made.bot_id,
                                               room, hello, 4096, 10))
    message = events(app)[-1]
    assert isinstance(message, Message.Sent) and message.chat == room
    assert message.to == bot.fingerprint
    assert message.content == {"text": "héllo", "attachments": ["01jgm1s0000000000000000009"]}
    assert sent.millis == millis(message.timestamp) and sent.millis > 0
    refused(app, lambda u: app.send_in_chat(u, user, user, made.bot_id, room,
                                            ChatMessage("€" * 2, []), 5, 10), Kind.INVALID,
            "maximum allowed body length is 5 characters")  # 6 bytes
    refused(app, lambda u: app.send_in_chat(u, user, user, made.bot_id, room,
                                            ChatMessage("", ["a"] * 3), 5, 2), Kind.INVALID,
            "maximum number of files allowed is 2")
    run(app, lambda u: app.send_in_chat(u, made.bot_id, user, made.bot_id, room,
                                        ChatMessage("back", []), 4096, 10))
    reply = events(app)[-1]
    assert reply.to == app.repository.get(aggregate_id(user)).fingerprint
    assert reply.sender_id == made.bot_id and reply.content == {"text": "back"}
    run(app, lambda u: app.delete_chat(u, user, made.bot_id, room))
    assert isinstance(events(app)[-1], ChatRooms.Deleted)
    refused(app, lambda u: app.send_in_chat(u, user, user, made.bot_id, room,
                                            hello, 4096, 10), Kind.NOT_FOUND, CHAT_NOT_FOUND)


@pytest.mark.parametrize(("nickname", "message"), [
    ("ab", "Nickname must be at least 3 characters long."),
    ("a" * 33, "Nickname should not be longer than 32 characters."),
    ("bob!", "Nickname should contain only upper/lower case English letters, spaces, dashes"
             " and numbers."),
])
def test_nicknames_follow_the_configured_rules(app, nickname, message):
    refused(app, lambda u: app.register_web_user(u, nickname, 3, 32), Kind.INVALID, message)


def test_no_message_reaches_a_deleted_bot(app):
    made = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    user = run(app, lambda u: app.register_web_user(u, "alice", 3, 32))
    room = run(app, lambda u: app.open_chat(u, user, made.bot_id))
    run(app, lambda u: app.delete_bot(u, made.bot_id))
    refused(app, lambda u: app.send_in_chat(u, user, user, made.bot_id, room,
                                            ChatMessage("hi", []), 4096, 10), Kind.NOT_FOUND,
            "Bot not found.")


def test_a_message_comes_after_the_rooms_last_even_in_the_same_millisecond(app):
    """The web client polls for a reply with a strict `since` = its own message's time: a
    reply stamped in that same millisecond (a fast bot, a clock stepped back) would never
    show, so a room's message is stamped after `after_ms`, its newest message's time."""
    made = run(app, lambda u: app.create_botyard_bot(u, "Test bot", "", ""))
    user = run(app, lambda u: app.register_web_user(u, "alice", 3, 32))
    room = run(app, lambda u: app.open_chat(u, user, made.bot_id))
    first = run(app, lambda u: app.send_in_chat(u, user, user, made.bot_id, room,
                                                ChatMessage("hi", []), 4096, 10))
    reply = run(app, lambda u: app.send_in_chat(u, made.bot_id, user, made.bot_id, room,
                                                ChatMessage("hello", []), 4096, 10,
                                                after_ms=first.millis))
    assert reply.millis == first.millis + 1  # the clock here stands still
    assert millis(events(app)[-1].timestamp) == reply.millis
    later = run(app, lambda u: app.send_in_chat(u, user, user, made.bot_id, room,
                                                ChatMessage("late", []), 4096, 10,
                                                after_ms=first.millis - 5000))
    assert later.millis == first.millis  # a room behind the clock: the clock's own time
