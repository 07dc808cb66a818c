"""Integers past what SQLite holds (2⁶³ and up) and digits `int` refuses ("²"), in every
dialect, against a real server: each is a 400 or 404 in the dialect's envelope, appends
nothing, and leaves `/health` at 200. Before, some were recorded and then overflowed in a
read model: a fault that turned `/health` to 503 for good."""
import secrets

import pytest

from tests.conftest import register_bot, register_user
from tests.maxchat.conftest import Human
from tests.telegram.test_surface_params import log_position

pytestmark = pytest.mark.slow
HUGE = "99999999999999999999"  # > 2**64
PAST_INT64 = str(2**63)


@pytest.fixture
def human(server):
    """A MaxChat human with a server of their own (closed after the test)."""
    made: list[Human] = []

    def make() -> tuple[Human, dict]:
        made.append(Human(server, f"u{secrets.token_hex(4)}"))
        return made[-1], made[-1].server()

    yield make
    for someone in made:
        someone.http.close()


@pytest.fixture
def telegram(server, http):
    registered = register_bot(http)
    user = register_user(http, name="Alice")
    return f"/bot{registered['bot_api_token']}", user


@pytest.mark.parametrize("method, params, description", [
    ("getUpdates", {"offset": HUGE}, "Bad Request: offset: input should be less than or"
                                     " equal to 9223372036854775807"),
    ("getUpdates", {"offset": PAST_INT64}, None),
    ("getUpdates", {"limit": "-" + HUGE}, None),
    ("getChat", {"chat_id": PAST_INT64}, "Bad Request: chat not found"),
    ("sendMessage", {"chat_id": "{user}", "text": "hi", "reply_to_message_id": PAST_INT64},
     None),
    ("editMessageText", {"chat_id": "{user}", "message_id": HUGE, "text": "hi"}, None),
    ("answerCallbackQuery", {"callback_query_id": "x", "cache_time": HUGE}, None),
])
def test_telegram_refuses_integers_sqlite_cannot_hold(server, http, telegram, method, params,
                                                      description):
    path, user = telegram
    before = log_position(server)
    params = {k: str(user["id"]) if v == "{user}" else v for k, v in params.items()}
    answer = http.get(f"{path}/{method}", params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["ok"] is False and body["error_code"] == 400
    if description is not None:
        assert body["description"] == description
    assert log_position(server) == before
    assert http.get("/health").json() == {"ok": True}


def test_featherchat_get_updates_refuses_a_limit_past_int64(server, http):
    bot = register_bot(http)
    answer = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={"limit": 2**64 - 1})
    assert answer.json()["ok"] is False and "limit" in answer.json()["description"]


@pytest.mark.parametrize("body, field", [
    ({"name": "big", "color": 2**63}, "color"),
    ({"name": "big", "color": -1}, "color"),
])
def test_maxchat_role_colors_are_rgb(server, http, human, body, field):
    owner, home = human()
    sid = home["id"]
    before = log_position(server)
    answer = owner.http.post(f"/api/servers/{sid}/roles", json=body)
    assert answer.status_code == 400 and field in answer.json()["error"], answer.text
    assert log_position(server) == before
    assert http.get("/health").json() == {"ok": True}


@pytest.mark.parametrize("body", [{"maxUses": 2**63}, {"expiresInSec": 2**62}])
def test_maxchat_invites_refuse_unbounded_numbers(server, http, human, body):
    owner, home = human()
    sid = home["id"]
    before = log_position(server)
    answer = owner.http.post(f"/api/servers/{sid}/invites", json=body)
    assert answer.status_code == 400, answer.text
    assert log_position(server) == before
    assert http.get("/health").json() == {"ok": True}


def test_maxchat_ids_of_digits_int_refuses_are_not_found(http, human):
    owner, home = human()
    sid, general = home["id"], home["channels"][0]["id"]
    messages = f"/api/servers/{sid}/channels/{general}/messages"
    for query, error in (({"limit": "²"}, "limit must be 1-100"),
                         ({"before": "²"}, "before must be a message id"),
                         ({"before": HUGE}, "before must be a message id")):
        answer = owner.http.get(messages, params=query)
        assert (answer.status_code, answer.json()) == (400, {"error": error}), query
    assert owner.http.patch(f"{messages}/²", json={"content": "x"}).status_code == 404
    kicked = owner.http.post(f"/api/servers/{sid}/members/²/kick", json={})
    assert (kicked.status_code, kicked.json()) == (404, {"error": "member not found"})
    assert http.get("/health").json() == {"ok": True}
