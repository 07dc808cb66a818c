"""Botyard's routes against a real server (botyard.md §1.2-1.5, decisions 1-13): every route's
success status and shape, every validation sentence, and the error envelope, which is never a
500. The refusals of the three auth schemes are in test_auth.py."""
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
import pytest

from tests.botyard.conftest import ADMIN_KEY

ULID = re.compile(r"^[0-9a-hjkmnp-tv-z]{26}$")  # lower-cased Crockford base32
TOKEN = re.compile(r"^[A-Za-z0-9]{26}$")
WEEK_S = 10080 * 60  # limits.user.authTokenLifetime default, in minutes
CLOCK_SLACK_S = 60
UNKNOWN_ID = "01hc76p6ma76qfrs0bfr5x2pry"  # well-formed, never issued by this server
HOOK = "http://127.0.0.1:9/hook"  # never called: no user writes to a bot with a webhook here
PNG = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(64)
AS_ADMIN = {"Authorization": ADMIN_KEY}

NAME_CHARS = ("bot name should contain upper/lower case English letters, spaces, dashes"
              " or numbers")
ALIAS_CHARS = ("command alias should contain lower case English letters, underscores, dashes"
               " or numbers")
NICKNAME_CHARS = ("Nickname should contain only upper/lower case English letters, spaces,"
                  " dashes and numbers.")
BODY_TOO_LONG = "maximum allowed body length is 4096 characters"
TOO_MANY_FILES = "maximum number of files allowed is 10"


def unique(prefix: str = "bot") -> str:
    return f"{prefix} {secrets.token_hex(4)}"


def refused(answer: httpx.Response, status: int, message: str) -> None:
    """Botyard's envelope, exactly: `{"message": ...}` as JSON."""
    assert (answer.status_code, answer.json()) == (status, {"message": message}), answer.text
    assert answer.headers["content-type"].split(";")[0] == "application/json"


def said(answer: httpx.Response, message: str, status: int = 200) -> None:
    refused(answer, status, message)


def enveloped(answer: httpx.Response, status: int) -> None:
    """An error whose wording is the parser's: still the envelope, still not a 500."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].split(";")[0] == "application/json"
    body = answer.json()
    assert list(body) == ["message"] and isinstance(body["message"], str) and body["message"]


def open_chat(user: httpx.Client, bot_id: str) -> dict:
    answer = user.post("/v1/client-api/chat", json={"botId": bot_id})
    assert answer.status_code == 201, answer.text
    return answer.json()


def user_says(user: httpx.Client, chat_id: str, body: str, **extra) -> dict:
    answer = user.post("/v1/client-api/chat/message", json={"chatId": chat_id, "body": body,
                                                            **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def bot_says(bot, chat_id: str, body: str) -> dict:
    answer = bot.http.post("/v1/bot-api/chat/message", json={"chatId": chat_id, "body": body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def is_now_ms(timestamp: int) -> bool:
    return abs(timestamp - time.time() * 1000) < CLOCK_SLACK_S * 1000


@pytest.fixture(scope="module")
def anon(server) -> Iterator[httpx.Client]:
    """One client for the whole module that keeps no cookies: every credential is explicit.
    (The bad-input tables share it and `pair`, since each new httpx client costs ~50 ms.)"""
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    with httpx.Client(base_url=server.url, timeout=15, cookies=no_cookies) as client:
        yield client


@dataclass(frozen=True)
class Pair:
    """A bot (with the command `start`), a user and their chat, shared by the bad-input tables,
    whose rows compare the state before and after a refusal."""

    bot_id: str
    as_bot: dict[str, str]
    user_id: str
    as_user: dict[str, str]
    chat: str

    def total(self, anon: httpx.Client) -> int:
        page = anon.get(f"/v1/bot-api/chat/{self.chat}/messages", headers=self.as_bot)
        return page.json()["total"]


@pytest.fixture(scope="module")
def pair(anon) -> Pair:
    made = anon.post("/v1/admin-api/bot", json={"name": unique()}, headers=AS_ADMIN).json()
    as_bot = {"Authorization": made["key"]}
    anon.post("/v1/bot-api/bot/commands", json=[{"alias": "start", "description": "Go"}],
              headers=as_bot)
    answer = anon.post("/v1/client-api/user", json={"nickname": "pair user"})
    as_user = {"Cookie": f"token={answer.cookies['token']}"}
    chat = anon.post("/v1/client-api/chat", json={"botId": made["bot"]["id"]}, headers=as_user)
    assert chat.status_code == 201, chat.text
    return Pair(made["bot"]["id"], as_bot, answer.json()["id"], as_user, chat.json()["id"])


# ---- admin API -------------------------------------------------------------------------------

def test_admin_creates_a_bot_and_gets_its_key(admin) -> None:
    name = unique()
    answer = admin.post("/v1/admin-api/bot", json={
        "name": name, "description": "Says hi", "avatar": "https://example.com/a.png"})
    assert answer.status_code == 201, answer.text
    made = answer.json()
    bot_id = made["bot"]["id"]
    assert ULID.match(bot_id)
    assert made == {"bot": {"id": bot_id, "name": name, "description": "Says hi",
                            "avatar": "https://example.com/a.png"}, "key": made["key"]}
    key_id, token = made["key"].split(":")
    assert key_id == bot_id and TOKEN.match(token)


def test_a_bot_without_description_or_avatar_shows_neither(new_bot) -> None:
    """Go's omitempty: empty optional fields are left out, not sent as ""."""
    bot = new_bot()
    assert bot.shown == {"id": bot.id, "name": bot.shown["name"]}


