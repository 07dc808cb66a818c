"""getUpdates on the Telegram surface end to end (research-compat §1.3, telegram.md decision 5):
update ids from 1, `offset` confirming durably, negative offsets, clamped `limit`, long polls
woken at once and superseded with 409, `allowed_updates` remembered and applied when updates
are created, `bot_command` entities in UTF-16 units."""
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.servers import Server, served
from tests.telegram.conftest import User, new_bot, new_user

pytestmark = pytest.mark.slow
SUPERSEDED = ("Conflict: terminated by other getUpdates request; make sure that only one bot"
              " instance is running")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """This module's own server, which one test restarts."""
    yield from served(tmp_path_factory, "updates")


class Bot:
    def __init__(self, http: httpx.Client) -> None:
        registered = new_bot(http)
        self.http, self.alias = http, registered["alias"]
        self.base = f"/bot{registered['bot_api_token']}"

    def call(self, method: str, **params) -> httpx.Response:
        return self.http.post(f"{self.base}/{method}", json=params,
                              timeout=params.get("timeout", 0) + 15)

    def updates(self, **params) -> list[dict]:
        response = self.call("getUpdates", **params)
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert response.status_code == 200 and body["ok"], body
        return body["result"]

    def texts(self, **params) -> list[str]:
        return [update["message"]["text"] for update in self.updates(**params)]


@pytest.fixture
def bot(http) -> Bot:
    return Bot(http)


@pytest.fixture
def user(http) -> User:
    return new_user(http, name="Alice")


def send_all(user: User, bot: Bot, texts: list[str]) -> None:
    for text in texts:
        user.send(bot.alias, text)


def test_update_ids_start_at_1_and_increase(bot, user):
    assert bot.updates() == []
    send_all(user, bot, ["one", "two", "three"])
    got = bot.updates()
    assert [u["update_id"] for u in got] == [1, 2, 3]
    assert [u["message"]["text"] for u in got] == ["one", "two", "three"]
    first = got[0]["message"]
    assert isinstance(first["message_id"], int) and isinstance(first["date"], int)
    assert first["chat"] == {"id": user.id, "type": "private", "first_name": "Alice"}
    assert first["from"] == {"id": user.id, "is_bot": False, "first_name": "Alice"}
    assert bot.texts() == ["one", "two", "three"], "unconfirmed updates are returned again"


def test_offset_confirms_what_is_below_it(bot, user):
    send_all(user, bot, ["one", "two", "three"])
    assert bot.texts(offset=2) == ["two", "three"]
    assert bot.texts() == ["two", "three"]
    assert bot.texts(offset=0) == ["two", "three"], "offset 0 starts at the oldest stored"
    assert bot.updates(offset=4) == []
    assert bot.updates() == []
    user.send(bot.alias, "four")
    assert [u["update_id"] for u in bot.updates()] == [4]


def test_pending_update_count_leaves_out_what_offset_confirmed(bot, user):
    send_all(user, bot, ["one", "two", "three"])
    assert bot.call("getWebhookInfo").json()["result"]["pending_update_count"] == 3
    assert bot.texts(offset=3) == ["three"]
    assert bot.call("getWebhookInfo").json()["result"]["pending_update_count"] == 1


def test_negative_offset_keeps_only_the_newest(bot, user):
    send_all(user, bot, ["1", "2", "3", "4", "5"])
    assert bot.texts(offset=-2) == ["4", "5"]
    assert bot.texts() == ["4", "5"], "the older ones are forgotten"
    assert bot.texts(offset=-10) == ["4", "5"]


def test_limit_is_clamped_to_1_and_100(bot, user):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: user.send(bot.alias, str(i)), range(105)))
    assert len(bot.updates(limit=0)) == 1
    assert len(bot.updates(limit=-7)) == 1
    assert len(bot.updates(limit=2)) == 2
    assert [u["update_id"] for u in bot.updates(limit=1000)] == list(range(1, 101))
    assert len(bot.updates()) == 100, "the default limit is 100"


def test_timeout_waits_for_nothing_then_returns_empty(bot):
    started = time.monotonic()
    assert bot.updates(timeout=1) == []
    assert time.monotonic() - started >= 0.9


def test_long_poll_wakes_as_soon_as_a_user_writes(bot, user):
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        polling = pool.submit(bot.texts, timeout=30)
        time.sleep(0.5)
        assert not polling.done(), "nothing was queued: the poll waits"
        user.send(bot.alias, "wake up")
        assert polling.result(timeout=20) == ["wake up"]
        assert time.monotonic() - started < 15, "woken well before its 30 s timeout"


