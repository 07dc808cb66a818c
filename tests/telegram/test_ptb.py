"""python-telegram-bot 22.8 bots (tests/telegram/bots/ptb_*.py, written as PTB's docs teach,
one of them PTB's own example) against a real server, seen by featherChat users' inboxes."""
import time

from tests.telegram.conftest import User, new_bot, new_user, running_bot


def messages_until(user: User, last: str, timeout: float = 20.0) -> list[dict]:
    """The user's message items (read, so removed) up to the one whose text is `last`."""
    found: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found += [item["message"] for item in user.inbox() if "message" in item]
        if any(message.get("text") == last for message in found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected a message {last!r}, got {found}")


def texts_until(user: User, last: str) -> list[str]:
    return [message.get("text") for message in messages_until(user, last)]


def test_echo_bot_answers_start_and_echoes(server, http):
    bot = new_bot(http)
    user = new_user(http, name="Alice")
    with running_bot("ptb_echo.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/start")
        assert user.texts() == ["Hi Alice!"]
        user.send(bot["alias"], "hello there")
        user.send(bot["alias"], "ünïcödé 🎉")
        assert texts_until(user, "ünïcödé 🎉") == ["hello there", "ünïcödé 🎉"]


def test_conversation_handler_keeps_a_state_per_user(server, http):
    bot = new_bot(http)
    alice, bob = new_user(http, name="Alice"), new_user(http, name="Bob")
    with running_bot("ptb_conversation.py", server, bot["bot_api_token"]):
        alice.send(bot["alias"], "/start")
        assert alice.texts() == ["What is your name?"]
        bob.send(bot["alias"], "/start")
        assert bob.texts() == ["What is your name?"]
        alice.send(bot["alias"], "Alice")
        assert alice.texts() == ["Nice to meet you, Alice! How old are you?"]
        bob.send(bot["alias"], "/cancel")
        assert bob.texts() == ["Cancelled."]
        alice.send(bot["alias"], "old enough")
        assert alice.texts() == ["Please send your age as a number."]
        alice.send(bot["alias"], "30")
        assert alice.texts() == ["Alice is 30."]
        # Outside a conversation a text is no handler's: only the next /start is answered
        bob.send(bot["alias"], "Bob")
        bob.send(bot["alias"], "/start")
        assert texts_until(bob, "What is your name?") == ["What is your name?"]


def test_inline_keyboard_press_is_answered_and_edits_the_message(server, http):
    bot = new_bot(http)
    user = new_user(http)
    with running_bot("ptb_features.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/menu")
        [item] = user.wait_for(1, accept=lambda item: "message" in item)
        menu = item["message"]
        assert menu["text"] == "Pick a fruit:"
        assert [[b["callback_data"] for b in row]
                for row in menu["reply_markup"]["inline_keyboard"]] == [["apple", "pear"]]
        assert user.press(menu["message_id"], "pear") == {"ok": True, "result": True}
        answer, edit = user.wait_for(2)
        assert answer["callback_answer"]["text"] == "You picked pear"
        assert answer["callback_answer"]["show_alert"] is False
        assert answer["callback_answer"]["callback_query_id"]
        edited = edit["message"]
        assert edited["message_id"] == menu["message_id"]
        assert edited["text"] == "Picked: pear"
        assert edited["edit_date"] >= menu["date"]
        assert "reply_markup" not in edited  # an edit without markup takes the keyboard away


def test_restart_answers_the_backlog_once_and_drop_pending_updates_drops_it(server, http):
    bot = new_bot(http)
    token, to = bot["bot_api_token"], bot["alias"]
    user = new_user(http)

    def pending() -> int:
        info = http.post(f"/bot{token}/getWebhookInfo").json()
        return info["result"]["pending_update_count"]

    with running_bot("ptb_echo.py", server, token):
        user.send(to, "before")
        assert user.texts() == ["before"]
    # PTB confirmed "before" on its way out (getUpdates offset=last+1 timeout=0)
    user.send(to, "while down 1")
    user.send(to, "while down 2")
    with running_bot("ptb_echo.py", server, token):
        user.send(to, "after")
        assert texts_until(user, "after") == ["while down 1", "while down 2", "after"]

    user.send(to, "dropped 1")
    user.send(to, "dropped 2")
    assert pending() == 2
    with running_bot("ptb_echo.py", server, token, "--drop-pending-updates"):
        deadline = time.monotonic() + 20  # its deleteWebhook(drop_pending_updates) is done
        while pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending() == 0
        user.send(to, "after drop")
        assert texts_until(user, "after drop") == ["after drop"]
    with running_bot("ptb_echo.py", server, token):  # and what was dropped never comes back
        user.send(to, "again")
        assert texts_until(user, "again") == ["again"]


def test_parse_modes_replies_and_commands_set_in_post_init(server, http):
    bot = new_bot(http)
    user = new_user(http)
    with running_bot("ptb_features.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/html")
        [html] = messages_until(user, "Bold and italic")
        assert html["entities"] == [{"type": "bold", "offset": 0, "length": 4},
                                    {"type": "italic", "offset": 9, "length": 6}]
        user.send(bot["alias"], "/md")
        [markdown] = messages_until(user, "Bold and code!")
        assert markdown["entities"] == [{"type": "bold", "offset": 0, "length": 4},
                                        {"type": "code", "offset": 9, "length": 4}]
        sent = user.send(bot["alias"], "/quote")
        [reply] = messages_until(user, "You said that.")
        assert reply["reply_to_message_id"] == sent["message_id"]
        user.send(bot["alias"], "/commands")
        listed = "/menu:pick a fruit /html:bold in HTML /md:bold in MarkdownV2 " \
                 "/quote:a reply /commands:this list"
        assert texts_until(user, listed) == [listed]


def test_ptb_conversationbot_example_unmodified(server, http):
    """PTB's examples/conversationbot.py: reply keyboard, /skip twice, a bio; then /cancel."""
    bot = new_bot(http)
    user = new_user(http, name="Carol")
    with running_bot("ptb_conversationbot.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "/start")
        [ask] = messages_until(user, ask_text := "Hi! My name is Professor Bot. I will hold a "
                               "conversation with you. Send /cancel to stop talking to me.\n\n"
                               "Are you a boy or a girl?")
        keyboard = ask["reply_markup"]
        assert [[b["text"] for b in row] for row in keyboard["keyboard"]] == [
            ["Boy", "Girl", "Other"]]
        assert keyboard["one_time_keyboard"] is True
        assert keyboard["input_field_placeholder"] == "Boy or Girl?"
        user.send(bot["alias"], "girl")
        [photo] = messages_until(user, "I see! Please send me a photo of yourself, so I know "
                                 "what you look like, or send /skip if you don't want to.")
        assert photo["reply_markup"] == {"remove_keyboard": True}
        user.send(bot["alias"], "/skip")
        assert user.texts() == [
            "I bet you look great! Now, send me your location please, or send /skip."]
        user.send(bot["alias"], "/skip")
        assert user.texts() == [
            "You seem a bit paranoid! At last, tell me something about yourself."]
        user.send(bot["alias"], "I write acceptance tests.")
        assert user.texts() == ["Thank you! I hope we can talk again some day."]

        user.send(bot["alias"], "/start")
        assert texts_until(user, ask_text) == [ask_text]
        user.send(bot["alias"], "/cancel")
        [bye] = messages_until(user, "Bye! I hope we can talk again some day.")
        assert bye["reply_markup"] == {"remove_keyboard": True}