def test_the_longest_allowed_name_and_description_are_accepted(new_bot) -> None:
    name = (unique() + "-" * 32)[:32]
    bot = new_bot(name, description="d" * 512)
    assert bot.shown["name"] == name and bot.shown["description"] == "d" * 512


@pytest.mark.parametrize("fields, message", [
    ({"name": ""}, "bot name must not be empty"),
    ({"name": "x" * 33}, "bot name should not be longer than 32 characters"),
    ({"name": "under_score"}, NAME_CHARS),
    ({"name": "bang!"}, NAME_CHARS),
    ({"name": "caf\u00e9"}, NAME_CHARS),
    ({"description": "d" * 513}, "bot description should not be longer than 512 characters"),
    ({"avatar": "ftp://example.com/a.png"}, "specified url is not valid"),
    ({"avatar": "example.com/a.png"}, "specified url is not valid"),
    ({"avatar": "not a url"}, "specified url is not valid"),
])
def test_creating_an_invalid_bot_is_refused(anon, fields, message) -> None:
    name = unique()
    refused(anon.post("/v1/admin-api/bot", json={"name": name, **fields}, headers=AS_ADMIN), 400,
            message)
    assert name not in [bot["name"] for bot in anon.get("/v1/client-api/bots").json()]


def test_a_bot_without_a_name_is_refused(admin) -> None:
    refused(admin.post("/v1/admin-api/bot", json={"description": "nameless"}), 400,
            "bot name must not be empty")


def test_a_second_bot_with_the_same_name_is_refused(admin, new_bot) -> None:
    bot = new_bot()
    refused(admin.post("/v1/admin-api/bot", json={"name": bot.shown["name"]}), 400,
            "Bot with this name already exists.")


def test_get_key_returns_the_current_key(admin, new_bot) -> None:
    bot = new_bot()
    answer = admin.get(f"/v1/admin-api/bot/{bot.id}/key")
    assert (answer.status_code, answer.json()) == (200, {"key": bot.key})


def test_get_key_of_an_unknown_bot_is_404(admin) -> None:
    refused(admin.get(f"/v1/admin-api/bot/{UNKNOWN_ID}/key"), 404, "Key not found.")


def test_resetting_the_key_refuses_the_old_one_at_once(admin, new_bot) -> None:
    bot = new_bot()
    answer = admin.put(f"/v1/admin-api/bot/{bot.id}/key")
    assert answer.status_code == 200, answer.text
    assert list(answer.json()) == ["key"]
    key = answer.json()["key"]
    key_id, token = key.split(":")
    assert key != bot.key and key_id == bot.id and TOKEN.match(token)
    refused(bot.http.get("/v1/bot-api/bot"), 403, "Invalid bot key.")
    fresh = bot.http.get("/v1/bot-api/bot", headers={"Authorization": key})
    assert (fresh.status_code, fresh.json()) == (200, bot.shown)
    assert admin.get(f"/v1/admin-api/bot/{bot.id}/key").json() == {"key": key}


def test_deleting_a_bot_revokes_it_everywhere_and_frees_its_name(admin, new_bot,
                                                                 new_user) -> None:
    bot, user = new_bot(), new_user("deleter")
    assert bot.http.post("/v1/bot-api/bot/commands", json=[{"alias": "start"}]).status_code == 201
    said(admin.delete(f"/v1/admin-api/bot/{bot.id}"), "Bot deleted.")
    refused(bot.http.get("/v1/bot-api/bot"), 403, "Invalid bot key.")
    assert bot.id not in [b["id"] for b in user.get("/v1/client-api/bots").json()]
    refused(user.get(f"/v1/client-api/bot/{bot.id}"), 404, "Bot not found.")
    refused(user.get(f"/v1/client-api/bot/{bot.id}/commands"), 404, "Bot not found.")
    refused(user.post("/v1/client-api/chat", json={"botId": bot.id}), 404, "Bot not found.")
    refused(admin.delete(f"/v1/admin-api/bot/{bot.id}"), 404, "Bot not found.")
    again = new_bot(bot.shown["name"])
    assert again.id != bot.id and again.shown["name"] == bot.shown["name"]


def test_deleting_an_unknown_bot_is_404(admin) -> None:
    refused(admin.delete(f"/v1/admin-api/bot/{UNKNOWN_ID}"), 404, "Bot not found.")


def test_reloading_the_config_says_so(admin) -> None:
    said(admin.put("/v1/admin-api/config"), "Config reloaded.")


# ---- bot API: profile ------------------------------------------------------------------------

def test_a_bot_reads_its_own_profile(new_bot) -> None:
    bot = new_bot(description="About me", avatar="http://example.com/me.png")
    answer = bot.http.get("/v1/bot-api/bot")
    assert (answer.status_code, answer.json()) == (200, bot.shown)
    assert set(bot.shown) == {"id", "name", "description", "avatar"}


