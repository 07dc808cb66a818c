"""Botyard's three callers refused (botyard.md §1.3, decisions 2, 9 and 10): the admin key, the bot
key `<bot id>:<token>` and the user's `token` cookie, on every route that needs one, and the
sliding session. A second server with a known JWT key lets the tests sign cookies themselves."""
import base64
import json
import secrets
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from tests.botyard.conftest import ADMIN_KEY, start_server
from tests.servers import Server

KNOWN_KEY = "known-key"
NOT_THE_KEY = "not the server's key, but long enough for HS256"
UNKNOWN_ID = "01hc76p6ma76qfrs0bfr5x2pry"  # well-formed, never issued
WEEK_S = 10080 * 60  # limits.user.authTokenLifetime default, in minutes
CLOCK_SLACK_S = 60
UNAUTHORIZED = "User is unauthorized."
NOT_YOUR_CHAT = "Chat is not related to current user."
NOT_THIS_BOTS_CHAT = "Chat is not related to current bot."
UPLOAD = "<a multipart upload>"


def refused(answer: httpx.Response, status: int, message: str) -> None:
    """Botyard's envelope, exactly: `{"message": ...}` as JSON."""
    assert (answer.status_code, answer.json()) == (status, {"message": message}), answer.text
    assert answer.headers["content-type"].split(";")[0] == "application/json"


def sign(claims: dict, key: str | None, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():  # "known-key" is short, as an operator's key may be
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm)


