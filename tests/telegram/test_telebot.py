"""pyTelegramBotAPI (telebot 4.37) bots, written as its docs teach and pointed at Botbus by
their URL templates only (tests/telegram/bots/telebot_*.py), driven by a featherChat user:
what they do is asserted on what the user's inbox shows."""
import time

from tests.telegram.conftest import User, new_bot, new_user, running_bot


def until(user: User, last_text: str, timeout: float = 20.0) -> list[dict]:
    """Every inbox item, in order, until a message whose text is `last_text` has arrived."""
    items: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items += user.inbox()
        if any(item.get("message", {}).get("text") == last_text for item in items):
            return items
        time.sleep(0.05)
    raise AssertionError(f"no message {last_text!r} in {items}")


def replies(user: User, count: int = 1) -> list[dict]:
    """The next `count` messages from the bot (their `message` objects)."""
    return [item["message"] for item in
            user.wait_for(count, accept=lambda item: "message" in item)]


def test_sync_echo_bot_welcomes_and_echoes_with_replies(server, http):
    """`infinity_polling()` (GET getUpdates, parameters in query strings, on POST too), a
    commands handler and `reply_to`, whose `reply_parameters` name the message answered."""
    bot = new_bot(http)
    user = new_user(http, name="Alice")
    with running_bot("telebot_echo.py", server, bot["bot_api_token"]):
        for text, answer in (("/start", "Hi Alice, I am an echo bot."),
                             ("hello there", "hello there"),
                             ("/help", "Hi Alice, I am an echo bot."),
                             ("Grüße 👋", "Grüße 👋")):
            sent = user.send(bot["alias"], text)
            [reply] = replies(user)
            assert reply["text"] == answer
            assert reply["reply_to_message_id"] == sent["message_id"]
            assert reply["from"] == {"id": bot["fingerprint"], "is_bot": True}
    assert user.inbox() == []


def test_next_step_handlers_drive_a_conversation_to_its_end(server, http):
    bot = new_bot(http)
    user = new_user(http, name="Bob")
    with running_bot("telebot_steps.py", server, bot["bot_api_token"]):
        order = user.send(bot["alias"], "/order")
        [question] = replies(user)
        assert question["text"] == "Which size: small or large?"
        assert question["reply_to_message_id"] == order["message_id"]
        user.send(bot["alias"], "medium")
        assert user.texts() == ["Please answer small or large."]
        user.send(bot["alias"], "large")
        assert user.texts() == ["Which topping?"]
        user.send(bot["alias"], "mushrooms")
        assert user.texts() == ["Ordered: a large pizza with mushrooms."]
        user.send(bot["alias"], "and now?")  # the conversation is over: the default handler
        assert user.texts() == ["Send /order to start."]


def test_inline_keyboard_press_is_answered_and_the_message_edited(server, http):
    bot = new_bot(http)
    user = new_user(http, name="Carol")
    with running_bot("telebot_keyboard.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/menu")
        [menu] = replies(user)
        assert menu["text"] == "Do you like pizza?"
        assert menu["reply_markup"] == {"inline_keyboard": [[
            {"text": "Yes", "callback_data": "cb_yes"},
            {"text": "No", "callback_data": "cb_no"}]]}

        assert user.press(menu["message_id"], "cb_no") == {"ok": True, "result": True}
        items = user.wait_for(2)
        [answer] = [item["callback_answer"] for item in items if "callback_answer" in item]
        assert answer["text"] == "You said no"
        assert answer["show_alert"] is True  # sent as `show_alert=True` in the query string
        assert answer["callback_query_id"]
        [edited] = [item["message"] for item in items if "message" in item]
        assert edited["message_id"] == menu["message_id"]
        assert edited["text"] == "Do you like pizza? No!"
        assert edited["edit_date"] >= menu["date"]
        assert "reply_markup" not in edited  # edited without one: the keyboard is gone

        # The edited message is pressed no more: its buttons went with the edit
        refused = user.press(menu["message_id"], "cb_yes")
        assert refused["ok"] is False
    assert user.inbox() == []


def test_async_telebot_polling_echo(server, http):
    """AsyncTeleBot sends urlencoded bodies, on GET too."""
    bot = new_bot(http)
    user = new_user(http, name="Dave")
    with running_bot("telebot_async_echo.py", server, bot["bot_api_token"]):
        start = user.send(bot["alias"], "/start")
        [welcome] = replies(user)
        assert welcome["text"] == "Hi Dave, I am an async echo bot."
        assert welcome["reply_to_message_id"] == start["message_id"]
        for text in ("one", "two & three = 5?"):
            sent = user.send(bot["alias"], text)
            [echo] = replies(user)
            assert (echo["text"], echo["reply_to_message_id"]) == (text, sent["message_id"])


def test_skip_pending_forgets_what_came_before_the_start(server, http):
    """`infinity_polling(skip_pending=True)` sends `getUpdates offset=-1`, which forgets all
    but the newest pending update, as Telegram does (so telebot answers that one: its
    maintainers' word in eternnoir/pyTelegramBotAPI#1754); later messages are all answered."""
    bot = new_bot(http)
    user = new_user(http, name="Erin")
    for text in ("old one", "old two", "old three"):
        user.send(bot["alias"], text)
    with running_bot("telebot_echo.py", server, bot["bot_api_token"], "--skip-pending"):
        assert user.texts() == ["old three"]
        user.send(bot["alias"], "new one")
        user.send(bot["alias"], "new two")
        # telebot answers one getUpdates batch in its worker threads: either order
        assert sorted(user.texts(2)) == ["new one", "new two"]
    assert user.inbox() == []


def test_commands_menu_html_and_deleting_messages(server, http):
    bot = new_bot(http)
    user = new_user(http, name="Frank")
    with running_bot("telebot_extras.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/menu")
        assert user.texts() == ["Menu: /menu (Show the menu), /bold (Be bold)"]

        user.send(bot["alias"], "/bold")
        items = until(user, "Entities: [('bold', 0, 4), ('italic', 9, 6)]")
        formatted = items[0]["message"]
        assert formatted["text"] == "Bold and italic"
        assert formatted["entities"] == [{"type": "bold", "offset": 0, "length": 4},
                                         {"type": "italic", "offset": 9, "length": 6}]
        assert len(items) == 2

        user.send(bot["alias"], "/temp")
        [note] = replies(user)
        assert note["text"] == "A temporary note"
        clean = user.send(bot["alias"], "/clean")  # deletes the note, and this command
        items = until(user, "Cleaned up")  # the user is told of both: gone for both sides
        chat = {"id": bot["fingerprint"], "type": "private"}
        assert [item["message"] for item in items[:2]] == [
            {"message_id": note["message_id"], "deleted": True, "chat": chat},
            {"message_id": clean["message_id"], "deleted": True, "chat": chat}]
        assert len(items) == 3