def test_editing_a_bot_ignores_empty_and_absent_fields(new_bot, new_user) -> None:
    """A field cannot be cleared: "" and a missing key both leave it as it is."""
    bot = new_bot(description="Old", avatar="https://example.com/old.png")
    name = unique()
    expected = {**bot.shown, "name": name}
    answer = bot.http.put("/v1/bot-api/bot", json={"name": name, "description": ""})
    assert (answer.status_code, answer.json()) == (200, expected)
    expected["description"] = "New"
    answer = bot.http.put("/v1/bot-api/bot", json={"description": "New", "avatar": ""})
    assert (answer.status_code, answer.json()) == (200, expected)
    assert bot.http.put("/v1/bot-api/bot", json={}).json() == expected
    assert bot.http.get("/v1/bot-api/bot").json() == expected
    assert new_user("viewer").get(f"/v1/client-api/bot/{bot.id}").json() == expected


@pytest.mark.parametrize("fields, message", [
    ({"name": "x" * 33}, "bot name should not be longer than 32 characters"),
    ({"name": "no_underscores"}, NAME_CHARS),
    ({"description": "d" * 513}, "bot description should not be longer than 512 characters"),
    ({"avatar": "mailto:bot@example.com"}, "specified url is not valid"),
])
def test_an_invalid_edit_changes_nothing(anon, pair, fields, message) -> None:
    before = anon.get("/v1/bot-api/bot", headers=pair.as_bot).json()
    refused(anon.put("/v1/bot-api/bot", json=fields, headers=pair.as_bot), 400, message)
    assert anon.get("/v1/bot-api/bot", headers=pair.as_bot).json() == before


# ---- bot API: commands -----------------------------------------------------------------------

def commands_of(http: httpx.Client, path: str = "/v1/bot-api/bot/commands",
                headers: dict[str, str] | None = None) -> dict[str, dict]:
    answer = http.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    aliases = [command["alias"] for command in answer.json()]
    assert len(aliases) == len(set(aliases)), aliases
    return {command["alias"]: command for command in answer.json()}


def test_a_new_bot_has_no_commands(new_bot) -> None:
    answer = new_bot().http.get("/v1/bot-api/bot/commands")
    assert (answer.status_code, answer.json()) == (200, [])


def test_commands_are_added_and_listed(new_bot, new_user) -> None:
    bot = new_bot()
    said(bot.http.post("/v1/bot-api/bot/commands", json=[
        {"alias": "start", "description": "Start the bot"}, {"alias": "help-me_2"}]),
        "Commands added.", 201)
    listed = commands_of(bot.http)
    assert set(listed) == {"start", "help-me_2"}
    assert listed["start"] == {"id": listed["start"]["id"], "alias": "start",
                               "description": "Start the bot"}
    assert listed["help-me_2"] == {"id": listed["help-me_2"]["id"], "alias": "help-me_2"}
    assert all(ULID.match(command["id"]) for command in listed.values())
    assert commands_of(new_user("reader"), f"/v1/client-api/bot/{bot.id}/commands") == listed


def test_re_adding_an_alias_updates_that_command_in_place(new_bot) -> None:
    """Upsert by alias (decision 3): one `start`, same id, new description."""
    bot = new_bot()
    bot.http.post("/v1/bot-api/bot/commands", json=[{"alias": "start", "description": "Old"},
                                                    {"alias": "help"}])
    before = commands_of(bot.http)
    said(bot.http.post("/v1/bot-api/bot/commands", json=[
        {"alias": "start", "description": "New"}, {"alias": "stop"}]), "Commands added.", 201)
    after = commands_of(bot.http)
    assert set(after) == {"start", "help", "stop"}
    assert after["start"] == {"id": before["start"]["id"], "alias": "start", "description": "New"}
    assert after["help"] == before["help"]


def test_the_longest_alias_and_description_are_accepted(new_bot) -> None:
    bot = new_bot()
    alias = "a" * 32
    said(bot.http.post("/v1/bot-api/bot/commands", json=[
        {"alias": alias, "description": "d" * 128}]), "Commands added.", 201)
    assert commands_of(bot.http)[alias]["description"] == "d" * 128


@pytest.mark.parametrize("command, message", [
    ({"alias": ""}, "command alias must not be empty"),
    ({"description": "no alias"}, "command alias must not be empty"),
    ({"alias": "a" * 33}, "command alias should not be longer than 32 characters"),
    ({"alias": "Start"}, ALIAS_CHARS),
    ({"alias": "two words"}, ALIAS_CHARS),
    ({"alias": "/start"}, ALIAS_CHARS),
    ({"alias": "ok", "description": "d" * 129},
     "command description should not be longer than 128 characters"),
])
def test_an_invalid_third_command_leaves_the_list_unchanged(anon, pair, command,
                                                           message) -> None:
    """The whole array is checked before anything is saved (decision 3)."""
    before = commands_of(anon, headers=pair.as_bot)
    assert before["start"]["description"] == "Go"
    refused(anon.post("/v1/bot-api/bot/commands", headers=pair.as_bot, json=[
        {"alias": "start", "description": "Changed"}, {"alias": "fresh"}, command]), 400, message)
    assert commands_of(anon, headers=pair.as_bot) == before