def read(token: str, key: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.decode(token, key, algorithms=["HS256"])


def claims(user_id: str, nickname: str = "someone", expires_in: int = 3600,
           issued_ago: int = 0) -> dict:
    now = int(time.time())
    return {"id": user_id, "nickname": nickname, "exp": now + expires_in, "iat": now - issued_ago}


def cookie(token: str) -> dict[str, str]:
    """Sent as a header: per-request `cookies=` is deprecated in httpx."""
    return {"Cookie": f"token={token}"}


def token_cookie(answer: httpx.Response) -> dict[str, str] | None:
    """The `token` Set-Cookie as {attribute (lower case): value}, its value under "token"."""
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith("token="):
            parts = [part.strip() for part in header.split(";")]
            return {key.lower(): value for key, _, value in (p.partition("=") for p in parts)}
    return None


# ---- one set of objects per server, so the refusal tables cost a request a row --------------

@dataclass(frozen=True)
class World:
    bot: dict
    key: str
    other_key: str
    user: dict
    token: str
    chat: str
    message: str
    command: str

    @property
    def names(self) -> dict[str, str]:
        return {"bot": self.bot["id"], "user": self.user["id"], "chat": self.chat,
                "message": self.message, "command": self.command}


def make_bot(http: httpx.Client, **fields: str) -> dict:
    answer = http.post("/v1/admin-api/bot", json={"name": f"bot {secrets.token_hex(4)}", **fields},
                       headers={"Authorization": ADMIN_KEY})
    assert answer.status_code == 201, answer.text
    return answer.json()


def make_user(http: httpx.Client, nickname: str = "someone") -> tuple[dict, str]:
    answer = http.post("/v1/client-api/user", json={"nickname": nickname})
    assert answer.status_code == 201, answer.text
    return answer.json(), answer.cookies["token"]


def make_chat(http: httpx.Client, token: str, bot_id: str) -> str:
    answer = http.post("/v1/client-api/chat", json={"botId": bot_id}, headers=cookie(token))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def client(server: Server) -> httpx.Client:
    """A client that keeps no cookies: every credential a test sends is explicit."""
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(base_url=server.url, timeout=15, cookies=no_cookies)


@pytest.fixture(scope="module")
def http(server) -> Iterator[httpx.Client]:
    """One client for the module: the refusal tables then cost a request a row."""
    with client(server) as shared:
        yield shared


@pytest.fixture(scope="module")
def world(http) -> World:
    made, other = make_bot(http, description="The world's bot"), make_bot(http)
    key = made["key"]
    http.post("/v1/bot-api/bot/commands", json=[{"alias": "start"}],
              headers={"Authorization": key})
    command, = http.get("/v1/bot-api/bot/commands", headers={"Authorization": key}).json()
    user, token = make_user(http, "world user")
    chat = make_chat(http, token, made["bot"]["id"])
    sent = http.post("/v1/client-api/chat/message", json={"chatId": chat, "body": "hello"},
                     headers=cookie(token))
    assert sent.status_code == 201, sent.text
    return World(made["bot"], key, other["key"], user, token, chat, sent.json()["id"],
                 command["id"])


def fill(value, names: dict[str, str]):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    return value


def call(http: httpx.Client, route: tuple, names: dict[str, str],
         headers: dict[str, str]) -> httpx.Response:
    method, path, body = route
    if body == UPLOAD:
        payload = {"files": [("file", ("a.txt", b"a", "text/plain"))]}
    else:
        payload = {} if body is None else {"json": fill(body, names)}
    return http.request(method, fill(path, names), headers=headers, **payload)


def assert_world_intact(http: httpx.Client, world: World) -> None:
    """A refused write changed nothing: profile, key, commands, webhook, chat, message."""
    as_bot = {"Authorization": world.key}
    assert http.get("/v1/bot-api/bot", headers=as_bot).json() == world.bot
    assert http.get("/v1/admin-api/bot/{}/key".format(world.bot["id"]),
                    headers={"Authorization": ADMIN_KEY}).json() == {"key": world.key}
    assert [c["id"] for c in http.get("/v1/bot-api/bot/commands", headers=as_bot).json()] == [
        world.command]
    assert http.get("/v1/bot-api/bot/webhook", headers=as_bot).status_code == 404
    page = http.get(f"/v1/bot-api/chat/{world.chat}/messages", headers=as_bot).json()
    assert [m["id"] for m in page["messages"]] == [world.message]
    assert len(http.get("/v1/bot-api/chats", params={"user_id": world.user["id"]},
                        headers=as_bot).json()) == 1


# ---- admin key -------------------------------------------------------------------------------

ADMIN_ROUTES = {
    "create bot": ("POST", "/v1/admin-api/bot", {"name": "never made"}),
    "delete bot": ("DELETE", "/v1/admin-api/bot/{bot}", None),
    "get key": ("GET", "/v1/admin-api/bot/{bot}/key", None),
    "reset key": ("PUT", "/v1/admin-api/bot/{bot}/key", None),
    "reload config": ("PUT", "/v1/admin-api/config", None),
}
BAD_ADMIN_KEYS = {
    "missing": (None, "Admin key is required."),
    "empty": ("", "Admin key is required."),
    "wrong": ("wrong", "Access denied."),
    "one character more": (ADMIN_KEY + "x", "Access denied."),
    "one character less": (ADMIN_KEY[:-1], "Access denied."),
    "upper case": (ADMIN_KEY.upper(), "Access denied."),
    "as a Bearer token": (f"Bearer {ADMIN_KEY}", "Access denied."),
    "a bot's key": ("{key}", "Access denied."),
}


@pytest.mark.parametrize("route", ADMIN_ROUTES.values(), ids=ADMIN_ROUTES)
@pytest.mark.parametrize("key, message", BAD_ADMIN_KEYS.values(), ids=BAD_ADMIN_KEYS)
def test_admin_routes_refuse_a_missing_or_wrong_admin_key(http, world, route, key,
                                                          message) -> None:
    headers = {} if key is None else {"Authorization": key.format(key=world.key)}
    refused(call(http, route, world.names, headers), 403, message)
    if route[0] != "GET":
        assert_world_intact(http, world)
        listed = http.get("/v1/client-api/bots").json()
        assert "never made" not in [bot["name"] for bot in listed]


# ---- bot key ---------------------------------------------------------------------------------

BOT_ROUTES = {
    "get bot": ("GET", "/v1/bot-api/bot", None),
    "edit bot": ("PUT", "/v1/bot-api/bot", {"description": "hijacked"}),
    "add commands": ("POST", "/v1/bot-api/bot/commands", [{"alias": "hijack"}]),
    "list commands": ("GET", "/v1/bot-api/bot/commands", None),
    "delete command": ("DELETE", "/v1/bot-api/bot/command/{command}", None),
    "set webhook": ("POST", "/v1/bot-api/bot/webhook", {"url": "http://127.0.0.1:9/hijack"}),
    "get webhook": ("GET", "/v1/bot-api/bot/webhook", None),
    "delete webhook": ("DELETE", "/v1/bot-api/bot/webhook", None),
    "list chats": ("GET", "/v1/bot-api/chats?user_id={user}", None),
    "read messages": ("GET", "/v1/bot-api/chat/{chat}/messages", None),
    "read message": ("GET", "/v1/bot-api/chat/message/{message}", None),
    "send message": ("POST", "/v1/bot-api/chat/message", {"chatId": "{chat}", "body": "x"}),
    "upload": ("POST", "/v1/bot-api/files", UPLOAD),
}
BAD_BOT_KEYS = {
    "missing": (None, "Bot key is required."),
    "empty": ("", "Bot key is required."),
    "no colon": ("{id}{token}", "Invalid bot key."),
    "the token alone": ("{token}", "Invalid bot key."),
    "an empty token": ("{id}:", "Invalid bot key."),
    "a wrong token": ("{id}:" + "A" * 26, "Invalid bot key."),
    "one character more": ("{id}:{token}x", "Invalid bot key."),
    "an unknown bot id": (UNKNOWN_ID + ":{token}", "Invalid bot key."),  # decision 2
    "an unknown bot id, any token": (UNKNOWN_ID + ":anything", "Invalid bot key."),
    "another bot's id": ("{other}:{token}", "Invalid bot key."),
    "as a Bearer token": ("Bearer {id}:{token}", "Invalid bot key."),
    "the admin key": (ADMIN_KEY, "Invalid bot key."),
}


@pytest.mark.parametrize("route", BOT_ROUTES.values(), ids=BOT_ROUTES)
@pytest.mark.parametrize("key, message", BAD_BOT_KEYS.values(), ids=BAD_BOT_KEYS)
def test_bot_routes_refuse_a_missing_or_wrong_bot_key(http, world, route, key, message) -> None:
    bot_id, token = world.key.split(":")
    headers = {} if key is None else {"Authorization": key.format(
        id=bot_id, token=token, other=world.other_key.split(":")[0])}
    refused(call(http, route, world.names, headers), 403, message)
    if route[0] != "GET":
        assert_world_intact(http, world)


def test_another_bots_key_works_only_for_that_bot(http, world) -> None:
    """A valid key of bot B names bot B: it never reaches bot A's chat."""
    as_other = {"Authorization": world.other_key}
    assert http.get("/v1/bot-api/bot", headers=as_other).json()["id"] != world.bot["id"]
    refused(http.get(f"/v1/bot-api/chat/{world.chat}/messages", headers=as_other), 403,
            NOT_THIS_BOTS_CHAT)


# ---- user cookie -----------------------------------------------------------------------------

USER_ROUTES = {
    "current user": ("GET", "/v1/client-api/user", None),
    "bot commands": ("GET", "/v1/client-api/bot/{bot}/commands", None),
    "open chat": ("POST", "/v1/client-api/chat", {"botId": "{bot}"}),
    "list chats": ("GET", "/v1/client-api/chats?bot_id={bot}", None),
    "read messages": ("GET", "/v1/client-api/chat/{chat}/messages", None),
    "send message": ("POST", "/v1/client-api/chat/message", {"chatId": "{chat}", "body": "x"}),
    "upload": ("POST", "/v1/client-api/files", UPLOAD),
    "delete chat": ("DELETE", "/v1/client-api/chat/{chat}", None),
}


def tampered(token: str, user_id: str) -> str:
    """The server's own token with its payload swapped: the signature no longer matches."""
    header, payload, signature = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**fields, "id": user_id}).encode())
    return f"{header}.{forged.decode().rstrip('=')}.{signature}"


