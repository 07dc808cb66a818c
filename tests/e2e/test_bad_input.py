"""Bad input against a real server: every failure is the featherChat envelope
{"ok": false, "description": <precise>}, never a 500 or a stack trace, and a failed command
appends nothing to the event log."""
import json
import secrets
import subprocess
import sys
import threading

import httpx
import pytest

from tests.conftest import fingerprint, register_bot, register_user, send_as_user
from tests.servers import ROOT, Server, store_args

LIMIT = 1 << 20  # the default BOTBUS_MAX_BODY_BYTES
TOO_LARGE = f"request body is larger than {LIMIT} bytes"
NOT_OBJECT = "request body must be a JSON object"
JSON_TYPE = {"Content-Type": "application/json"}
CALL_TYPES = ("'Offer', 'Answer', 'IceCandidate', 'Hangup', 'Reject', 'Ringing', 'Busy', "
              "'Hold', 'Unhold', 'Mute', 'Unmute' or 'Transfer'")


def failure(response: httpx.Response, status: int = 200) -> str:
    """The featherChat envelope, nothing else; returns the description."""
    assert "Traceback" not in response.text and 'File "' not in response.text, response.text
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"ok", "description"}, body
    assert body["ok"] is False
    assert isinstance(body["description"], str) and body["description"].strip(), body
    return body["description"]