def test_timeout_is_clamped_to_50_seconds(bot, user):
    with ThreadPoolExecutor(1) as pool:
        polling = pool.submit(bot.texts, timeout=100000)
        time.sleep(0.3)
        user.send(bot.alias, "still served")
        assert polling.result(timeout=20) == ["still served"]


def test_the_older_of_two_long_polls_gets_409(bot, user):
    with ThreadPoolExecutor(2) as pool:
        older = pool.submit(bot.call, "getUpdates", timeout=20)
        time.sleep(0.5)
        newer = pool.submit(bot.texts, timeout=20)
        response = older.result(timeout=15)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"ok": False, "error_code": 409, "description": SUPERSEDED}
        user.send(bot.alias, "for the newer")
        assert newer.result(timeout=15) == ["for the newer"]


def test_allowed_updates_is_remembered_and_applied_when_updates_are_created(bot, user):
    user.send(bot.alias, "queued before the filter")
    assert bot.updates(allowed_updates=["callback_query"], timeout=0)[0]["message"]["text"] \
        == "queued before the filter", "the filter does not touch what is already queued"
    assert bot.updates(offset=2) == []
    user.send(bot.alias, "filtered out")
    assert bot.updates() == [], "a poll without allowed_updates keeps the filter"
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    sent = bot.call("sendMessage", chat_id=user.id, text="press", reply_markup=keyboard)
    assert sent.json()["ok"], sent.text
    pressed, = user.wait_for(1, accept=lambda item: "message" in item)
    assert user.press(pressed["message"]["message_id"], "go")["ok"]
    update, = bot.updates()
    assert update["callback_query"]["data"] == "go" and "message" not in update
    assert bot.updates(offset=update["update_id"] + 1, allowed_updates=[]) == []
    user.send(bot.alias, "after the reset")
    assert bot.texts() == ["after the reset"], "[] is the default set again"


def test_allowed_updates_accepts_unknown_and_future_type_names(bot, user):
    names = ["message", "edited_message", "business_message", "purchased_paid_media",
             "chat_member", "message_reaction", "some_future_kind"]
    assert bot.updates(allowed_updates=names) == []
    user.send(bot.alias, "still a message")
    assert bot.texts() == ["still a message"]


def test_allowed_updates_as_a_json_string_in_a_get_query(http, bot, user):
    got = http.get(f"{bot.base}/getUpdates", params={"allowed_updates": '["callback_query"]'})
    assert got.json() == {"ok": True, "result": []}
    user.send(bot.alias, "never queued")
    assert bot.updates() == []


@pytest.mark.parametrize(("text", "entities"), [
    ("/start", [(0, 6)]),
    ("😀 /start now", [(3, 6)]),
    ("👍🏽 hi /help and /menu@some_bot", [(8, 5), (18, 14)]),
    ("plain text, a/slash and no command", []),
])
def test_bot_command_entities_use_utf16_offsets(bot, user, text, entities):
    user.send(bot.alias, text)
    message = bot.updates()[0]["message"]
    assert message["text"] == text
    found = [(e["offset"], e["length"]) for e in message.get("entities", [])
             if e["type"] == "bot_command"]
    assert found == entities


def test_webhook_info_and_dropping_pending_updates(bot, user):
    def info() -> dict:
        body = bot.call("getWebhookInfo").json()
        assert body["ok"], body
        return body["result"]

    assert info()["url"] == "" and info()["has_custom_certificate"] is False
    assert info()["pending_update_count"] == 0
    send_all(user, bot, ["one", "two"])
    assert info()["pending_update_count"] == 2
    assert bot.call("deleteWebhook").json()["result"] is True
    assert info()["pending_update_count"] == 2 and len(bot.updates()) == 2
    assert bot.call("deleteWebhook", drop_pending_updates=True).json()["result"] is True
    assert info()["pending_update_count"] == 0
    assert bot.updates() == []
    user.send(bot.alias, "three")
    assert bot.texts() == ["three"]


def test_confirmed_updates_stay_gone_after_a_restart(server, http, bot, user):
    send_all(user, bot, ["one", "two", "three"])
    assert bot.texts(offset=3) == ["three"]
    server.stop()
    server.start()
    assert bot.texts() == ["three"]
    assert [u["update_id"] for u in bot.updates()] == [3]
    user.send(bot.alias, "four")
    assert [u["update_id"] for u in bot.updates(offset=4)] == [4]
