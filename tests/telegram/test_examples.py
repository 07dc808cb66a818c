"""The libraries' own example bots, unmodified but for their server (tests/telegram/bots/: PTB's
nestedconversationbot, deeplinking and customwebhookbot/starlettebot, aiogram's quiz_scene),
each driven through a whole conversation; then what running the examples found Telegram does
that Botbus did not: getChatMember in a private chat (PTB's starlettebot, telebot's admin
filter), text cleaned as tdlib cleans it (telebot's Markdown helpers end italics with `\\r`),
and an entity's null fields (telebot sends every field) dropped."""
import time

import httpx
import pytest

from tests.servers import free_port
from tests.telegram.conftest import User, new_bot, new_user, running_bot

pytestmark = pytest.mark.slow
STARTUP = 60.0  # importing aiogram alone takes seconds; more on a busy machine
MENU = ("You may choose to add a family member, yourself, show the gathered data, or end the "
        "conversation. To abort, simply type /stop.")
FEATURES = [["\x11", "\x10", "-1"]]  # NAME, AGE and END of nestedconversationbot: chr(17)...


def replies(user: User, count: int = 1, timeout: float = 20.0) -> list[dict]:
    """The next `count` messages the user gets (callback answers passed over)."""
    return [item["message"] for item in user.wait_for(count, timeout, lambda i: "message" in i)]


def press(user: User, message: dict, data: str) -> tuple[dict, dict]:
    """Presses a button of `message`: the bot's answer, then its edit of the message."""
    assert user.press(message["message_id"], data) == {"ok": True, "result": True}
    answer, edit = user.wait_for(2)
    assert answer["callback_answer"]["show_alert"] is False
    assert edit["message"]["message_id"] == message["message_id"]
    return answer["callback_answer"], edit["message"]


def buttons(message: dict) -> list[list[str]]:
    return [[b.get("callback_data") or b["url"] for b in row]
            for row in message["reply_markup"]["inline_keyboard"]]


def test_ptb_nestedconversationbot_example(server, http):
    """Nested ConversationHandlers on one message edited again and again, its buttons'
    callback data control characters (`chr(0)`...), a text typed between two presses."""
    bot = new_bot(http)
    user = new_user(http, name="Carol")
    with running_bot("ptb_nestedconversationbot.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/start")
        hello, menu = replies(user, 2)
        assert hello["text"] == ("Hi, I'm Family Bot and I'm here to help you gather "
                                 "information about your family.")
        assert menu["text"] == MENU and buttons(menu) == [["\x01", "\x02"], ["\t", "-1"]]
        _, about = press(user, menu, "\x02")  # ADDING_SELF
        assert about["text"] == "Okay, please tell me about yourself."
        assert buttons(about) == [["\x0e"]]
        _, select = press(user, menu, "\x0e")
        assert select["text"] == "Please select a feature to update."
        assert buttons(select) == FEATURES
        _, ask = press(user, menu, "\x11")
        assert ask["text"] == "Okay, tell me." and "reply_markup" not in ask
        user.send(bot["alias"], "Carol")
        [again] = replies(user)
        assert again["text"] == "Got it! Please select a feature to update."
        assert buttons(again) == FEATURES
        _, ask = press(user, again, "\x10")
        assert ask["text"] == "Okay, tell me."
        user.send(bot["alias"], "30")
        [last] = replies(user)
        _, back = press(user, last, "-1")  # END: back to the top level, on this message
        assert back["text"] == MENU
        _, shown = press(user, last, "\t")  # SHOWING
        assert shown["text"] == ("Yourself:\nName: Carol, Age: 30\n\nParents:\nNo information "
                                 "yet.\n\nChildren:\nNo information yet.")
        assert buttons(shown) == [["-1"]]
        _, back = press(user, last, "-1")
        assert back["text"] == MENU
        _, done = press(user, last, "-1")
        assert done["text"] == "See you around!" and "reply_markup" not in done

        user.send(bot["alias"], "/start")
        assert [m["text"] for m in replies(user, 2)][1] == MENU
        user.send(bot["alias"], "/stop")
        assert [m["text"] for m in replies(user)] == ["Okay, bye."]