def test_deleting_a_command(new_bot) -> None:
    bot, other = new_bot(), new_bot()
    bot.http.post("/v1/bot-api/bot/commands", json=[{"alias": "start"}, {"alias": "help"}])
    listed = commands_of(bot.http)
    refused(other.http.delete(f"/v1/bot-api/bot/command/{listed['start']['id']}"), 403,
            "Can't delete a command that belongs to another bot.")
    assert commands_of(bot.http) == listed
    said(bot.http.delete(f"/v1/bot-api/bot/command/{listed['start']['id']}"), "Command removed.")
    assert commands_of(bot.http) == {"help": listed["help"]}
    refused(bot.http.delete(f"/v1/bot-api/bot/command/{listed['start']['id']}"), 404,
            "Command not found.")
    refused(bot.http.delete(f"/v1/bot-api/bot/command/{UNKNOWN_ID}"), 404, "Command not found.")
    refused(bot.http.delete("/v1/bot-api/bot/command/not-an-id"), 404, "Command not found.")


# ---- bot API: webhook ------------------------------------------------------------------------

def test_webhook_set_read_replaced_and_deleted(new_bot) -> None:
    bot = new_bot()
    refused(bot.http.get("/v1/bot-api/bot/webhook"), 404, "Webhook not found.")
    refused(bot.http.delete("/v1/bot-api/bot/webhook"), 404, "Webhook not found.")
    plain = {"botId": bot.id, "url": HOOK}
    answer = bot.http.post("/v1/bot-api/bot/webhook", json={"url": HOOK, "secret": ""})
    assert (answer.status_code, answer.json()) == (200, plain)
    assert bot.http.get("/v1/bot-api/bot/webhook").json() == plain
    secret = {"botId": bot.id, "url": HOOK + "/2", "secret": "s3cret"}
    answer = bot.http.post("/v1/bot-api/bot/webhook", json={"url": HOOK + "/2",
                                                            "secret": "s3cret"})
    assert (answer.status_code, answer.json()) == (200, secret)
    got = bot.http.get("/v1/bot-api/bot/webhook")
    assert (got.status_code, got.json()) == (200, secret)
    said(bot.http.delete("/v1/bot-api/bot/webhook"), "Webhook deleted.")
    refused(bot.http.get("/v1/bot-api/bot/webhook"), 404, "Webhook not found.")
    refused(bot.http.delete("/v1/bot-api/bot/webhook"), 404, "Webhook not found.")


def test_the_longest_webhook_url_and_secret_are_accepted(new_bot) -> None:
    bot = new_bot()
    url = HOOK + "/" + "a" * (128 - len(HOOK) - 1)
    answer = bot.http.post("/v1/bot-api/bot/webhook", json={"url": url, "secret": "s" * 64})
    assert (answer.status_code, answer.json()) == (200, {"botId": bot.id, "url": url,
                                                         "secret": "s" * 64})


@pytest.mark.parametrize("body, message", [
    ({}, "webhook url must not be empty"),
    ({"url": ""}, "webhook url must not be empty"),
    ({"url": HOOK + "/" + "a" * (129 - len(HOOK) - 1)},
     "webhook url should not be longer than 128 characters"),
    ({"url": "ftp://example.com/hook"}, "specified url is not valid"),
    ({"url": "example.com/hook"}, "specified url is not valid"),
    ({"url": "https://"}, "specified url is not valid"),
    ({"url": HOOK, "secret": "s" * 65}, "webhook secret should not be longer than 64 characters"),
])
def test_an_invalid_webhook_is_refused_and_not_set(anon, pair, body, message) -> None:
    refused(anon.post("/v1/bot-api/bot/webhook", json=body, headers=pair.as_bot), 400, message)
    refused(anon.get("/v1/bot-api/bot/webhook", headers=pair.as_bot), 404, "Webhook not found.")


# ---- bot API: chats and messages -------------------------------------------------------------

def test_a_bot_lists_one_users_chats_with_itself_only(new_bot, new_user) -> None:
    bot, other = new_bot(), new_bot()
    user, stranger = new_user("alice"), new_user("mallory")
    mine = [open_chat(user, bot.id) for _ in range(2)]
    open_chat(user, other.id)
    open_chat(stranger, bot.id)
    answer = bot.http.get("/v1/bot-api/chats", params={"user_id": user.user["id"]})
    assert answer.status_code == 200, answer.text
    assert sorted(answer.json(), key=lambda chat: chat["id"]) == sorted(
        mine, key=lambda chat: chat["id"])
    assert all(chat == {"id": chat["id"], "userId": user.user["id"], "botId": bot.id}
               for chat in mine)
    assert bot.http.get("/v1/bot-api/chats", params={"user_id": UNKNOWN_ID}).json() == []


@pytest.mark.parametrize("query", ["", "?user_id="])
def test_listing_chats_needs_a_user_id(anon, pair, query) -> None:
    refused(anon.get("/v1/bot-api/chats" + query, headers=pair.as_bot), 400,
            "User ID is required.")