BAD_COOKIES = {
    "missing": lambda world: None,
    "empty": lambda world: "",
    "garbage": lambda world: "not-a-jwt",
    "three garbage parts": lambda world: "a.b.c",
    "signed with another key": lambda world: sign(claims(world.user["id"]), NOT_THE_KEY),
    "expired, signed with another key": lambda world: sign(
        claims(world.user["id"], expires_in=-3600, issued_ago=7200), NOT_THE_KEY),
    "unsigned (alg none)": lambda world: sign(claims(world.user["id"]), None, "none"),
    "payload swapped": lambda world: tampered(world.token, UNKNOWN_ID),
    "a bot's key": lambda world: world.key,
}


@pytest.mark.parametrize("route", USER_ROUTES.values(), ids=USER_ROUTES)
@pytest.mark.parametrize("make", BAD_COOKIES.values(), ids=BAD_COOKIES)
def test_user_routes_refuse_a_missing_or_bad_cookie(http, world, route, make) -> None:
    token = make(world)
    answer = call(http, route, world.names, {} if token is None else cookie(token))
    refused(answer, 401, UNAUTHORIZED)
    assert token_cookie(answer) is None
    if route[0] != "GET":
        assert_world_intact(http, world)


def test_the_cookie_is_not_read_from_the_authorization_header(http, world) -> None:
    refused(http.get("/v1/client-api/user", headers={"Authorization": world.token}), 401,
            UNAUTHORIZED)
    refused(http.get("/v1/client-api/user", headers={"Authorization": f"Bearer {world.token}"}),
            401, UNAUTHORIZED)


