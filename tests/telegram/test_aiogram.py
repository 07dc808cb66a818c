"""aiogram 3.x bots against a real server: aiogram's own example bots (echo_bot.py,
finite_state_machine.py) unmodified but for their server, an inline keyboard answered and
edited, and the `allowed_updates` aiogram works out from its handlers. Everything is asserted
on what the user reads from the inbox."""
import pytest

from tests.telegram.conftest import User, new_bot, new_user, running_bot

pytestmark = pytest.mark.slow
STARTUP = 60.0  # importing aiogram alone takes seconds; more on a busy machine


def messages(user: User, count: int = 1, timeout: float = 20.0) -> list[dict]:
    """The next `count` (or more) messages the user gets, as their `message` objects."""
    return [item["message"]
            for item in user.wait_for(count, timeout, accept=lambda i: "message" in i)]


def kinds(items: list[dict]) -> list[str]:
    return [next(key for key in item if key != "update_id") for item in items]


def test_echo_bot_example_answers_start_in_html_and_copies_text(server, http):
    """examples/echo_bot.py: `CommandStart()` + `message.answer(html.bold(...))` under the
    `DefaultBotProperties(parse_mode=HTML)` default, then `message.send_copy`."""
    bot = new_bot(http)
    user = new_user(http, name="Alice")
    with running_bot("aiogram_echo.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/start")
        [hello] = messages(user, timeout=STARTUP)
        assert hello["text"] == "Hello, Alice!"  # the HTML is parsed, the text is plain
        assert hello["entities"] == [{"type": "bold", "offset": 7, "length": 5}]
        assert hello["from"]["is_bot"] is True

        user.send(bot["alias"], "hello there")
        [copy] = messages(user)
        assert copy["text"] == "hello there" and "entities" not in copy

        # send_copy sends no parse_mode: markup-looking text comes back as it was written
        user.send(bot["alias"], "1 < 2 & <b>not bold</b> 🙂")
        [copy] = messages(user)
        assert copy["text"] == "1 < 2 & <b>not bold</b> 🙂" and "entities" not in copy


def test_fsm_example_router_conversation_to_the_end(server, http):
    """examples/finite_state_machine.py: a `Router`, `StatesGroup` of three states and
    `FSMContext` data, `F.text` filters, a reply keyboard and `message.reply` (sent as
    `reply_parameters`), driven along both branches."""
    bot = new_bot(http)
    user = new_user(http, name="Alice")
    with running_bot("aiogram_fsm.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/start")
        [ask] = messages(user, timeout=STARTUP)
        assert ask["text"] == "Hi there! What's your name?"
        assert ask["reply_markup"] == {"remove_keyboard": True}

        user.send(bot["alias"], "Alice <3")
        [question] = messages(user)
        assert question["text"] == "Nice to meet you, Alice <3!\nDid you like to write bots?"
        assert question["reply_markup"]["keyboard"] == [[{"text": "Yes"}, {"text": "No"}]]
        assert question["reply_markup"]["resize_keyboard"] is True

        sent = user.send(bot["alias"], "Maybe")  # Form.like_bots, neither yes nor no
        [puzzled] = messages(user)
        assert puzzled["text"] == "I don't understand you :("
        assert puzzled["reply_to_message_id"] == sent["message_id"]

        sent = user.send(bot["alias"], "yes")
        [cool] = messages(user)
        assert cool["text"] == "Cool! I'm too!\nWhat programming language did you use for it?"
        assert cool["reply_to_message_id"] == sent["message_id"]
        assert cool["reply_markup"] == {"remove_keyboard": True}

        sent = user.send(bot["alias"], "Python")
        python, summary = messages(user, 2)
        assert python["text"] == ("Python, you say? That's the language that makes my circuits"
                                  " light up! 😉")
        assert python["reply_to_message_id"] == sent["message_id"]
        assert summary["text"] == ("I'll keep in mind that, Alice <3, you like to write bots"
                                   " with Python.")
        assert "reply_to_message_id" not in summary

        # the state was cleared: a new conversation, this time on the "no" branch
        user.send(bot["alias"], "/start")
        assert [m["text"] for m in messages(user)] == ["Hi there! What's your name?"]
        user.send(bot["alias"], "Bob")
        assert messages(user)[0]["text"].startswith("Nice to meet you, Bob!")
        user.send(bot["alias"], "NO")
        assert [m["text"] for m in messages(user, 2)] == [
            "Not bad not terrible.\nSee you soon.",
            "I'll keep in mind that, Bob, you don't like to write bots, so sad..."]

        # and `Command("cancel")` leaves a conversation half-way
        user.send(bot["alias"], "/start")
        messages(user)
        user.send(bot["alias"], "/cancel")
        assert [m["text"] for m in messages(user)] == ["Cancelled."]


