"""Edits Telegram refuses, refused with its words (research-compat §1.2): a message the bot
did not send can't be edited, one without a text has no text to edit, a missing one is not
found; each answers 400 and appends nothing."""
import pytest

from tests.telegram.conftest import new_bot, new_user
from tests.telegram.test_files import png
from tests.telegram.test_surface_params import failed, log_position, ok

pytestmark = pytest.mark.slow
KEYBOARD = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}


@pytest.fixture
def chat(http) -> dict:
    """A bot's chat with a user: the user's message, and the bot's text, document and photo."""
    registered, user = new_bot(http), new_user(http)
    token = registered["bot_api_token"]
    user.send(registered["alias"], "mine")
    [update] = ok(http.post(f"/bot{token}/getUpdates"))
    base, chat_id = f"/bot{token}", {"chat_id": user.id}
    document = ok(http.post(f"{base}/sendDocument", data={**chat_id, "caption": "c"},
                            files={"document": ("d.txt", b"d")}))
    photo = ok(http.post(f"{base}/sendPhoto", data=chat_id, files={"photo": ("p.png", png(1, 1))}))
    text = ok(http.post(f"{base}/sendMessage", json={**chat_id, "text": "t"}))
    return {"base": base, "user_id": user.id, "users": update["message"]["message_id"],
            "text": text["message_id"], "document": document["message_id"],
            "photo": photo["message_id"]}


@pytest.mark.parametrize(("method", "fields"), [
    ("editMessageText", {"text": "changed"}),
    ("editMessageReplyMarkup", {"reply_markup": KEYBOARD})])
def test_the_users_own_message_cant_be_edited(server, http, chat, method, fields):
    before = log_position(server)
    failed(http.post(f"{chat['base']}/{method}", json={
        "chat_id": chat["user_id"], "message_id": chat["users"], **fields}), 400,
        "Bad Request: message can't be edited")
    failed(http.post(f"{chat['base']}/{method}", json={
        "chat_id": chat["user_id"], "message_id": 987654, **fields}), 400,
        "Bad Request: message to edit not found")
    assert log_position(server) == before


@pytest.mark.parametrize("kind", ["document", "photo"])
def test_a_message_without_text_has_no_text_to_edit(server, http, chat, kind):
    before = log_position(server)
    failed(http.post(f"{chat['base']}/editMessageText", json={
        "chat_id": chat["user_id"], "message_id": chat[kind], "text": "a text now"}), 400,
        "Bad Request: there is no text in the message to edit")
    assert log_position(server) == before
    edited = ok(http.post(f"{chat['base']}/editMessageReplyMarkup", json={
        "chat_id": chat["user_id"], "message_id": chat[kind], "reply_markup": KEYBOARD}))
    assert isinstance(edited, dict) and "text" not in edited and kind in edited
    assert edited["reply_markup"] == KEYBOARD
    assert ok(http.post(f"{chat['base']}/editMessageText", json={
        "chat_id": chat["user_id"], "message_id": chat["text"], "text": "t2"}))["text"] == "t2"