def test_the_servers_own_cookie_is_accepted(http, world) -> None:
    """The control for the table above: the same routes with the real cookie pass."""
    answer = http.get("/v1/client-api/user", headers=cookie(world.token))
    assert (answer.status_code, answer.json()) == (200, world.user)
    assert token_cookie(answer) is not None


# ---- one user, one bot, and somebody else's chat ----------------------------------------------

INTRUSIONS = {
    "read messages": ("GET", "/v1/client-api/chat/{chat}/messages", None),
    "send a message": ("POST", "/v1/client-api/chat/message", {"chatId": "{chat}",
                                                              "body": "intruder"}),
    "delete the chat": ("DELETE", "/v1/client-api/chat/{chat}", None),
}


@pytest.mark.parametrize("route", INTRUSIONS.values(), ids=INTRUSIONS)
def test_a_user_cannot_touch_another_users_chat(http, world, route) -> None:
    _, intruder = make_user(http, "intruder")
    answer = call(http, route, world.names, cookie(intruder))
    refused(answer, 403, NOT_YOUR_CHAT)
    assert token_cookie(answer) is not None  # authenticated, so the session slides
    assert http.get("/v1/client-api/chats", params={"bot_id": world.bot["id"]},
                    headers=cookie(intruder)).json() == []
    assert_world_intact(http, world)


BOT_INTRUSIONS = {
    "read messages": ("GET", "/v1/bot-api/chat/{chat}/messages", None),
    "read a message": ("GET", "/v1/bot-api/chat/message/{message}", None),
    "send a message": ("POST", "/v1/bot-api/chat/message", {"chatId": "{chat}",
                                                           "body": "intruder"}),
}


@pytest.mark.parametrize("route", BOT_INTRUSIONS.values(), ids=BOT_INTRUSIONS)
def test_a_bot_cannot_touch_another_bots_chat(http, world, route) -> None:
    intruder = make_bot(http)
    refused(call(http, route, world.names, {"Authorization": intruder["key"]}), 403,
            NOT_THIS_BOTS_CHAT)
    assert http.get("/v1/bot-api/chats", params={"user_id": world.user["id"]},
                    headers={"Authorization": intruder["key"]}).json() == []
    assert_world_intact(http, world)


# ---- a server whose JWT key the tests know (decision 9) ----------------------------------------

@pytest.fixture(scope="module")
def known(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("botyard-known-key") / "data",
                           JWT_SECRET_KEY=KNOWN_KEY)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def khttp(known) -> Iterator[httpx.Client]:
    with client(known) as shared:
        yield shared


