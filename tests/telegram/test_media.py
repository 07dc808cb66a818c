"""Media beyond the upload, with plain httpx: a photo or document forwarded and copied keeps
its file, which the bot and the new recipient download byte for byte; a header-only document
is a file too, with nothing to download; captions trimmed and capped as Telegram does
(telegram.md decisions 4, 7, 10; research-compat §1.2)."""
import asyncio
import os

import httpx
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.telegram.conftest import User, new_bot, new_user
from tests.telegram.test_files import fetched, messages, png
from tests.telegram.test_surface_params import failed, log_position, ok

pytestmark = pytest.mark.slow
MAX_CAPTION = 1024


def downloaded(http: httpx.Client, token: str, file_id: str) -> bytes:
    """The bytes the bot gets through getFile and /file/bot<token>/<file_path>."""
    found = ok(http.post(f"/bot{token}/getFile", json={"file_id": file_id}))
    assert isinstance(found, dict)
    response = http.get(f"/file/bot{token}/{found['file_path']}")
    assert response.status_code == 200, response.text
    return response.content


def send(http: httpx.Client, token: str, method: str, part: str, data: bytes, **fields) -> dict:
    result = ok(http.post(f"/bot{token}/{method}", data=fields,
                          files={part: (f"{part}.bin", data)}))
    assert isinstance(result, dict)
    return result


def file_of(message: dict) -> str:
    return message["photo"][-1]["file_id"] if "photo" in message \
        else message["document"]["file_id"]


@pytest.mark.parametrize(("method", "part"), [("sendPhoto", "photo"),
                                              ("sendDocument", "document")])
def test_forward_and_copy_carry_the_file(http, method, part):
    token, alice, bob = new_bot(http)["bot_api_token"], new_user(http), new_user(http)
    data = png(4, 3) if part == "photo" else os.urandom(5000)
    sent = send(http, token, method, part, data, chat_id=str(alice.id), caption="look")
    forwarded = ok(http.post(f"/bot{token}/forwardMessage", json={
        "chat_id": bob.id, "from_chat_id": alice.id, "message_id": sent["message_id"]}))
    assert isinstance(forwarded, dict)
    assert forwarded[part] == sent[part] and forwarded["caption"] == "look"
    assert downloaded(http, token, file_of(forwarded)) == data
    copied = ok(http.post(f"/bot{token}/copyMessage", json={
        "chat_id": bob.id, "from_chat_id": alice.id, "message_id": sent["message_id"],
        "caption": "<b>mine</b>", "parse_mode": "HTML"}))
    assert isinstance(copied, dict) and set(copied) == {"message_id"}
    got = messages(bob, 2)
    assert [message[part] for message in got] == [sent[part], sent[part]]
    assert [message["caption"] for message in got] == ["look", "mine"]
    assert got[1]["caption_entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert all(fetched(bob, file_of(message)) == data for message in got)


def sent_photo(http: httpx.Client, token: str, user: User, **fields) -> httpx.Response:
    return http.post(f"/bot{token}/sendPhoto", data={"chat_id": user.id, **fields},
                     files={"photo": ("p.png", png(1, 1))})


def test_captions_are_trimmed_and_a_blank_one_is_none(http):
    token, user = new_bot(http)["bot_api_token"], new_user(http)
    trimmed = ok(sent_photo(http, token, user, caption=" \n <i>so</i> it goes\t ",
                            parse_mode="HTML"))
    assert isinstance(trimmed, dict) and trimmed["caption"] == "so it goes"
    assert trimmed["caption_entities"] == [{"type": "italic", "offset": 0, "length": 2}]
    for blank in ("", "   ", " \n\t "):
        shown = ok(sent_photo(http, token, user, caption=blank))
        assert isinstance(shown, dict) and "caption" not in shown and "photo" in shown, blank
    shown = messages(user, 4)
    assert [message.get("caption") for message in shown] == ["so it goes", None, None, None]


def test_a_caption_over_1024_characters_is_refused_and_appends_nothing(server, http):
    token, user = new_bot(http)["bot_api_token"], new_user(http)
    longest = ok(sent_photo(http, token, user, caption=f"  <b>{'x' * MAX_CAPTION}</b> ",
                            parse_mode="HTML"))
    assert isinstance(longest, dict) and len(longest["caption"]) == MAX_CAPTION
    before = log_position(server)
    for caption in ("y" * (MAX_CAPTION + 1), "z" * 5000):
        failed(sent_photo(http, token, user, caption=caption), 400,
               "Bad Request: message caption is too long")
        failed(http.post(f"/bot{token}/sendDocument", data={"chat_id": user.id,
                                                            "caption": caption},
                         files={"document": ("d.txt", b"d")}), 400,
               "Bad Request: message caption is too long")
        failed(http.post(f"/bot{token}/copyMessage", json={
            "chat_id": user.id, "from_chat_id": user.id, "message_id": longest["message_id"],
            "caption": caption}), 400, "Bad Request: message caption is too long")
    assert log_position(server) == before


def test_a_header_only_document_is_a_file_without_bytes_that_aiogram_sends_again(server, http):
    """A user's file header (a name and a size, no bytes) carries a file_id (decision 4):
    getFile answers its declared size and no path, as Telegram does for a file too big to
    download, and aiogram's `send_copy` sends the same header back by that file_id."""
    registered, alice, bob = new_bot(http), new_user(http), new_user(http)
    token, header = registered["bot_api_token"], {"file_name": "report.pdf", "file_size": 204800}
    assert http.post("/v1/messages/send", headers=alice.headers, json={
        "to": registered["alias"], "document": header}).json()["ok"]

    async def copied() -> tuple[dict, dict]:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
        async with Bot(token, session=session) as bot:
            [update] = await bot.get_updates(timeout=10)
            assert update.message is not None and update.message.document is not None
            copy = await update.message.send_copy(chat_id=alice.id)
            return (update.message.document.model_dump(exclude_none=True),
                    copy.document.model_dump(exclude_none=True))
    document, again = asyncio.run(copied())
    assert document == {**header, "file_id": document["file_id"],
                        "file_unique_id": document["file_unique_id"]}
    assert again["file_unique_id"] == document["file_unique_id"]
    assert {k: again[k] for k in header} == header
    for shown in (document, again):
        assert ok(http.post(f"/bot{token}/getFile", json={"file_id": shown["file_id"]})) == {
            "file_id": shown["file_id"], "file_unique_id": document["file_unique_id"],
            "file_size": 204800}
    [item] = messages(alice, 1)
    assert {k: item["document"][k] for k in header} == header
    ok(http.post(f"/bot{token}/sendDocument", json={"chat_id": bob.id,
                                                     "document": document["file_id"]}))
    [item] = messages(bob, 1)
    assert {k: item["document"][k] for k in header} == header

    other, before = new_bot(http)["bot_api_token"], log_position(server)
    failed(http.post(f"/bot{other}/getFile", json={"file_id": document["file_id"]}), 400,
           "Bad Request: invalid file_id")
    for method, part, target in (("sendDocument", "document", other),
                                 ("sendPhoto", "photo", token)):
        failed(http.post(f"/bot{target}/{method}", json={"chat_id": alice.id,
                                                         part: document["file_id"]}),
               400, "Bad Request: wrong file identifier/HTTP URL specified")
    assert log_position(server) == before