def test_ptb_deeplinking_example(server, http):
    """`/start <payload>` filtered by regex, a URL button, an HTML link with its preview off,
    and a callback query answered with a URL (which reaches the user)."""
    bot = new_bot(http)
    user = new_user(http)
    link = f"https://t.me/{bot['alias'].removeprefix('@')}"
    with running_bot("ptb_deeplinking.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/start")
        [first] = replies(user)
        assert first["text"] == ("Feel free to tell your friends about it:\n\n"
                                 f"{link}?startgroup=check-this-out")
        user.send(bot["alias"], "/start check-this-out")
        [level_1] = replies(user)
        assert level_1["text"].startswith("Awesome, you just accessed hidden functionality!")
        assert buttons(level_1) == [[f"{link}?start=so-cool"]]
        user.send(bot["alias"], "/start so-cool")
        [level_2] = replies(user)
        assert level_2["text"] == "You can also mask the deep-linked URLs as links: ▶️ CLICK HERE."
        assert level_2["entities"] == [{"type": "text_link", "offset": 49, "length": 13,
                                        "url": f"{link}?start=using-entities-here"}]
        user.send(bot["alias"], "/start using-entities-here")
        [level_3] = replies(user)
        assert buttons(level_3) == [["keyboard-callback-data"]]
        assert user.press(level_3["message_id"], "keyboard-callback-data")["ok"]
        [answer] = user.wait_for(1)
        assert answer["callback_answer"]["url"] == f"{link}?start=using-keyboard-here"
        user.send(bot["alias"], "/start using-keyboard-here")
        [level_4] = replies(user)
        assert level_4["text"] == ("Congratulations! This is as deep as it gets 👏🏻\n\n"
                                   "The payload was: ['using-keyboard-here']")


def test_ptb_customwebhookbot_starlettebot_example(server, http):
    """A webhook into the bot's own Starlette app, and custom updates posted there that the
    bot answers after `getChatMember` names their sender (it was a 404 before)."""
    bot = new_bot(http)
    user = new_user(http, name="Dave")
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = {"PORT": str(port), "ADMIN_CHAT_ID": str(user.id)}
    with running_bot("ptb_starlettebot.py", server, bot["bot_api_token"], env=env):
        user.send(bot["alias"], "/start")
        [start] = replies(user)
        assert start["text"] == (
            f"To check if the bot is still running, call {site}/healthcheck.\n\nTo post a "
            f"custom update, call {site}/submitpayload?user_id=<your user id>&payload=<payload>.")
        assert [e["type"] for e in start["entities"]] == ["code", "code"]
        info = http.get(f"/bot{bot['bot_api_token']}/getWebhookInfo").json()["result"]
        assert info["url"] == f"{site}/telegram" and info["pending_update_count"] == 0
        for payload in ("first", "second"):
            answer = httpx.get(f"{site}/submitpayload",
                               params={"user_id": user.id, "payload": payload})
            assert answer.text == "Thank you for the submission! It's being forwarded."
        news = replies(user, 2)
        assert news[1]["text"] == ("The user Dave has sent a new payload. So far they have "
                                   "sent the following payloads: \n\n• first\n• second")
        assert news[1]["entities"][0] == {"type": "text_mention", "offset": 9, "length": 4,
                                          "user": {"id": user.id}}


def test_aiogram_quiz_scene_example(server, http):
    """Scenes (enter, leave, back, exit) over reply keyboards, and a summary sent as explicit
    `entities` built by aiogram.utils.formatting."""
    bot = new_bot(http)
    user = new_user(http)

    def answer(text: str) -> dict:
        user.send(bot["alias"], text)
        [reply] = replies(user)
        return reply

    with running_bot("aiogram_quiz_scene.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/start")
        [hello] = replies(user, timeout=STARTUP)
        assert hello["text"] == "Hi! This is a quiz bot. To start the quiz, use the /quiz command."
        assert hello["reply_markup"] == {"remove_keyboard": True}
        user.send(bot["alias"], "/quiz")
        welcome, france = replies(user, 2)
        assert welcome["text"] == "Welcome to the quiz!"
        assert france["text"] == "What is the capital of France?"
        assert france["reply_markup"] == {"resize_keyboard": True, "keyboard": [
            [{"text": "Paris"}, {"text": "London"}], [{"text": "Berlin"}, {"text": "Madrid"}],
            [{"text": "🚫 Exit"}]]}
        assert answer("Paris")["text"] == "What is the capital of Spain?"
        assert answer("London")["text"] == "What is the capital of Germany?"
        assert answer("🔙 Back")["text"] == "What is the capital of Spain?"
        for given, next_question in (("Madrid", "Germany"), ("Berlin", "England"),
                                     ("Paris", "Italy")):
            assert answer(given)["text"] == f"What is the capital of {next_question}?"
        summary = answer("Rome")
        assert summary["text"] == (
            "Your answers:\n1. What is the capital of France? (✅ Paris)\n"
            "2. What is the capital of Spain? (✅ Madrid)\n3. What is the capital of Germany? "
            "(✅ Berlin)\n4. What is the capital of England? (❌ Paris)\n5. What is the capital "
            "of Italy? (✅ Rome)\n\nSummary:\nCorrect: 4\nIncorrect: 1")
        assert summary["entities"][0] == {"type": "bold", "offset": 0, "length": 13}
        assert summary["reply_markup"] == {"remove_keyboard": True}
        user.send(bot["alias"], "/quiz")
        replies(user, 2)
        assert answer("🚫 Exit")["text"].endswith("Correct: 0\nIncorrect: 5")


