"""Telegram methods that write or describe, end to end with plain httpx and a websocket: what
the bot gets back and what the featherChat user sees (telegram.md decisions 2, 4, 7, 10)."""
import json
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from tests.servers import Server, served
from tests.telegram.conftest import User, new_bot, new_user

pytestmark = pytest.mark.slow
ADMIN_KEY = "surface-admin-key-0123456789"
INLINE = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"},
                               {"text": "No", "callback_data": "no"}]]}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    yield from served(tmp_path_factory, "messages", ADMIN_SECRET_KEY=ADMIN_KEY)


class Bot:
    def __init__(self, http: httpx.Client, token: str) -> None:
        self.http, self.base = http, f"/bot{token}"

    def answer(self, method: str, status: int, **params) -> dict:
        response = self.http.post(f"{self.base}/{method}", json=params)
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert response.status_code == status and body["ok"] is (status == 200), body
        assert status == 200 or body["error_code"] == status, body
        return body

    def __call__(self, method: str, **params):
        return self.answer(method, 200, **params)["result"]

    def error(self, method: str, **params) -> str:
        return self.answer(method, 400, **params)["description"]


@pytest.fixture
def bot(http) -> Bot:
    return Bot(http, new_bot(http)["bot_api_token"])


@pytest.fixture
def user(http) -> User:
    return new_user(http, name="Alice")


def item(user: User) -> dict:
    """The user's next inbox item."""
    return user.wait_for(1)[0]


# sendMessage

def test_send_message_returns_a_message_from_the_bot(bot, user):
    me = bot("getMe")
    sent = bot("sendMessage", chat_id=user.id, text="hello")
    assert isinstance(sent["message_id"], int) and isinstance(sent["date"], int)
    assert sent["chat"] == {"id": user.id, "type": "private", "first_name": "Alice"}
    assert sent["from"] == {k: me[k] for k in ("id", "is_bot", "first_name", "username")}
    assert sent["text"] == "hello" and "reply_markup" not in sent
    assert item(user)["message"]["text"] == "hello"
    assert bot("sendMessage", chat_id=user.id, text="again")["message_id"] > sent["message_id"]


LINK = [{"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "offset": 3, "length": 4, "url": "https://example.com"}]


@pytest.mark.parametrize(("fields", "plain", "entities"), [
    ({"text": "<b>bold</b> and <i>it</i>", "parse_mode": "HTML"}, "bold and it",
     [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 9, "length": 2}]),
    ({"text": "*bold* _it_ 😀 `c`", "parse_mode": "MarkdownV2"}, "bold it 😀 c",
     [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 5, "length": 2},
      {"type": "code", "offset": 11, "length": 1}]),
    ({"text": "  \n <b>x</b> y \n", "parse_mode": "HTML"}, "x y",
     [{"type": "bold", "offset": 0, "length": 1}]),
    ({"text": "   padded\t\n"}, "padded", None),
    ({"text": "hi link", "entities": LINK}, "hi link", LINK),  # explicit entities
])
def test_formatting_gives_plain_text_and_entities(bot, user, fields, plain, entities):
    sent = bot("sendMessage", chat_id=user.id, **fields)
    assert (sent["text"], sent.get("entities")) == (plain, entities)
    shown = item(user)["message"]
    assert (shown["text"], shown.get("entities")) == (plain, entities)


def test_inline_keyboard_is_echoed_and_reply_keyboards_only_reach_the_user(bot, user):
    assert bot("sendMessage", chat_id=user.id, text="i", reply_markup=INLINE)["reply_markup"] \
        == INLINE
    assert item(user)["message"]["reply_markup"] == INLINE
    for markup in ({"keyboard": [[{"text": "Left"}, {"text": "Right"}]], "resize_keyboard": True},
                   {"remove_keyboard": True}, {"force_reply": True}):
        sent = bot("sendMessage", chat_id=user.id, text="k", reply_markup=json.dumps(markup))
        assert "reply_markup" not in sent, markup
        assert item(user)["message"]["reply_markup"] == markup


