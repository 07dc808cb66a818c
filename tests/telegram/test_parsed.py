"""Results as the libraries' own parsers read them, in-process against a real server: PTB's
echobot `/start` (`reply_html(user.mention_html())`) and a press on such a message, aiogram's
`get_chat`; and the bad paths of a `tg://user` mention (research-compat §1.2, §1.5)."""
import asyncio

import pytest
import telebot
from aiogram import Bot as AiogramBot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity

from tests.telegram.conftest import new_bot, new_user
from tests.telegram.test_surface_params import failed, log_position

pytestmark = pytest.mark.slow


def ptb(server, token: str) -> Bot:
    return Bot(token, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot")


def test_ptb_echobot_start_mentions_the_user_in_html(server, http):
    """PTB's examples/echobot.py answers /start with `user.mention_html()`: the mention comes
    back as a `text_mention` whose user is the whole User, as `from` shows it."""
    registered, user = new_bot(http), new_user(http, name="Alice")

    async def run() -> None:
        async with ptb(server, registered["bot_api_token"]) as bot:
            user.send(registered["alias"], "/start")
            [update] = await bot.get_updates(timeout=10)
            alice = update.effective_user
            sent = await update.message.reply_html(rf"Hi {alice.mention_html()}!")
            assert sent.text == "Hi Alice!"
            [mention] = sent.entities
            assert (mention.type, mention.offset, mention.length) == ("text_mention", 3, 5)
            assert mention.user == alice and mention.user.first_name == "Alice"
            assert mention.user.is_bot is False
            explicit = await bot.send_message(user.id, "Hi you", entities=[
                MessageEntity(MessageEntity.TEXT_MENTION, 3, 3, user=alice)])
            assert explicit.entities[0].user.first_name == "Alice"

            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ok", callback_data="ok")]])
            await bot.send_message(user.id, f"{bot.bot.mention_html()} asks", parse_mode="HTML",
                                   reply_markup=keyboard)
            [pressed] = [item["message"] for item in user.wait_for(3) if "reply_markup"
                         in item.get("message", {})]
            assert user.press(pressed["message_id"], "ok")["ok"]
            [press] = await bot.get_updates(offset=update.update_id + 1, timeout=10)
            [mention] = press.callback_query.message.entities
            assert mention.user == bot.bot and mention.user.username == bot.bot.username

    asyncio.run(run())


def test_a_mention_of_an_unknown_id_keeps_the_text_and_drops_the_entity(server, http):
    registered, user = new_bot(http), new_user(http, name="Alice")
    token = registered["bot_api_token"]
    for text, parse_mode in (('<b>Hi</b> <a href="tg://user?id=987654321">ghost</a>', "HTML"),
                             ("*Hi* [ghost](tg://user?id=987654321)", "MarkdownV2")):
        sent = http.post(f"/bot{token}/sendMessage", json={
            "chat_id": user.id, "text": text, "parse_mode": parse_mode}).json()["result"]
        assert sent["text"] == "Hi ghost"
        assert sent["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
        assert user.wait_for(1)[0]["message"]["entities"] == sent["entities"]


@pytest.mark.parametrize("href", ["tg://user?id=abc", "tg://user?id=", "tg://user?id=-5",
                                  "tg://user?id=1e3"])
def test_a_mention_of_a_malformed_id_is_a_400_and_appends_nothing(server, http, href):
    token, user = new_bot(http)["bot_api_token"], new_user(http)
    before = log_position(server)
    description = failed(http.post(f"/bot{token}/sendMessage", json={
        "chat_id": user.id, "text": f'<a href="{href}">x</a>', "parse_mode": "HTML"}), 400)
    assert description.startswith("Bad Request: can't parse entities: "), description
    assert log_position(server) == before


def test_get_chat_parses_in_aiogram_ptb_and_telebot(server, http):
    """aiogram's ChatFullInfo requires `accepted_gift_types`; Botbus has no gifts."""
    registered, user = new_bot(http), new_user(http, name="Alice")
    token = registered["bot_api_token"]

    async def run() -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
        async with AiogramBot(token, session=session) as bot:
            chat = await bot.get_chat(user.id)
        assert (chat.id, chat.type, chat.first_name) == (user.id, "private", "Alice")
        assert not any(chat.accepted_gift_types.model_dump().values())
        async with ptb(server, token) as bot:
            assert (await bot.get_chat(user.id)).accepted_gift_types.unique_gifts is False

    asyncio.run(run())
    default, telebot.apihelper.API_URL = telebot.apihelper.API_URL, f"{server.url}/bot{{0}}/{{1}}"
    try:
        chat = telebot.TeleBot(token).get_chat(user.id)
    finally:
        telebot.apihelper.API_URL = default
    assert chat.first_name == "Alice" and chat.accepted_gift_types.limited_gifts is False
