"""The Telegram HTTP surface end to end, with plain httpx: how parameters arrive (research-compat
§1.1: any verb, query string merged with any body, lax scalars, JSON as strings or natively)
and how failures are answered (§1.2: the envelope, its status, its strings; nothing logged)."""
import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.servers import ROOT, store_args
from tests.telegram.conftest import User, new_bot, new_user

pytestmark = pytest.mark.slow
KEYBOARD = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}


@pytest.fixture
def pair(http) -> tuple[str, User]:
    """A bot's `bot_api_token` and a user to write to."""
    return new_bot(http)["bot_api_token"], new_user(http, name="Alice")


def ok(response: httpx.Response) -> object:
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True, body
    return body["result"]


def failed(response: httpx.Response, status: int, description: str | None = None) -> str:
    """The Telegram error envelope with HTTP status = error_code; returns its description."""
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert response.status_code == status, body
    assert body["ok"] is False and body["error_code"] == status, body
    if description is not None:
        assert body["description"] == description
    return body["description"]


def log_position(server) -> int:
    done = subprocess.run([sys.executable, "-m", "replay", "stats", *store_args(server.data)],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["last_position"]


# verbs, paths, method names

def test_get_and_post_answer_alike_in_plain_json(http, pair):
    token, _ = pair
    got, posted = ok(http.get(f"/bot{token}/getMe")), ok(http.post(f"/bot{token}/getMe"))
    assert got == posted and got["is_bot"] is True
    assert got["id"] == int(token.split(":")[0]) and got["username"]


@pytest.mark.parametrize("name", ["getMe", "getme", "GETME", "GeTmE"])
def test_method_names_are_case_insensitive(http, pair, name):
    token, _ = pair
    assert ok(http.get(f"/bot{token}/{name}"))["is_bot"] is True


def test_the_test_environment_path_serves_the_same_bot(http, pair):
    token, user = pair
    assert ok(http.get(f"/bot{token}/test/getMe")) == ok(http.get(f"/bot{token}/getMe"))
    sent = ok(http.post(f"/bot{token}/test/sendMessage", json={"chat_id": user.id, "text": "t"}))
    assert sent["chat"]["id"] == user.id and user.texts() == ["t"]


def test_the_featherchat_token_works_on_the_telegram_surface(http):
    bot = new_bot(http)
    assert ok(http.get(f"/bot{bot['token']}/getMe")) == ok(http.get(
        f"/bot{bot['bot_api_token']}/getMe"))


# the query string merged with every body, on every verb

def sent_with(http: httpx.Client, verb: str, token: str, user: User, **request) -> str:
    request.setdefault("params", {"chat_id": user.id})
    result = ok(http.request(verb, f"/bot{token}/sendMessage", **request))
    assert result["chat"]["id"] == user.id
    return result["text"]


@pytest.mark.parametrize("verb", ["GET", "POST"])
def test_query_string_merges_with_json_urlencoded_and_multipart_bodies(http, pair, verb):
    token, user = pair
    assert sent_with(http, verb, token, user, json={"text": "json"}) == "json"
    assert sent_with(http, verb, token, user, data={"text": "form"}) == "form"
    assert sent_with(http, verb, token, user, files={"text": (None, "multi")}) == "multi"
    assert sent_with(http, verb, token, user, params={"chat_id": user.id, "text": "q"}) == "q"
    bare = json.dumps({"text": "bare"}).encode()  # JSON without a Content-Type
    assert sent_with(http, verb, token, user, content=bare) == "bare"
    assert user.texts(5) == ["json", "form", "multi", "q", "bare"]


# scalars as strings

def queue_one(http: httpx.Client, token: str, user: User) -> None:
    bot = ok(http.get(f"/bot{token}/getMe"))
    user.send("@" + bot["username"], "queued")
    assert ok(http.get(f"/bot{token}/getWebhookInfo"))["pending_update_count"] == 1


@pytest.mark.parametrize(("value", "dropped"), [
    ("true", True), ("True", True), ("TRUE", True), ("1", True), ("yes", True),
    ("false", False), ("False", False), ("0", False), ("no", False)])
@pytest.mark.parametrize("where", ["params", "data"])
def test_booleans_arrive_as_strings(http, pair, value, dropped, where):
    token, user = pair
    queue_one(http, token, user)
    assert ok(http.post(f"/bot{token}/deleteWebhook", **{where: {"drop_pending_updates": value}}))
    assert len(ok(http.get(f"/bot{token}/getUpdates"))) == (0 if dropped else 1)
    failed(http.post(f"/bot{token}/deleteWebhook", data={"drop_pending_updates": "maybe"}), 400)


def test_integers_arrive_as_strings(http, pair):
    token, user = pair
    queue_one(http, token, user)
    user.send("@" + ok(http.get(f"/bot{token}/getMe"))["username"], "second")
    first, = ok(http.post(f"/bot{token}/getUpdates", data={"limit": "1", "offset": "0"}))
    assert first["update_id"] == 1
    sent = ok(http.post(f"/bot{token}/sendMessage", data={"chat_id": str(user.id), "text": "a"}))
    edited = ok(http.post(f"/bot{token}/editMessageText", data={
        "chat_id": str(user.id), "message_id": str(sent["message_id"]), "text": "b"}))
    assert edited["message_id"] == sent["message_id"] and edited["text"] == "b"
    failed(http.post(f"/bot{token}/getUpdates", data={"limit": "ten"}), 400)


# JSON-typed parameters, as JSON strings (PTB, aiogram, telebot) or natively (a JSON body)

def with_param(http: httpx.Client, url: str, how: str, name: str, value: object,
               **fixed) -> object:
    """One JSON-typed parameter as each library sends it."""
    if how == "native":
        return ok(http.post(url, json={**fixed, name: value}))
    if how == "json-string":
        return ok(http.post(url, json={**fixed, name: json.dumps(value)}))
    if how == "urlencoded":
        return ok(http.post(url, data={**fixed, name: json.dumps(value)}))
    return ok(http.get(url, params={**fixed, name: json.dumps(value)}))  # query string


@pytest.mark.parametrize("how", ["native", "json-string", "urlencoded", "query"])
def test_json_params_as_strings_or_native(http, pair, how):
    token, user = pair
    base, chat = f"/bot{token}", {"chat_id": user.id, "text": "hello"}
    sent = with_param(http, f"{base}/sendMessage", how, "reply_markup", KEYBOARD, **chat)
    assert sent["reply_markup"] == KEYBOARD
    entities = [{"type": "bold", "offset": 0, "length": 5}]
    sent = with_param(http, f"{base}/sendMessage", how, "entities", entities, **chat)
    assert sent["entities"] == entities
    commands = [{"command": "start", "description": "Start"}]
    assert with_param(http, f"{base}/setMyCommands", how, "commands", commands) is True
    assert ok(http.get(f"{base}/getMyCommands")) == commands
    assert with_param(http, f"{base}/getUpdates", how, "allowed_updates", ["message"]) == []


def test_malformed_json_param_is_a_bad_request(http, pair):
    token, user = pair
    for name in ("reply_markup", "entities", "reply_parameters"):
        failed(http.post(f"/bot{token}/sendMessage", data={
            "chat_id": user.id, "text": "x", name: "{not json"}), 400)
    failed(http.post(f"/bot{token}/setMyCommands", data={"commands": "[{"}), 400)
    failed(http.post(f"/bot{token}/getUpdates", data={"allowed_updates": "[mess"}), 400)
    failed(http.post(f"/bot{token}/sendMessage", content=b'{"chat_id": 1, "te',
                     headers={"content-type": "application/json"}), 400)


# chat_id

def test_chat_id_as_int_numeric_string_or_username(http, pair):
    token, _ = pair
    alias = f"u{os.urandom(4).hex()}"
    registered = http.post("/v1/users/register", json={
        "fingerprint": os.urandom(16).hex(), "name": "Al", "alias": alias}).json()
    assert registered["ok"], registered
    number = registered["result"]["id"]
    for chat_id in (number, str(number), f"@{alias}", f"@{alias.upper()}"):
        sent = ok(http.post(f"/bot{token}/sendMessage", json={"chat_id": chat_id, "text": "x"}))
        assert sent["chat"]["id"] == number and sent["chat"]["username"] == alias


# errors

def test_unknown_method_is_404(http, pair):
    token, _ = pair
    failed(http.post(f"/bot{token}/sendTelepathy"), 404, "Not Found: method not found")
    failed(http.get(f"/bot{token}/test/nosuch"), 404, "Not Found: method not found")


@pytest.mark.parametrize(("token", "description"), [
    ("123:abc", "Unauthorized"), ("1:" + "x" * 35, "Unauthorized"),
    ("{wrong}", "Unauthorized"),  # a real bot's id with a wrong secret
    ("abcdef", "Unauthorized: invalid token specified"),
    ("12345", "Unauthorized: invalid token specified")])
def test_bad_tokens_are_401(http, pair, token, description):
    real = pair[0]
    token = token.format(wrong=real[:-1] + ("A" if real[-1] != "A" else "B"))
    failed(http.get(f"/bot{token}/getMe"), 401, description)
    failed(http.post(f"/bot{token}/sendMessage", json={"chat_id": 1, "text": "x"}), 401,
           description)


def test_chat_not_found(http, pair):
    token, _ = pair
    for chat_id in (999_999_999, "999999999", "@nobody_here_at_all"):
        failed(http.post(f"/bot{token}/sendMessage", json={"chat_id": chat_id, "text": "x"}),
               400, "Bad Request: chat not found")
    assert "chat not found" in failed(http.post(f"/bot{token}/sendMessage", json={
        "chat_id": "not-a-chat", "text": "x"}), 400)


@pytest.mark.parametrize("text", [None, "", "   \n "])
def test_empty_text(http, pair, text):
    token, user = pair
    fields = {"chat_id": user.id, **({} if text is None else {"text": text})}
    failed(http.post(f"/bot{token}/sendMessage", json=fields), 400,
           "Bad Request: message text is empty")


def test_reply_to_a_missing_message(http, pair):
    token, user = pair
    for fields in ({"reply_parameters": {"message_id": 987654}},
                   {"reply_parameters": json.dumps({"message_id": 987654})},
                   {"reply_to_message_id": 987654}):
        failed(http.post(f"/bot{token}/sendMessage", json={
            "chat_id": user.id, "text": "x", **fields}), 400,
            "Bad Request: message to be replied not found")


@pytest.mark.parametrize(("verb", "path"), [
    ("GET", "/bot{t}/a/b/c"), ("GET", "/bot{t}"), ("GET", "/bot{t}/"), ("GET", "/botX"),
    ("POST", "/bot{t}/test/a/b"), ("PUT", "/bot{t}/getMe"), ("DELETE", "/bot{t}/sendMessage")])
def test_paths_under_bot_matching_no_route_keep_the_envelope(http, pair, verb, path):
    response = http.request(verb, path.format(t=pair[0]))
    assert response.status_code >= 400
    failed(response, response.status_code)


def test_failed_calls_append_nothing_to_the_log(server, http, pair):
    token, user = pair
    sent = ok(http.post(f"/bot{token}/sendMessage", json={"chat_id": user.id, "text": "same"}))
    before = log_position(server)
    base = f"/bot{token}"
    for method, fields in [
            ("sendMessage", {"chat_id": 999_999_999, "text": "x"}),
            ("sendMessage", {"chat_id": user.id, "text": "  "}),
            ("sendMessage", {"chat_id": user.id, "text": "x", "reply_markup": "{bad"}),
            ("sendMessage", {"chat_id": user.id, "text": "x",
                             "reply_parameters": {"message_id": 987654}}),
            ("editMessageText", {"chat_id": user.id, "message_id": sent["message_id"],
                                 "text": "same"}),
            ("deleteMessage", {"chat_id": user.id, "message_id": 987654}),
            ("answerCallbackQuery", {"callback_query_id": "nope"}),
            ("setMyCommands", {"commands": [{"command": "Bad Command", "description": "x"}]}),
            ("nosuchMethod", {})]:
        assert http.post(f"{base}/{method}", json=fields).json()["ok"] is False, method
    assert http.get("/bot1:nope/sendMessage").status_code == 401
    assert http.get("/botnope/sendMessage").status_code == 401
    assert log_position(server) == before


def nested(depth: int) -> str:
    """A reply_markup `depth` objects deep (the markup itself the outermost), as JSON text."""
    return '{"inline_keyboard": [], "deeper": ' + '{"a": ' * (depth - 2) + "1" \
        + "}" * (depth - 1)


@pytest.mark.parametrize("depth", [60, 300, 2000])
def test_json_nested_past_any_api_object_is_refused_and_records_nothing(server, http, pair,
                                                                       depth):
    """A reply_markup hundreds deep was recorded, then broke the encoding of the whole batch
    it rode in (other bots' sends answered 500) or the inbox page that showed it (read,
    so lost). As a JSON body or as a JSON string in a form, it is a 400 now."""
    token, user = pair
    before = log_position(server)
    as_json = http.post(f"/bot{token}/sendMessage", headers={
        "content-type": "application/json"}, content=f'{{"chat_id": {user.id}, "text": "x",'
        f' "reply_markup": {nested(depth)}}}')
    assert failed(as_json, 400).startswith("Bad Request: ")
    as_form = http.post(f"/bot{token}/sendMessage", data={
        "chat_id": user.id, "text": "x", "reply_markup": nested(depth)})
    assert failed(as_form, 400).startswith("Bad Request: reply_markup: can't parse JSON")
    assert log_position(server) == before
    assert ok(http.post(f"/bot{token}/sendMessage", json={
        "chat_id": user.id, "text": "fits", "reply_markup": json.loads(nested(30))})
    )["text"] == "fits"
    [item] = user.wait_for(1)
    assert item["message"]["text"] == "fits"