def test_a_bot_reads_a_raw_message_by_id(new_bot, new_user) -> None:
    bot, user = new_bot(), new_user("writer")
    chat = open_chat(user, bot.id)
    sent = user_says(user, chat["id"], "hello bot")
    assert ULID.match(sent["id"]) and is_now_ms(sent["timestamp"])
    assert sent == {"id": sent["id"], "chatId": chat["id"], "senderId": user.user["id"],
                    "body": "hello bot", "timestamp": sent["timestamp"]}
    answer = bot.http.get(f"/v1/bot-api/chat/message/{sent['id']}")
    assert (answer.status_code, answer.json()) == (200, sent)


def test_unknown_attachment_ids_are_kept_as_ids_but_shown_as_no_files(new_bot,
                                                                      new_user) -> None:
    """Attachment ids are not checked; answers hold only the files that exist (§1.5)."""
    bot, user = new_bot(), new_user("attacher")
    chat = open_chat(user, bot.id)
    ids = [UNKNOWN_ID, "01hc76p6ma76qfrs0bfr5x2prz"]
    sent = user_says(user, chat["id"], "see files", attachmentIds=ids)
    assert "attachments" not in sent
    raw = bot.http.get(f"/v1/bot-api/chat/message/{sent['id']}").json()
    assert raw == {"id": sent["id"], "chatId": chat["id"], "senderId": user.user["id"],
                   "body": "see files", "attachmentIds": ids, "timestamp": sent["timestamp"]}


@pytest.mark.parametrize("message_id", [UNKNOWN_ID, "not-an-id"])
def test_an_unknown_message_is_404(anon, pair, message_id) -> None:
    refused(anon.get(f"/v1/bot-api/chat/message/{message_id}", headers=pair.as_bot), 404,
            "Message not found.")


def test_another_bots_message_is_403(new_bot, new_user) -> None:
    bot, other, user = new_bot(), new_bot(), new_user("writer")
    sent = user_says(user, open_chat(user, bot.id)["id"], "for bot only")
    refused(other.http.get(f"/v1/bot-api/chat/message/{sent['id']}"), 403,
            "Chat is not related to current bot.")


def test_a_bot_answers_in_a_chat(new_bot, new_user) -> None:
    bot, user = new_bot(), new_user("asker")
    chat = open_chat(user, bot.id)
    reply = bot_says(bot, chat["id"], "hi human")
    assert ULID.match(reply["id"]) and is_now_ms(reply["timestamp"])
    assert reply == {"id": reply["id"], "chatId": chat["id"], "senderId": bot.id,
                     "body": "hi human", "timestamp": reply["timestamp"]}


def test_a_bot_cannot_write_into_an_unknown_or_foreign_chat(new_bot, new_user) -> None:
    bot, other, user = new_bot(), new_bot(), new_user("asker")
    chat = open_chat(user, bot.id)
    refused(other.http.post("/v1/bot-api/chat/message", json={"chatId": chat["id"], "body": "x"}),
            403, "Chat is not related to current bot.")
    refused(bot.http.post("/v1/bot-api/chat/message", json={"chatId": UNKNOWN_ID, "body": "x"}),
            404, "Chat not found.")


def test_message_pages_list_both_sides_oldest_first(new_bot, new_user) -> None:
    """Decision 7: list items carry chatId; page 1 is the newest `limit`, oldest first."""
    bot, user = new_bot(), new_user("pager")
    chat = open_chat(user, bot.id)
    first = user_says(user, chat["id"], "one")
    second = bot_says(bot, chat["id"], "two")
    whole = {"chatId": chat["id"], "total": 2, "page": 1, "limit": 20,
             "messages": [first, second]}
    for client, path in ((user, "/v1/client-api/chat"), (bot.http, "/v1/bot-api/chat")):
        answer = client.get(f"{path}/{chat['id']}/messages")
        assert (answer.status_code, answer.json()) == (200, whole)
        newest = client.get(f"{path}/{chat['id']}/messages", params={"limit": 1}).json()
        assert newest == {**whole, "limit": 1, "messages": [second]}
        bots_only = client.get(f"{path}/{chat['id']}/messages",
                               params={"sender_id": bot.id}).json()
        assert bots_only == {**whole, "total": 1, "messages": [second]}


# ---- sending: limits shared by both sides ----------------------------------------------------

SENDERS = {"user": "/v1/client-api/chat/message", "bot": "/v1/bot-api/chat/message"}


def send_as(anon: httpx.Client, pair: Pair, side: str, **fields) -> httpx.Response:
    return anon.post(SENDERS[side], json={"chatId": pair.chat, **fields},
                     headers=pair.as_user if side == "user" else pair.as_bot)