def test_inline_keyboard_press_is_answered_and_edits_the_message(server, http):
    """`InlineKeyboardBuilder` with a `CallbackData` factory; the user presses with the inbox
    item's message_id; the handler's `callback.answer(...)` and
    `callback.message.edit_text(...)` both reach the user."""
    bot = new_bot(http)
    user = new_user(http, name="Alice")
    with running_bot("aiogram_buttons.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/start")
        [menu] = messages(user, timeout=STARTUP)
        assert menu["text"] == "Pick a colour"
        keyboard = menu["reply_markup"]["inline_keyboard"]
        assert [[(b["text"], b["callback_data"]) for b in row] for row in keyboard] == [
            [("Red", "colour:red"), ("Green", "colour:green")], [("Blue", "colour:blue")]]

        # a press whose handler only answers, with an alert
        assert user.press(menu["message_id"], "colour:green") == {"ok": True, "result": True}
        [refused] = user.wait_for(1)
        assert refused["callback_answer"]["text"] == "Not green, please"
        assert refused["callback_answer"]["show_alert"] is True

        assert user.press(menu["message_id"], "colour:blue") == {"ok": True, "result": True}
        items = user.wait_for(2)
        assert kinds(items) == ["callback_answer", "message"]  # answered, then edited
        answer, edited = items[0]["callback_answer"], items[1]["message"]
        assert answer["text"] == "Alice picked blue" and answer["show_alert"] is False
        assert answer["callback_query_id"] != refused["callback_answer"]["callback_query_id"]
        assert edited["message_id"] == menu["message_id"]
        assert edited["text"] == "Your colour: blue"
        assert edited["edit_date"] >= menu["date"]
        assert "reply_markup" not in edited  # edit_text without a keyboard removes it

        # the buttons are gone with the edit: nothing left to press
        assert user.press(menu["message_id"], "colour:red")["ok"] is False


def test_message_only_bot_is_not_given_callback_queries(server, http):
    """aiogram derives `allowed_updates=["message"]` from its handlers and sends it on every
    getUpdates: the bot still gets its messages, and a press on its keyboard never becomes an
    update for it (filtered when the update would be created, not when read)."""
    bot = new_bot(http)
    token = bot["bot_api_token"]
    user = new_user(http, name="Alice")
    with running_bot("aiogram_messages_only.py", server, token):
        user.send(bot["alias"], "/start")
        [menu] = messages(user, timeout=STARTUP)
        assert menu["text"] == "A button nobody handles"
        assert user.press(menu["message_id"], "pressed")["ok"] is True
        # the bot takes one update at a time in order: a callback_query given to it before
        # this message would be announced ("unexpected callback_query") before the echo
        user.send(bot["alias"], "ping")
        assert [m["text"] for m in messages(user)] == ["echo: ping"]
        user.send(bot["alias"], "still there?")
        assert [m["text"] for m in messages(user)] == ["echo: still there?"]
        assert user.press(menu["message_id"], "pressed")["ok"] is True
    # with the bot gone, asking for callback queries now finds none queued: the filter was
    # applied when the presses happened
    polled = http.post(f"/bot{token}/getUpdates",
                       json={"allowed_updates": ["message", "callback_query"], "timeout": 0})
    assert polled.json()["ok"] is True
    assert [u for u in polled.json()["result"] if "callback_query" in u] == []
    assert user.inbox() == []