def call(http: httpx.Client, token: str, method: str, status: int = 200, **params) -> dict:
    response = http.post(f"/bot{token}/{method}", json=params)
    body = response.json()
    assert response.status_code == status and body["ok"] is (status == 200), body
    return body


def test_get_chat_member_in_a_private_chat(http):
    """Its user and the bot are members (tdlib's answer for a private chat); no one else is."""
    bot, user, other = new_bot(http), new_user(http, name="Erin"), new_user(http)
    token = bot["bot_api_token"]
    me = call(http, token, "getMe")["result"]
    member = call(http, token, "getChatMember", chat_id=user.id, user_id=user.id)["result"]
    assert member == {"status": "member",
                      "user": {"id": user.id, "is_bot": False, "first_name": "Erin"}}
    call(http, token, "setMyName", name="Helper")
    member = call(http, token, "getChatMember", chat_id=str(user.id), user_id=str(me["id"]))
    assert member["result"] == {"status": "member", "user": {
        "id": me["id"], "is_bot": True, "first_name": "Helper", "username": me["username"]}}
    for user_id, chat_id, description in (
            (other.id, user.id, "Bad Request: member not found"),
            (0, user.id, "Bad Request: invalid user_id specified"),
            ("nobody", user.id, "Bad Request: invalid user_id specified"),
            (user.id, 123456789, "Bad Request: chat not found")):
        failed = call(http, token, "getChatMember", 400, chat_id=chat_id, user_id=user_id)
        assert failed["description"] == description


@pytest.mark.parametrize(("fields", "text", "entities"), [
    # telebot's formatting.mitalic ends an italic with "\r" before a MarkdownV2 underline
    ({"text": "*a* _b_\r __c__", "parse_mode": "MarkdownV2"}, "a b c",
     [{"type": "bold", "offset": 0, "length": 1}, {"type": "italic", "offset": 2, "length": 1},
      {"type": "underline", "offset": 4, "length": 1}]),
    ({"text": "tab\there\x01\u2028 😀\r<b>bold</b>", "parse_mode": "HTML"}, "tab here  😀bold",
     [{"type": "bold", "offset": 12, "length": 4}]),
    ({"text": "<b>  lead</b> \n", "parse_mode": "HTML"}, "  lead",  # kept inside an entity
     [{"type": "bold", "offset": 0, "length": 6}]),
    ({"text": "null fields", "entities": [  # telebot's MessageEntity.to_dict sends them all
        {"type": "bold", "offset": 0, "length": 4, "url": None, "user": None, "language": None}]},
     "null fields", [{"type": "bold", "offset": 0, "length": 4}]),
])
def test_text_is_cleaned_as_tdlib_cleans_it(http, fields, text, entities):
    bot, user = new_bot(http), new_user(http)
    sent = call(http, bot["bot_api_token"], "sendMessage", chat_id=user.id, **fields)["result"]
    assert (sent["text"], sent.get("entities")) == (text, entities)
    [shown] = replies(user)
    assert (shown["text"], shown.get("entities")) == (text, entities)


def test_a_text_of_nothing_visible_is_empty(http):
    bot, user = new_bot(http), new_user(http)
    for blank in ("\u200b", " \u00a0\n", "\r\r"):
        failed = call(http, bot["bot_api_token"], "sendMessage", 400, chat_id=user.id,
                      text=blank)
        assert failed["description"] == "Bad Request: message text is empty"
    time.sleep(0.2)
    assert user.inbox() == []