@pytest.mark.parametrize("side", SENDERS)
@pytest.mark.parametrize("body", ["", "\u20ac" * 1365 + "a", "a" * 4096])
def test_bodies_up_to_4096_bytes_are_accepted(anon, pair, side, body) -> None:
    answer = send_as(anon, pair, side, body=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["body"] == body


@pytest.mark.parametrize("side", SENDERS)
@pytest.mark.parametrize("fields, message", [
    ({"body": "\u20ac" * 1366}, BODY_TOO_LONG),  # 1366 characters, 4098 bytes
    ({"body": "a" * 4097}, BODY_TOO_LONG),
    ({"body": "x", "attachmentIds": [f"{UNKNOWN_ID[:-2]}{n:02d}" for n in range(11)]},
     TOO_MANY_FILES),
])
def test_a_message_over_the_limits_is_refused_and_not_stored(anon, pair, side, fields,
                                                             message) -> None:
    before = pair.total(anon)
    refused(send_as(anon, pair, side, **fields), 400, message)
    assert pair.total(anon) == before


@pytest.mark.parametrize("side", SENDERS)
def test_ten_attachment_ids_are_accepted(anon, pair, side) -> None:
    ids = [f"{UNKNOWN_ID[:-2]}{n:02d}" for n in range(10)]
    answer = send_as(anon, pair, side, body="ten", attachmentIds=ids)
    assert answer.status_code == 201, answer.text


def test_the_web_clients_extra_sender_id_is_ignored(new_bot, new_user) -> None:
    """Decision 13: the web client sends `senderId` and an empty `attachmentIds`."""
    bot, user = new_bot(), new_user("web client")
    chat = open_chat(user, bot.id)
    sent = user_says(user, chat["id"], "hi", senderId=bot.id, attachmentIds=[])
    assert sent["senderId"] == user.user["id"] and "attachments" not in sent


@pytest.mark.parametrize("chat_id", ["", UNKNOWN_ID])
def test_a_user_cannot_write_into_an_unknown_chat(anon, pair, chat_id) -> None:
    refused(anon.post("/v1/client-api/chat/message", json={"chatId": chat_id, "body": "anyone?"},
                      headers=pair.as_user), 404, "Chat not found.")


# ---- files -----------------------------------------------------------------------------------

def test_uploads_are_file_objects_served_under_static(anon, new_bot, new_user) -> None:
    bot, user = new_bot(), new_user("uploader")
    answer = bot.http.post("/v1/bot-api/files", files=[
        ("file", ("pic.png", PNG, "image/png")), ("file", ("notes.txt", b"hi", "text/plain"))])
    assert answer.status_code == 200, answer.text
    pic, notes = answer.json()
    assert pic == {"id": pic["id"], "path": pic["path"], "name": "pic.png", "size": len(PNG),
                   "mimeType": "image/png"}
    assert ULID.match(pic["id"]) and re.fullmatch(r"static/images/[0-9a-z]{26}\.png", pic["path"])
    assert notes["path"].startswith("static/files/") and notes["mimeType"] == "text/plain"
    download = anon.get(f"/{pic['path']}")
    assert (download.status_code, download.content) == (200, PNG)
    answer = user.post("/v1/client-api/files", files=[
        ("file", ("odd", b"?", "application/x-botbus-unknown"))])  # decision 11: no extension
    assert answer.status_code == 200, answer.text
    odd, = answer.json()
    assert re.fullmatch(r"static/files/[0-9a-z]{26}", odd["path"]), odd
    chat = open_chat(user, bot.id)
    sent = user_says(user, chat["id"], "look", attachmentIds=[pic["id"], UNKNOWN_ID])
    assert sent["attachments"] == [pic]


# ---- client API ------------------------------------------------------------------------------

def test_service_info_always_has_description_and_socials(anon) -> None:
    """Decision 13: the web client calls .length and .map on them."""
    answer = anon.get("/v1/client-api/service-info")
    assert answer.status_code == 200, answer.text
    info = answer.json()
    assert isinstance(info["name"], str) and info["name"]
    assert isinstance(info["description"], str) and isinstance(info["socials"], list)


def token_cookie(answer: httpx.Response) -> dict[str, str]:
    """The `token` Set-Cookie, as {attribute (lower case): value}, its value under "token"."""
    for header in answer.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == "token":
            parts = [part.strip() for part in ("token=" + rest).split(";")]
            return {key.lower(): value for key, _, value in (p.partition("=") for p in parts)}
    raise AssertionError(f"no token cookie in {answer.headers}")


def test_creating_a_user_signs_it_in_with_a_week_long_cookie(anon) -> None:
    """Decision 10: HttpOnly, SameSite=Lax, Path=/, no Domain, no Secure; §1.3: 7 days."""
    answer = anon.post("/v1/client-api/user", json={"nickname": "Ann-Marie 2"})
    assert answer.status_code == 201, answer.text
    user = answer.json()
    assert user == {"id": user["id"], "nickname": "Ann-Marie 2"} and ULID.match(user["id"])
    cookie = token_cookie(answer)
    assert cookie["token"] and cookie["path"] == "/" and cookie["samesite"].lower() == "lax"
    assert "httponly" in cookie and "domain" not in cookie and "secure" not in cookie
    expires = parsedate_to_datetime(cookie["expires"]).timestamp()
    assert abs(expires - (time.time() + WEEK_S)) < CLOCK_SLACK_S
    me = anon.get("/v1/client-api/user", headers={"Cookie": f"token={cookie['token']}"})
    assert (me.status_code, me.json()) == (200, user)


def test_nicknames_need_not_be_unique(new_user) -> None:
    first, second = new_user("Same Name"), new_user("Same Name")
    assert first.user["id"] != second.user["id"]


@pytest.mark.parametrize("body, message", [
    ({}, "Nickname must be at least 3 characters long."),
    ({"nickname": "ab"}, "Nickname must be at least 3 characters long."),
    ({"nickname": "x" * 33}, "Nickname should not be longer than 32 characters."),
    ({"nickname": "bob!"}, NICKNAME_CHARS),
    ({"nickname": "under_score"}, NICKNAME_CHARS),
    ({"nickname": "J\u00fcrgen"}, NICKNAME_CHARS),
])
def test_an_invalid_nickname_is_refused_without_a_cookie(anon, body, message) -> None:
    answer = anon.post("/v1/client-api/user", json=body)
    refused(answer, 400, message)
    assert "token=" not in answer.headers.get("set-cookie", "")


def test_the_longest_and_shortest_nicknames_are_accepted(new_user) -> None:
    assert new_user("abc").user["nickname"] == "abc"
    assert new_user("x" * 32).user["nickname"] == "x" * 32


def test_anyone_lists_and_reads_bots(anon, new_bot) -> None:
    plain = new_bot()
    full = new_bot(description="Helps", avatar="https://example.com/h.png")
    answer = anon.get("/v1/client-api/bots")
    assert answer.status_code == 200, answer.text
    listed = {bot["id"]: bot for bot in answer.json()}
    assert listed[plain.id] == {"id": plain.id, "name": plain.shown["name"]}
    assert listed[full.id] == full.shown and set(full.shown) == {"id", "name", "description",
                                                                 "avatar"}
    answer = anon.get(f"/v1/client-api/bot/{full.id}")
    assert (answer.status_code, answer.json()) == (200, full.shown)


@pytest.mark.parametrize("bot_id", [UNKNOWN_ID, "nope"])
def test_an_unknown_bot_is_404(anon, bot_id) -> None:
    refused(anon.get(f"/v1/client-api/bot/{bot_id}"), 404, "Bot not found.")


def test_a_bots_commands_need_the_cookie(anon, new_bot, new_user) -> None:
    bot, user = new_bot(), new_user("reader")
    bot.http.post("/v1/bot-api/bot/commands", json=[{"alias": "start", "description": "Go"}])
    path = f"/v1/client-api/bot/{bot.id}/commands"
    refused(anon.get(path), 401, "User is unauthorized.")
    answer = user.get(path)
    assert answer.status_code == 200 and [c["alias"] for c in answer.json()] == ["start"]
    refused(user.get(f"/v1/client-api/bot/{UNKNOWN_ID}/commands"), 404, "Bot not found.")


def test_opening_a_chat(new_bot, new_user) -> None:
    bot, user = new_bot(), new_user("opener")
    answer = user.post("/v1/client-api/chat", json={"botId": bot.id})
    assert answer.status_code == 201, answer.text
    chat = answer.json()
    assert chat == {"id": chat["id"], "userId": user.user["id"], "botId": bot.id}
    assert ULID.match(chat["id"])


@pytest.mark.parametrize("body, status, message", [
    ({}, 400, "bot id must not be empty"),
    ({"botId": ""}, 400, "bot id must not be empty"),
    ({"botId": UNKNOWN_ID}, 404, "Bot not found."),
])
def test_opening_a_chat_needs_a_known_bot(anon, pair, body, status, message) -> None:
    refused(anon.post("/v1/client-api/chat", json=body, headers=pair.as_user), status, message)


def test_ten_chats_per_user_and_bot_and_deleting_one_frees_a_place(new_bot, new_user) -> None:
    bot, other, user = new_bot(), new_bot(), new_user("chatty")
    chats = [open_chat(user, bot.id) for _ in range(10)]
    too_many = "Cannot create more than 10 chat rooms with the same bot."
    refused(user.post("/v1/client-api/chat", json={"botId": bot.id}), 400, too_many)
    open_chat(user, other.id)  # counted per bot
    open_chat(new_user("someone else"), bot.id)  # and per user
    said(user.delete(f"/v1/client-api/chat/{chats[0]['id']}"), "Chat deleted.")
    open_chat(user, bot.id)
    refused(user.post("/v1/client-api/chat", json={"botId": bot.id}), 400, too_many)


def test_a_user_lists_their_chats_with_one_bot(new_bot, new_user) -> None:
    bot, other, user = new_bot(), new_bot(), new_user("lister")
    mine = sorted((open_chat(user, bot.id) for _ in range(2)), key=lambda chat: chat["id"])
    open_chat(user, other.id)
    open_chat(new_user("someone else"), bot.id)
    answer = user.get("/v1/client-api/chats", params={"bot_id": bot.id})
    assert answer.status_code == 200, answer.text
    assert sorted(answer.json(), key=lambda chat: chat["id"]) == mine


@pytest.mark.parametrize("query, status, message", [
    ("", 400, "Bot ID is required."),
    ("?bot_id=", 400, "Bot ID is required."),
    (f"?bot_id={UNKNOWN_ID}", 404, "Bot not found."),
])
def test_listing_chats_needs_a_known_bot(anon, pair, query, status, message) -> None:
    refused(anon.get("/v1/client-api/chats" + query, headers=pair.as_user), status, message)


def test_deleting_a_chat_deletes_its_messages(new_bot, new_user) -> None:
    bot, user = new_bot(), new_user("deleter")
    chat = open_chat(user, bot.id)
    sent = user_says(user, chat["id"], "soon gone")
    said(user.delete(f"/v1/client-api/chat/{chat['id']}"), "Chat deleted.")
    assert user.get("/v1/client-api/chats", params={"bot_id": bot.id}).json() == []
    refused(user.get(f"/v1/client-api/chat/{chat['id']}/messages"), 404, "Chat not found.")
    refused(bot.http.get(f"/v1/bot-api/chat/{chat['id']}/messages"), 404, "Chat not found.")
    refused(bot.http.get(f"/v1/bot-api/chat/message/{sent['id']}"), 404, "Message not found.")
    refused(user.delete(f"/v1/client-api/chat/{chat['id']}"), 404, "Chat not found.")
    refused(user.post("/v1/client-api/chat/message", json={"chatId": chat["id"], "body": "x"}),
            404, "Chat not found.")


# ---- the envelope, whatever the input --------------------------------------------------------

ROUTES_WITH_BODIES = [
    ("admin", "POST", "/v1/admin-api/bot"),
    ("bot", "PUT", "/v1/bot-api/bot"),
    ("bot", "POST", "/v1/bot-api/bot/commands"),
    ("bot", "POST", "/v1/bot-api/bot/webhook"),
    ("bot", "POST", "/v1/bot-api/chat/message"),
    ("anyone", "POST", "/v1/client-api/user"),
    ("user", "POST", "/v1/client-api/chat"),
    ("user", "POST", "/v1/client-api/chat/message"),
]


def credentials(who: str, pair: Pair) -> dict[str, str]:
    return {"admin": AS_ADMIN, "bot": pair.as_bot, "user": pair.as_user, "anyone": {}}[who]


@pytest.mark.parametrize("who, method, path", ROUTES_WITH_BODIES)
def test_a_malformed_json_body_is_a_400_envelope(anon, pair, who, method, path) -> None:
    headers = {**credentials(who, pair), "Content-Type": "application/json"}
    enveloped(anon.request(method, path, content=b'{"name": "x", ', headers=headers), 400)


@pytest.mark.parametrize("who, method, path, body", [
    ("admin", "POST", "/v1/admin-api/bot", {"name": 123}),
    ("admin", "POST", "/v1/admin-api/bot", ["a list"]),
    ("admin", "POST", "/v1/admin-api/bot",
     {"name": "long avatar", "avatar": "https://example.com/" + "a" * 300}),
    ("bot", "PUT", "/v1/bot-api/bot", {"description": ["not", "text"]}),
    ("bot", "POST", "/v1/bot-api/bot/commands", {"alias": "start"}),
    ("bot", "POST", "/v1/bot-api/bot/commands", ["start"]),
    ("bot", "POST", "/v1/bot-api/bot/commands", [{"alias": 7}]),
    ("bot", "POST", "/v1/bot-api/bot/commands", [{"alias": "ok", "description": 7}]),
    ("bot", "POST", "/v1/bot-api/bot/webhook", {"url": 5}),
    ("bot", "POST", "/v1/bot-api/chat/message", {"chatId": UNKNOWN_ID, "body": 5}),
    ("anyone", "POST", "/v1/client-api/user", {"nickname": None}),
    ("user", "POST", "/v1/client-api/chat", {"botId": 5}),
    ("user", "POST", "/v1/client-api/chat/message", {"chatId": UNKNOWN_ID, "body": "x",
                                                     "attachmentIds": "abc"}),
    ("user", "POST", "/v1/client-api/chat/message", {"chatId": UNKNOWN_ID, "body": "x",
                                                     "attachmentIds": [1, 2]}),
    ("bot", "POST", "/v1/bot-api/files", None),
    ("user", "POST", "/v1/client-api/files", None),
])
def test_wrong_types_are_a_400_envelope(anon, pair, who, method, path, body) -> None:
    enveloped(anon.request(method, path, json=body, headers=credentials(who, pair)), 400)


def test_an_upload_without_files_is_refused(anon, pair) -> None:
    refused(anon.post("/v1/bot-api/files", files={"other": ("a.txt", b"a")},
                      headers=pair.as_bot), 400, "No files found to upload.")


@pytest.mark.parametrize("method, path", [
    ("POST", "/v1/bot-api/nothing"),
    ("GET", "/v1/client-api/nothing"),
    ("DELETE", "/v1/admin-api/nothing"),
])
def test_an_unknown_route_is_a_404_envelope(anon, method, path) -> None:
    """The original's quirk is a 500 `Cannot POST /x`; §1.2 allows a 404 instead."""
    enveloped(anon.request(method, path, headers={"Authorization": "x"}), 404)


@pytest.mark.parametrize("path", ["/static/..%2f..%2fpyproject.toml", "/static/images/none.png",
                                  "/static/%2e%2e/%2e%2e/config/botyard.config.json"])
def test_static_never_escapes_the_files_folder(anon, path) -> None:
    """Decision 11."""
    answer = anon.get(path)
    assert answer.status_code == 404, answer.text
    assert b"[tool.ruff]" not in answer.content and b"limits" not in answer.content