@pytest.fixture(scope="module")
def known_bot(khttp) -> dict:
    return make_bot(khttp)


def assert_fresh(answer: httpx.Response, user: dict) -> None:
    """A new week-long token for the same user, signed with the known key (§1.3, decision 10)."""
    set_cookie = token_cookie(answer)
    assert set_cookie is not None, answer.headers
    now = time.time()
    fields = read(set_cookie["token"], KNOWN_KEY)
    assert (fields["id"], fields["nickname"]) == (user["id"], user["nickname"])
    assert abs(fields["exp"] - (now + WEEK_S)) < CLOCK_SLACK_S
    assert abs(fields["iat"] - now) < CLOCK_SLACK_S
    assert abs(parsedate_to_datetime(set_cookie["expires"]).timestamp() - fields["exp"]) <= 1
    assert set_cookie["path"] == "/" and set_cookie["samesite"].lower() == "lax"
    assert "httponly" in set_cookie and "secure" not in set_cookie and "domain" not in set_cookie


def test_the_cookie_is_an_hs256_jwt_signed_with_the_given_key(khttp) -> None:
    answer = khttp.post("/v1/client-api/user", json={"nickname": "signed"})
    assert answer.status_code == 201, answer.text
    token = token_cookie(answer)["token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert set(read(token, KNOWN_KEY)) == {"id", "nickname", "exp", "iat"}
    assert_fresh(answer, answer.json())


@pytest.mark.parametrize("route", ["/v1/client-api/user", "/v1/client-api/chats?bot_id={bot}"])
def test_an_expired_cookie_signed_with_the_right_key_is_401(khttp, known_bot, route) -> None:
    user, _ = make_user(khttp)
    token = sign(claims(user["id"], user["nickname"], expires_in=-5, issued_ago=WEEK_S), KNOWN_KEY)
    answer = khttp.get(route.format(bot=known_bot["bot"]["id"]), headers=cookie(token))
    refused(answer, 401, UNAUTHORIZED)
    assert token_cookie(answer) is None


def test_a_right_key_cookie_for_a_user_that_does_not_exist_is_401(khttp) -> None:
    token = sign(claims(UNKNOWN_ID, "ghost"), KNOWN_KEY)
    refused(khttp.get("/v1/client-api/user", headers=cookie(token)), 401, UNAUTHORIZED)


def test_a_cookie_the_test_signed_for_a_real_user_is_accepted(khttp) -> None:
    user, _ = make_user(khttp, "real user")
    token = sign(claims(user["id"], user["nickname"]), KNOWN_KEY)
    answer = khttp.get("/v1/client-api/user", headers=cookie(token))
    assert (answer.status_code, answer.json()) == (200, user)


@pytest.mark.parametrize("route", USER_ROUTES.values(), ids=USER_ROUTES)
def test_every_cookie_authenticated_answer_renews_the_session(khttp, known_bot, route) -> None:
    """The sliding session: a token about to expire comes back as a fresh week-long one."""
    user, _ = make_user(khttp, "slider")
    bot_id = known_bot["bot"]["id"]
    names = {"bot": bot_id, "chat": make_chat(khttp, sign(claims(user["id"]), KNOWN_KEY), bot_id)}
    old = sign(claims(user["id"], user["nickname"], expires_in=30, issued_ago=WEEK_S),
               KNOWN_KEY)
    answer = call(khttp, route, names, cookie(old))
    assert answer.status_code in (200, 201), answer.text
    assert_fresh(answer, user)


def test_a_refusal_after_sign_in_renews_the_session_too(khttp, known_bot) -> None:
    """The middleware renews before the handler runs, so a 404 carries the cookie as well."""
    user, _ = make_user(khttp, "slider")
    old = sign(claims(user["id"], user["nickname"], expires_in=30, issued_ago=WEEK_S),
               KNOWN_KEY)
    answer = khttp.get(f"/v1/client-api/chat/{UNKNOWN_ID}/messages", headers=cookie(old))
    refused(answer, 404, "Chat not found.")
    assert_fresh(answer, user)