def stats(server) -> dict:
    """`botbus replay stats` on the running server's data directory."""
    out = subprocess.run([sys.executable, "-m", "replay", "stats", *store_args(server.data)],
                         cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def event_count(server) -> int:
    return stats(server)["events"]


@pytest.fixture(scope="module")
def bot(server):
    with httpx.Client(base_url=server.url, timeout=15) as client:
        return register_bot(client)


@pytest.fixture(scope="module")
def user(server):
    with httpx.Client(base_url=server.url, timeout=15) as client:
        return register_user(client)


def routes(bot: dict, user: dict) -> dict[str, tuple[str, dict]]:
    """Every body-taking route: name → (path, headers)."""
    auth = {"Authorization": f"Bearer {user['token']}"}
    return {
        "bot register": ("/v1/bot/register", {}),
        "sendMessage": (f"/v1/bot/{bot['token']}/sendMessage", {}),
        "sendmessage": (f"/v1/bot/{bot['token']}/sendmessage", {}),
        "getUpdates": (f"/v1/bot/{bot['token']}/getUpdates", {}),
        "getupdates": (f"/v1/bot/{bot['token']}/getupdates", {}),
        "user register": ("/v1/users/register", {}),
        "messages send": ("/v1/messages/send", auth),
    }


ROUTES = ["bot register", "sendMessage", "sendmessage", "getUpdates", "getupdates",
          "user register", "messages send"]


def post_raw(http, bot, user, route: str, content: bytes):
    path, auth = routes(bot, user)[route]
    return http.post(path, content=content, headers={**JSON_TYPE, **auth})


# Malformed JSON and JSON that is not an object

@pytest.mark.parametrize("route", ROUTES)
def test_malformed_json(http, bot, user, route):
    for content in (b"{bad", b'{"a": 1,}', b"[1,", b'{"a": "unterminated',
                    b"{'single': 'quotes'}", b"nul", b'{"a": 1} trailing'):
        description = failure(post_raw(http, bot, user, route, content))
        assert description.startswith("malformed JSON: "), (content, description)


def test_malformed_json_description_names_the_problem(http):
    response = http.post("/v1/users/register", content=b"{bad", headers=JSON_TYPE)
    assert failure(response) == (
        "malformed JSON: unexpected character, expected a string key: line 1 column 2 (char 1)")


@pytest.mark.parametrize("route", ROUTES)
def test_json_that_is_not_an_object(http, bot, user, route):
    for content in (b"[1, 2]", b"[]", b'"a string"', b"5", b"true", b'[{"chat_id": "ab"}]'):
        assert failure(post_raw(http, bot, user, route, content)) == NOT_OBJECT, content


@pytest.mark.parametrize("route", [r for r in ROUTES if r.lower() != "getupdates"])
def test_json_null_is_not_an_object(http, bot, user, route):
    assert failure(post_raw(http, bot, user, route, b"null")) == NOT_OBJECT


@pytest.mark.parametrize("route", ROUTES)
def test_body_that_is_not_utf8(http, bot, user, route):
    """Bytes that are not UTF-8 are malformed JSON like any other (featherChat: 200)."""
    response = post_raw(http, bot, user, route, b'{"name": "\xff\xfe", "text": "\xc3"}')
    description = failure(response)
    assert description.startswith("malformed JSON: "), description


@pytest.mark.parametrize("route", ROUTES)
def test_absurdly_deep_json(http, bot, user, route):
    response = post_raw(http, bot, user, route, b"[" * 100_000 + b"]" * 100_000)
    description = failure(response)
    assert description.startswith("malformed JSON: ") or description == NOT_OBJECT, description


# Wrong types and missing fields

def bot_path(bot, method):
    return f"/v1/bot/{bot['token']}/{method}"


WRONG_TYPES = [
    ("sendMessage", {"chat_id": "ab", "text": 5}, "text: input should be a valid string"),
    ("sendmessage", {"chat_id": "ab", "text": 5}, "text: input should be a valid string"),
    ("sendMessage", {"chat_id": "ab", "text": None}, "text: input should be a valid string"),
    ("sendMessage", {"chat_id": "ab", "text": ""},
     "text: string should have at least 1 character"),
    ("sendMessage", {"chat_id": "ab", "text": "x" * 4097},
     "text: string should have at most 4096 characters"),
    ("getUpdates", {"timeout": "abc"},
     "timeout: input should be a valid number, unable to parse string as a number"),
    ("getupdates", {"timeout": "abc"},
     "timeout: input should be a valid number, unable to parse string as a number"),
    ("getUpdates", {"timeout": [1]}, "timeout: input should be a valid number"),
    ("getUpdates", {"limit": "abc"},
     "limit: input should be a valid integer, unable to parse string as an integer"),
]


@pytest.mark.parametrize(("method", "body", "expected"), WRONG_TYPES)
def test_wrong_types_on_bot_methods(http, bot, method, body, expected):
    assert failure(http.post(bot_path(bot, method), json=body)) == expected


@pytest.mark.parametrize("method", ["sendMessage", "sendmessage"])
@pytest.mark.parametrize("chat_id", [[1], {}, None, 1.5])
def test_chat_id_of_wrong_type_is_refused_and_named_plainly(http, bot, method, chat_id):
    """chat_id is a string or an integer; the description names the field as the caller
    wrote it (`chat_id: ...`), not a validator's internals such as `chat_id.str`."""
    response = http.post(bot_path(bot, method), json={"chat_id": chat_id, "text": "x"})
    description = failure(response)
    assert description.startswith("chat_id: "), description


@pytest.mark.parametrize("method", ["sendMessage", "sendmessage"])
@pytest.mark.parametrize("chat_id", [True, False])
def test_boolean_chat_id_is_refused_not_routed_to_1_or_0(http, bot, method, chat_id):
    """A JSON boolean is neither a string nor an integer; today it is coerced and the message
    goes to the address "1" (or "0")."""
    response = http.post(bot_path(bot, method), json={"chat_id": chat_id, "text": "x"})
    description = failure(response)
    assert description.startswith("chat_id: "), description


USER_WRONG_TYPES = [
    ({"fingerprint": 5}, "fingerprint: input should be a valid string"),
    ({"fingerprint": "xyz"}, "fingerprint must be a hex string"),
    ({"fingerprint": ""}, "fingerprint must be a hex string"),
    ({"fingerprint": "::"}, "fingerprint must be 1-128 hex digits"),
    ({"fingerprint": "a" * 129}, "fingerprint must be 1-128 hex digits"),
    ({"fingerprint": "{fp}", "alias": 5}, "alias: input should be a valid string"),
    ({"fingerprint": "{fp}", "name": 5}, "name: input should be a valid string"),
    ({"fingerprint": "{fp}", "name": ""}, "name: string should have at least 1 character"),
    ({"fingerprint": "{fp}", "name": "n" * 65}, "name: string should have at most 64 characters"),
]


@pytest.mark.parametrize(("body", "expected"), USER_WRONG_TYPES)
def test_wrong_types_on_user_register(http, body, expected):
    body = {k: (fingerprint() if v == "{fp}" else v) for k, v in body.items()}
    assert failure(http.post("/v1/users/register", json=body)) == expected


BOT_REGISTER_WRONG = [
    ({"name": 5, "fingerprint": "{fp}"}, "name: input should be a valid string"),
    ({"name": "a b", "fingerprint": "{fp}"}, "name must be 1-32 letters, digits or underscores"),
    ({"name": "", "fingerprint": "{fp}"}, "name must be 1-32 letters, digits or underscores"),
    ({"name": "n" * 33, "fingerprint": "{fp}"},
     "name must be 1-32 letters, digits or underscores"),
    ({"name": "okbot", "fingerprint": "not hex"}, "fingerprint must be a hex string"),
    ({"name": "okbot", "fingerprint": [1]}, "fingerprint: input should be a valid string"),
]


@pytest.mark.parametrize(("body", "expected"), BOT_REGISTER_WRONG)
def test_wrong_types_on_bot_register(http, body, expected):
    body = {k: (fingerprint() if v == "{fp}" else v) for k, v in body.items()}
    assert failure(http.post("/v1/bot/register", json=body)) == expected


SEND_WRONG = [
    ({"to": 5, "text": "x"}, "to: input should be a valid string"),
    ({"to": "{bot}", "text": 5}, "text: input should be a valid string"),
    ({"to": "{bot}", "document": "x"},
     "document: input should be a valid dictionary or instance of Document"),
    ({"to": "{bot}", "document": {"file_name": "a", "file_size": -1}},
     "document.file_size: input should be greater than or equal to 0"),
    ({"to": "{bot}", "document": {"file_name": "a"}}, "document.file_size is required"),
    ({"to": "{bot}", "document": {"file_name": "", "file_size": 1}},
     "document.file_name: string should have at least 1 character"),
    ({"to": "{bot}", "call_signal": {"type": "Foo"}},
     f"call_signal.type: input should be {CALL_TYPES}"),
    ({"to": "{bot}", "call_signal": {"payload": "x"}}, "call_signal.type is required"),
    ({"to": "{bot}", "raw_encrypted": 5}, "raw_encrypted: input should be a valid string"),
    ({"to": "{bot}", "raw_encrypted": "!!"}, "raw_encrypted must be base64"),
]


@pytest.mark.parametrize(("body", "expected"), SEND_WRONG)
def test_wrong_types_on_messages_send(http, bot, user, body, expected):
    body = {k: (bot["fingerprint"] if v == "{bot}" else v) for k, v in body.items()}
    assert failure(http.post("/v1/messages/send", json=body, headers={
        "Authorization": f"Bearer {user['token']}"})) == expected


MISSING = [
    ("bot register", {"name": "abot"}, "fingerprint is required"),
    ("bot register", {"fingerprint": "ab"}, "name is required"),
    ("sendMessage", {"text": "x"}, "chat_id is required"),
    ("sendMessage", {"chat_id": "ab"}, "text is required"),
    ("sendmessage", {"text": "x"}, "chat_id is required"),
    ("sendmessage", {"chat_id": "ab"}, "text is required"),
    ("sendMessage", {}, "chat_id is required"),
    ("user register", {}, "fingerprint is required"),
    ("user register", {"name": "n"}, "fingerprint is required"),
    ("messages send", {"text": "x"}, "to is required"),
]


@pytest.mark.parametrize(("route", "body", "expected"), MISSING)
def test_missing_fields(http, bot, user, route, body, expected):
    path, headers = routes(bot, user)[route]
    assert failure(http.post(path, json=body, headers=headers)) == expected


@pytest.mark.parametrize(("route", "expected"), [
    ("bot register", "name is required"), ("sendMessage", "chat_id is required"),
    ("user register", "fingerprint is required"), ("messages send", "to is required")])
def test_missing_body_names_the_first_required_field(http, bot, user, route, expected):
    path, headers = routes(bot, user)[route]
    assert failure(http.post(path, headers=headers)) == expected


def test_missing_body_on_the_any_spelling_route_names_the_first_field(http, bot):
    assert failure(http.post(bot_path(bot, "sendmessage"))) == "chat_id is required"


# Tokens

BAD_TOKENS = ["aabb:cc", "nocolon", ":", "0:0", "a" * 257, "a" * 10_000, "a" * 60_000,
              "%C3%A9%F0%9F%98%80", "%00", "%20", "{user}", "{bot}x", "x{bot}"]


def bad_token(token: str, bot: dict, user: dict) -> str:
    return token.replace("{user}", user["token"]).replace("{bot}", bot["token"])


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_unknown_or_malformed_bot_tokens(http, bot, user, token):
    for verb, method in (("GET", "getMe"), ("POST", "getMe"), ("POST", "getUpdates"),
                         ("GET", "getupdates"), ("POST", "sendMessage"),
                         ("GET", "sendmessage"), ("POST", "fooBar")):
        path = f"/v1/bot/{bad_token(token, bot, user)}/{method}"
        body = {"chat_id": bot["fingerprint"], "text": "x"} if verb == "POST" else None
        assert failure(http.request(verb, path, json=body)) == "invalid token", (verb, method)


USER_BAD_TOKENS = [t for t in BAD_TOKENS if t != "{user}"] + ["{bot}", "{bot_api}", "{user}x"]


@pytest.mark.parametrize("token", USER_BAD_TOKENS)
def test_unknown_or_malformed_user_tokens(http, bot, user, token):
    token = bad_token(token, bot, user).replace("{bot_api}", bot["bot_api_token"])
    headers = {"Authorization": f"Bearer {token}"}
    send = http.post("/v1/messages/send", json={"to": bot["fingerprint"], "text": "x"},
                     headers=headers)
    assert failure(send) == "invalid token"
    assert failure(http.get("/v1/messages/inbox", headers=headers)) == "invalid token"


def test_absurdly_long_authorization_header(http, bot):
    headers = {"Authorization": "Bearer " + "z" * 60_000}
    send = http.post("/v1/messages/send", json={"to": bot["fingerprint"], "text": "x"},
                     headers=headers)
    assert failure(send) == "invalid token"


# chat_id, aliases, timeouts

@pytest.mark.parametrize("chat_id", ["xyz-!", "", "   ", "ghijklmnop", "@@@", "--::--"])
def test_empty_chat_id_after_stripping(http, bot, chat_id):
    expected = "chat_id is empty after removing non-hex characters"
    assert failure(http.post(bot_path(bot, "sendMessage"),
                             json={"chat_id": chat_id, "text": "x"})) == expected
    assert failure(http.post(bot_path(bot, "sendmessage"),
                             json={"chat_id": chat_id, "text": "x"})) == expected
    assert failure(http.get(bot_path(bot, "SendMessage"),
                            params={"chat_id": chat_id, "text": "x"})) == expected


def test_taken_bot_alias(http):
    name = f"tk{secrets.token_hex(3)}"
    register_bot(http, name)  # alias name_bot
    for taken in (f"{name}_bot", name.upper() + "_bot", name):  # all give @<name>_bot
        response = http.post("/v1/bot/register", json={"name": taken, "fingerprint": fingerprint()})
        assert failure(response) == "alias already taken"


def test_taken_user_alias_and_fingerprint(http):
    alias = "tk" + secrets.token_hex(4)
    user = register_user(http, alias=alias)
    taken = http.post("/v1/users/register", json={"fingerprint": fingerprint(), "alias": alias})
    assert failure(taken) == "alias already taken"
    again = http.post("/v1/users/register", json={"fingerprint": user["fingerprint"]})
    assert failure(again) == "fingerprint already registered"
    bot = http.post("/v1/bot/register", json={"name": "fpbot" + secrets.token_hex(2),
                                               "fingerprint": user["fingerprint"]})
    assert failure(bot) == "fingerprint already registered"


def test_a_failed_registration_claims_nothing(http):
    """Neither the fingerprint of a registration refused for its alias, nor the alias of one
    refused for its fingerprint, stays claimed."""
    taken_alias = "held" + secrets.token_hex(4)
    holder = register_user(http, alias=taken_alias)
    fp, fresh_alias = fingerprint(), "free" + secrets.token_hex(4)
    assert failure(http.post("/v1/users/register",
                             json={"fingerprint": fp, "alias": taken_alias})) == \
        "alias already taken"
    assert failure(http.post("/v1/users/register",
                             json={"fingerprint": holder["fingerprint"], "alias": fresh_alias})) \
        == "fingerprint already registered"
    assert register_user(http, alias=fresh_alias)  # the alias is still free
    again = http.post("/v1/users/register", json={"fingerprint": fp}).json()
    assert again["ok"] is True and again["result"]["fingerprint"] == fp


@pytest.mark.parametrize(("field", "value"), [("alias", "racer"), ("fingerprint", None)])
def test_concurrent_claims_let_exactly_one_win(server, field, value):
    fp = fingerprint()
    value = value + secrets.token_hex(3) if value else fp
    before = stats(server)["by_type"].get("User.Registered", 0)
    answers: list[dict] = []

    def register():
        with httpx.Client(base_url=server.url, timeout=15) as client:
            body = {"fingerprint": fingerprint(), field: value}
            answers.append(client.post("/v1/users/register", json=body).json())

    threads = [threading.Thread(target=register) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wins = [a for a in answers if a["ok"]]
    expected = "alias already taken" if field == "alias" else "fingerprint already registered"
    assert len(wins) == 1, answers
    assert [a for a in answers if not a["ok"]] == [{"ok": False, "description": expected}] * 15
    assert stats(server)["by_type"].get("User.Registered", 0) == before + 1


@pytest.mark.parametrize("request_", [
    ("POST", "getUpdates", {"json": {"timeout": -1}}),
    ("POST", "getUpdates", {"json": {"timeout": -0.5}}),
    ("POST", "getupdates", {"json": {"timeout": -1}}),
    ("GET", "getupdates", {"params": {"timeout": "-1"}}),
    ("GET", "getUpdates", {"params": {"timeout": "-3"}}),
], ids=["post", "post-fraction", "any-spelling", "get", "get-camel"])
def test_negative_timeout(http, bot, request_):
    verb, method, kwargs = request_
    description = failure(http.request(verb, bot_path(bot, method), **kwargs))
    assert description == "timeout: input should be greater than or equal to 0"


@pytest.mark.parametrize("timeout", ["nan", "inf", "-inf"])
def test_timeout_that_is_not_a_finite_number(http, bot, timeout):
    description = failure(http.get(bot_path(bot, "getUpdates"), params={"timeout": timeout}))
    assert description.startswith("timeout: "), description
    assert failure(http.post(bot_path(bot, "getUpdates"),
                             content=b'{"timeout": NaN}', headers=JSON_TYPE)).startswith(
        "malformed JSON: ")


# Oversized bodies

@pytest.mark.parametrize("route", ROUTES)
def test_oversized_body_with_content_length(http, bot, user, route):
    response = post_raw(http, bot, user, route, b" " * (LIMIT + 1))
    assert failure(response, 413) == TOO_LARGE


@pytest.mark.parametrize("route", ROUTES)
def test_oversized_chunked_body_without_content_length(http, bot, user, route):
    def chunks():
        for _ in range(20):
            yield b"x" * 65536 * 2  # 2.5 MiB in all

    path, auth = routes(bot, user)[route]
    request = http.build_request("POST", path, content=chunks(), headers={**JSON_TYPE, **auth})
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    assert failure(http.send(request), 413) == TOO_LARGE


def test_body_of_exactly_the_limit_is_accepted(http):
    body = json.dumps({"fingerprint": fingerprint()}).encode()
    body += b" " * (LIMIT - len(body))
    assert len(body) == LIMIT
    answer = http.post("/v1/users/register", content=body, headers=JSON_TYPE).json()
    assert answer["ok"] is True, answer


def test_small_chunked_body_is_accepted(http, bot, user):
    request = http.build_request(
        "POST", "/v1/messages/send",
        content=iter([b'{"to": "', bot["fingerprint"].encode(), b'", "text": "chunked"}']),
        headers={**JSON_TYPE, "Authorization": f"Bearer {user['token']}"})
    assert "content-length" not in request.headers
    assert http.send(request).json()["ok"] is True
    updates = http.post(bot_path(bot, "getUpdates")).json()["result"]
    assert [u["message"]["text"] for u in updates] == ["chunked"]


# Methods, paths, verbs

@pytest.mark.parametrize("verb", ["GET", "POST"])
@pytest.mark.parametrize("method", ["fooBar", "sendPhoto", "getme2", "get_me"])
def test_unknown_method_is_a_404_envelope(http, bot, verb, method):
    assert failure(http.request(verb, bot_path(bot, method)), 404) == "method not found"


@pytest.mark.parametrize(("verb", "path", "status", "expected"), [
    ("GET", "/nope", 404, "Not Found"),
    ("GET", "/v1/bot/x/getMe/extra", 404, "Not Found"),
    ("GET", "/v1/users/register", 405, "Method Not Allowed"),
    ("POST", "/v1/messages/inbox", 405, "Method Not Allowed"),
    ("PUT", "/v1/bot/register", 405, "Method Not Allowed"),
])
def test_unknown_paths_and_verbs_are_envelopes(http, verb, path, status, expected):
    assert failure(http.request(verb, path), status) == expected


@pytest.mark.parametrize(("verb", "path", "allowed"), [
    ("GET", "/v1/users/register", "POST"), ("POST", "/v1/messages/inbox", "GET"),
    ("TRACE", "/health", "GET"), ("OPTIONS", "/v1/bot/x/getMe", "GET, POST"),
    ("PUT", "/v1/bot/x/getUpdates", "GET, POST")])
def test_a_verb_not_allowed_names_the_allowed_ones(http, verb, path, allowed):
    response = http.request(verb, path)
    assert response.status_code == 405 and response.headers["allow"] == allowed


def test_method_names_are_case_insensitive_and_get_works(http):
    bot, peer = register_bot(http), register_bot(http)
    token = bot["token"]
    for spelling in ("getme", "GETME", "GetMe", "getMe"):
        for verb in ("GET", "POST"):
            result = http.request(verb, f"/v1/bot/{token}/{spelling}").json()["result"]
            assert result["id"] == bot["fingerprint"] and result["is_bot"] is True
    for spelling in ("getupdates", "GETUPDATES", "GetUpdates", "getUpdates"):
        assert http.get(f"/v1/bot/{token}/{spelling}").json() == {"ok": True, "result": []}
        assert http.post(f"/v1/bot/{token}/{spelling}").json() == {"ok": True, "result": []}
    for spelling in ("sendmessage", "SENDMESSAGE", "SendMessage"):
        answer = http.get(f"/v1/bot/{token}/{spelling}",
                          params={"chat_id": peer["fingerprint"], "text": spelling}).json()
        assert answer["ok"] is True and answer["result"]["text"] == spelling
    answer = http.post(f"/v1/bot/{token}/SENDMESSAGE",
                       json={"chat_id": peer["fingerprint"], "text": "posted"}).json()
    assert answer["ok"] is True
    got = http.get(f"/v1/bot/{peer['token']}/getupdates").json()["result"]
    assert [u["message"]["text"] for u in got] == ["sendmessage", "SENDMESSAGE", "SendMessage",
                                                   "posted"]
    assert [u["update_id"] for u in got] == [1, 2, 3, 4]


@pytest.mark.parametrize("spelling", ["sendMessage", "sendmessage"])
@pytest.mark.parametrize("style", ["form", "query"])
def test_parameters_work_the_same_for_every_spelling(http, bot, spelling, style):
    """Decision 1: parameters merge the query string with JSON or form bodies, whatever the
    method's spelling; `sendMessage` must not be stricter than `sendmessage`."""
    peer = register_bot(http)
    params = {"chat_id": peer["fingerprint"], "text": f"{style} {spelling}"}
    kwargs = {"data": params} if style == "form" else {"params": params}
    answer = http.post(bot_path(bot, spelling), **kwargs).json()
    assert answer["ok"] is True, answer
    got = http.post(bot_path(peer, "getUpdates")).json()["result"]
    assert [u["message"]["text"] for u in got] == [f"{style} {spelling}"]


# A failed command appends nothing

def test_failed_commands_append_nothing(http, server, bot, user):
    taken_alias = "hold" + secrets.token_hex(4)
    holder = register_user(http, alias=taken_alias)
    auth = {"Authorization": f"Bearer {user['token']}"}
    before = event_count(server)

    attempts = [
        http.post("/v1/bot/register",
                  json={"name": bot["alias"][1:], "fingerprint": fingerprint()}),
        http.post("/v1/bot/register", json={"name": "newbot" + secrets.token_hex(2),
                                            "fingerprint": bot["fingerprint"]}),
        http.post("/v1/bot/register", json={"name": "bad name", "fingerprint": fingerprint()}),
        http.post("/v1/bot/register", json={"name": "okbot", "fingerprint": "zz"}),
        http.post("/v1/users/register", json={"fingerprint": fingerprint(), "alias": taken_alias}),
        http.post("/v1/users/register", json={"fingerprint": holder["fingerprint"]}),
        http.post("/v1/users/register", json={"fingerprint": fingerprint(), "alias": "mybot"}),
        http.post("/v1/users/register", json={"fingerprint": fingerprint(), "alias": "a-b"}),
        http.post("/v1/users/register", json={"fingerprint": fingerprint(), "name": ""}),
        http.post("/v1/users/register", content=b"{bad", headers=JSON_TYPE),
        http.post("/v1/users/register", content=b" " * (LIMIT + 1), headers=JSON_TYPE),
        http.post(bot_path(bot, "sendMessage"), json={"chat_id": "xyz", "text": "lost"}),
        http.post(bot_path(bot, "sendMessage"), json={"chat_id": "ab", "text": "x" * 4097}),
        http.post(bot_path(bot, "sendmessage"), json={"chat_id": "ab"}),
        http.post(bot_path(bot, "sendMessage"), json=[1]),
        http.post("/v1/bot/nope:nope/sendMessage", json={"chat_id": "ab", "text": "x"}),
        http.post(bot_path(bot, "getUpdates"), json={"timeout": -1}),
        http.post("/v1/messages/send", json={"to": bot["fingerprint"]}, headers=auth),
        http.post("/v1/messages/send", json={"to": bot["fingerprint"], "text": "a",
                                             "raw_encrypted": "aGk="}, headers=auth),
        http.post("/v1/messages/send", json={"to": bot["fingerprint"], "raw_encrypted": "!!"},
                  headers=auth),
        http.post("/v1/messages/send", json={"to": "@nobody" + secrets.token_hex(3),
                                             "text": "x"}, headers=auth),
        http.post("/v1/messages/send", json={"to": "zz", "text": "x"}, headers=auth),
        http.post("/v1/messages/send", json={"to": bot["fingerprint"],
                                             "call_signal": {"type": "Nope"}}, headers=auth),
        http.post("/v1/messages/send", json={"to": bot["fingerprint"], "text": "x"},
                  headers={"Authorization": "Bearer nope"}),
        http.post("/v1/messages/send", json={"to": bot["fingerprint"], "text": "x"}),
        http.post(bot_path(bot, "fooBar")),
    ]
    for response in attempts:
        assert response.status_code != 500, response.text
        assert response.json()["ok"] is False, response.text

    assert event_count(server) == before
    assert http.post(bot_path(bot, "getUpdates")).json() == {"ok": True, "result": []}
    assert send_as_user(http, user, to=bot["fingerprint"], text="still works")["ok"] is True
    assert event_count(server) == before + 1


# Values that are valid JSON but cannot be stored as they are

def test_huge_integer_is_refused_or_round_trips_and_never_wedges_the_server(tmp_path):
    """A file_size beyond 64 bits must be refused (`document.file_size: ...`) or delivered
    as sent; either way the server keeps projecting what comes next. Its own server: a wedged
    projector would break every later test."""
    own = Server(tmp_path / "data").start()
    try:
        with httpx.Client(base_url=own.url, timeout=15) as http:
            bot, user = register_bot(http), register_user(http)
            size = 10 ** 30
            answer = send_as_user(http, user, to=bot["fingerprint"],
                                  document={"file_name": "huge.bin", "file_size": size})
            expected_texts = ["after"]
            if answer["ok"]:
                expected_texts = [None, "after"]
            else:
                assert set(answer) == {"ok", "description"}
                assert answer["description"].startswith("document.file_size"), answer
            assert send_as_user(http, user, to=bot["fingerprint"], text="after")["ok"] is True
            got = http.post(f"/v1/bot/{bot['token']}/getUpdates").json()
            assert got["ok"] is True, got
            assert [u["message"].get("text") for u in got["result"]] == expected_texts
            if answer["ok"]:
                assert got["result"][0]["message"]["document"]["file_size"] == size
            reply = http.post(f"/v1/bot/{bot['token']}/sendMessage",
                              json={"chat_id": user["fingerprint"], "text": "reply"}).json()
            assert reply["ok"] is True
            inbox = http.get("/v1/messages/inbox",
                             headers={"Authorization": f"Bearer {user['token']}"}).json()
            assert [i["message"]["text"] for i in inbox["result"]] == ["reply"]
    finally:
        own.stop()
    assert "projection failed" not in own.log_text()


# Last: nothing above crashed the shared server

def test_server_is_healthy_and_logged_no_crash(http, server):
    assert http.get("/health").json() == {"ok": True}
    log = server.log_text()
    for marker in ("unhandled error", "command failed", "projection failed", "save failed"):
        assert marker not in log, log[-3000:]