def test_reply_parameters_and_reply_to_message_id(bot, user):
    me = bot("getMe")
    written = user.send(f"@{me['username']}", "question")
    update, = bot("getUpdates")
    asked = update["message"]["message_id"]
    for how in ({"reply_parameters": {"message_id": asked}},
                {"reply_parameters": json.dumps({"message_id": asked})},
                {"reply_to_message_id": asked}):
        sent = bot("sendMessage", chat_id=user.id, text="answer", **how)
        assert sent["reply_to_message"]["message_id"] == asked
        assert sent["reply_to_message"]["text"] == "question"
        assert item(user)["message"]["reply_to_message_id"] == written["message_id"]
    lenient = bot("sendMessage", chat_id=user.id, text="anyway", reply_parameters={
        "message_id": 987654, "allow_sending_without_reply": True})
    assert "reply_to_message" not in lenient


# edit, delete, forward, copy

def test_edit_message_text(bot, user):
    sent = bot("sendMessage", chat_id=user.id, text="draft", reply_markup=INLINE)
    original = item(user)["message"]
    edited = bot("editMessageText", chat_id=user.id, message_id=sent["message_id"],
                 text="<b>final</b>", parse_mode="HTML")
    assert edited["message_id"] == sent["message_id"] and edited["text"] == "final"
    assert edited["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert isinstance(edited["edit_date"], int) and "reply_markup" not in edited
    shown = item(user)["message"]
    assert shown["message_id"] == original["message_id"] and shown["text"] == "final"
    assert isinstance(shown["edit_date"], int) and "reply_markup" not in shown
    assert bot.error("editMessageText", chat_id=user.id, message_id=sent["message_id"],
                     text="<b>final</b>", parse_mode="HTML").startswith(
        "Bad Request: message is not modified: ")
    assert bot.error("editMessageText", chat_id=user.id, message_id=987654, text="x") \
        == "Bad Request: message to edit not found"
    assert bot.error("editMessageText", chat_id=user.id, message_id=sent["message_id"],
                     text=" ") == "Bad Request: message text is empty"


def test_edit_message_reply_markup(bot, user):
    sent = bot("sendMessage", chat_id=user.id, text="menu")
    item(user)
    other = {"inline_keyboard": [[{"text": "Other", "callback_data": "other"}]]}
    edited = bot("editMessageReplyMarkup", chat_id=user.id, message_id=sent["message_id"],
                 reply_markup=other)
    assert edited["reply_markup"] == other and edited["text"] == "menu"
    assert item(user)["message"]["reply_markup"] == other
    removed = bot("editMessageReplyMarkup", chat_id=user.id, message_id=sent["message_id"])
    assert "reply_markup" not in removed
    assert "reply_markup" not in item(user)["message"]
    assert bot.error("editMessageReplyMarkup", chat_id=user.id, message_id=sent["message_id"]) \
        .startswith("Bad Request: message is not modified: ")


def test_delete_message(bot, user):
    sent = bot("sendMessage", chat_id=user.id, text="oops")
    original = item(user)["message"]
    assert bot("deleteMessage", chat_id=user.id, message_id=sent["message_id"]) is True
    gone = item(user)
    assert gone["message"] == {"message_id": original["message_id"], "chat": original["chat"],
                               "deleted": True}
    assert bot.error("deleteMessage", chat_id=user.id, message_id=sent["message_id"]) \
        .startswith("Bad Request: ")
    assert bot.error("editMessageText", chat_id=user.id, message_id=sent["message_id"],
                     text="back?").startswith("Bad Request: ")


def test_deleting_the_users_message_tells_the_user(server, bot, user):
    """Telegram lets a bot delete a user's message in their private chat: gone for both, so
    the user hears of it (live too), whether or not the bot had read it."""
    username = "@" + bot("getMe")["username"]
    read = user.send(username, "delete me")
    [update] = bot("getUpdates", timeout=5)
    unread = user.send(username, "and me, unread")
    socket_url = server.url.replace("http://", "ws://") + f"/v1/ws?token={user.token}"
    with connect(socket_url) as socket:
        assert bot("deleteMessage", chat_id=user.id,
                   message_id=update["message"]["message_id"]) is True
        live = json.loads(socket.recv(timeout=10))
    assert live["message"] == {"message_id": read["message_id"], "chat": live["message"]["chat"],
                               "deleted": True}
    told = user.wait_for(1)[0]
    assert told["message"]["message_id"] == read["message_id"] and told["message"]["deleted"]
    later = bot("getUpdates", offset=update["update_id"] + 1, timeout=5)
    [pending] = [u["message"]["message_id"] for u in later]
    assert bot("deleteMessage", chat_id=user.id, message_id=pending) is True
    assert [(i["message"]["message_id"], i["message"].get("deleted")) for i in user.wait_for(1)] \
        == [(unread["message_id"], True)]
    assert bot("getUpdates", offset=later[-1]["update_id"] + 1, timeout=0) == []

def test_forward_and_copy(http, bot, user):
    other = new_user(http, name="Bob")
    sent = bot("sendMessage", chat_id=user.id, text="*news*", parse_mode="MarkdownV2",
               reply_markup=INLINE)
    forwarded = bot("forwardMessage", chat_id=other.id, from_chat_id=user.id,
                    message_id=sent["message_id"])
    assert forwarded["chat"]["id"] == other.id and forwarded["text"] == "news"
    assert forwarded["message_id"] != sent["message_id"]
    assert forwarded["entities"] == sent["entities"] and "forward_origin" in forwarded
    copied = bot("copyMessage", chat_id=other.id, from_chat_id=str(user.id),
                 message_id=sent["message_id"])
    assert set(copied) == {"message_id"} and isinstance(copied["message_id"], int)
    assert other.texts(2) == ["news", "news"]
    for method in ("forwardMessage", "copyMessage"):
        assert bot.error(method, chat_id=other.id, from_chat_id=user.id, message_id=987654) \
            .startswith("Bad Request: ")
        assert bot.error(method, chat_id=987654321, from_chat_id=user.id,
                         message_id=sent["message_id"]) == "Bad Request: chat not found"


# buttons

def test_button_press_answer_and_errors(bot, user):
    sent = bot("sendMessage", chat_id=user.id, text="sure?", reply_markup=INLINE)
    pressed = item(user)["message"]["message_id"]
    assert user.press(pressed, "yes") == {"ok": True, "result": True}
    update, = bot("getUpdates")
    query = update["callback_query"]
    assert isinstance(query["id"], str) and isinstance(query["chat_instance"], str)
    assert (query["from"], query["data"]) == (
        {"id": user.id, "is_bot": False, "first_name": "Alice"}, "yes")
    assert query["message"] == sent and sent["reply_markup"] == INLINE
    assert bot("answerCallbackQuery", callback_query_id=query["id"], text="Noted") is True
    answer = item(user)["callback_answer"]
    assert (answer["callback_query_id"], answer["text"], answer["show_alert"]) == (
        query["id"], "Noted", False)
    for callback_query_id in (query["id"], "no-such-query"):
        bot.error("answerCallbackQuery", callback_query_id=callback_query_id)
    assert user.press(pressed, "maybe")["ok"] is False
    assert user.press("00000000-0000-0000-0000-000000000000", "yes")["ok"] is False
    assert bot("getUpdates", offset=update["update_id"] + 1) == []


def test_edit_reaches_a_live_socket_as_a_frame(server, bot, user):
    url = server.url.replace("http", "ws", 1) + "/v1/ws"
    with connect(url, additional_headers={"Authorization": f"Bearer {user.token}"}) as socket:
        sent = bot("sendMessage", chat_id=user.id, text="live")
        first = json.loads(socket.recv(timeout=10))["message"]
        socket.send(json.dumps({"ack": first["message_id"]}))
        bot("editMessageText", chat_id=user.id, message_id=sent["message_id"], text="edited",
            reply_markup=INLINE)
        frame = json.loads(socket.recv(timeout=10))["message"]
        socket.send(json.dumps({"ack": frame["message_id"]}))
    assert frame["message_id"] == first["message_id"] and frame["text"] == "edited"
    assert isinstance(frame["edit_date"], int) and frame["reply_markup"] == INLINE


# the bot itself

def test_commands_per_scope_and_language(bot):
    default = [{"command": "start", "description": "Start"}]
    private = [{"command": "help", "description": "Help"}]
    german = [{"command": "hilfe", "description": "Hilfe"}]
    chat = {"type": "chat", "chat_id": 42}
    assert bot("getMyCommands") == []
    assert bot("setMyCommands", commands=default) is True
    assert bot("setMyCommands", commands=private, scope={"type": "all_private_chats"}) is True
    assert bot("setMyCommands", commands=json.dumps(german), language_code="de") is True
    assert bot("setMyCommands", commands=private, scope=json.dumps(chat)) is True
    for where, expected in [({}, default), ({"scope": {"type": "default"}}, default),
                            ({"scope": {"type": "all_private_chats"}}, private),
                            ({"language_code": "de"}, german), ({"scope": chat}, private),
                            ({"scope": {"type": "all_group_chats"}}, []),
                            ({"scope": {"type": "all_private_chats"}, "language_code": "de"},
                             [])]:
        assert bot("getMyCommands", **where) == expected, where
    assert bot("deleteMyCommands", language_code="de") is True
    assert bot("getMyCommands", language_code="de") == []
    assert bot("getMyCommands") == default
    assert bot("deleteMyCommands") is True and bot("getMyCommands") == []
    assert bot("getMyCommands", scope={"type": "all_private_chats"}) == private
    bot.error("setMyCommands", commands=[{"command": "Bad Command", "description": "x"}])
    bot.error("setMyCommands", commands=default, scope={"type": "nowhere"})


def test_name_and_description(bot):
    registered = bot("getMe")["first_name"]
    assert bot("getMyName") == {"name": registered}
    assert bot("setMyName", name="Helper") is True
    assert bot("setMyName", name="Helfer", language_code="de") is True
    assert bot("getMyName") == {"name": "Helper"} and bot("getMe")["first_name"] == "Helper"
    assert bot("getMyName", language_code="de") == {"name": "Helfer"}
    assert bot("getMyName", language_code="fr") == {"name": "Helper"}
    assert bot("getMyDescription") == {"description": ""}
    assert bot("setMyDescription", description="Answers questions") is True
    assert bot("setMyDescription", description="Beantwortet Fragen", language_code="de")
    assert bot("getMyDescription") == {"description": "Answers questions"}
    assert bot("getMyDescription", language_code="de") == {"description": "Beantwortet Fragen"}
    bot.error("setMyName", name="n" * 65)


def test_get_chat_chat_action_log_out_and_close(bot, user):
    chat = bot("getChat", chat_id=user.id)
    assert (chat["id"], chat["type"], chat["first_name"]) == (user.id, "private", "Alice")
    assert bot.error("getChat", chat_id=987654321) == "Bad Request: chat not found"
    assert bot("sendChatAction", chat_id=user.id, action="typing") is True
    assert bot.error("sendChatAction", chat_id=987654321, action="typing") \
        == "Bad Request: chat not found"
    bot.error("sendChatAction", chat_id=user.id, action="dancing")
    assert bot("logOut") is True and bot("close") is True
    assert bot("getMe")["is_bot"] is True, "still served after logOut and close"


# BotFather-style creation by the admin

def admin_create(http: httpx.Client, key: str | None, **fields) -> dict:
    headers = {"Authorization": key} if key is not None else {}
    return http.post("/v1/admin/bots", json=fields, headers=headers).json()


def test_admin_creates_bots_with_both_tokens(http):
    for key in (None, "", "wrong-key", ADMIN_KEY + "x", f"Bearer {ADMIN_KEY}x"):
        refused = admin_create(http, key, name="Sneaky", username="sneaky_surface_bot")
        assert refused["ok"] is False and refused["description"], key
    assert admin_create(http, ADMIN_KEY, name="X", username="surface_weather")["ok"] is False
    created = admin_create(http, ADMIN_KEY, name="Weather", username="surface_weather_bot")
    assert created["ok"], created
    result = created["result"]
    assert result["alias"] == "@surface_weather_bot"
    shown = [Bot(http, result[key])("getMe") for key in ("token", "bot_api_token")]
    assert shown[0] == shown[1] and shown[0]["username"] == "surface_weather_bot"
    assert shown[0]["id"] == result["id"] == int(result["bot_api_token"].split(":")[0])
    assert admin_create(http, ADMIN_KEY, name="Again", username="surface_weather_bot")["ok"] \
        is False, "a taken username"
    assert admin_create(http, f"Bearer {ADMIN_KEY}", name="Bearer",
                        username="bearer_surface_bot")["ok"] is True
