"""aiogram's webhook pattern (examples/echo_bot_webhook.py): an aiohttp app with
`SimpleRequestHandler` and `setup_application`, the webhook set in `on_startup`. Its handlers
call no API themselves: each RETURNS a method (`message.answer(...)` not awaited, a
`SendDocument`), which aiogram writes into its webhook answer as multipart
(`handle_in_background=False`), so the user is answered only if the server executes it.
Arguments: the port to listen on and the secret token."""
import logging
import sys
from os import getenv

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

PORT, SECRET = int(sys.argv[1]), sys.argv[2]
PATH = "/aiogram-hook"
dp = Dispatcher()


@dp.message(Command("doc"))
async def document_handler(message: Message) -> SendDocument:
    """A file in the webhook answer: a multipart part named by `attach://`."""
    payload = bytes(range(256)) * 3 + b"aiogram webhook answer"
    return SendDocument(chat_id=message.chat.id, caption="from the answer",
                        document=BufferedInputFile(payload, filename="answer.bin"))


@dp.message(F.text)
async def echo_handler(message: Message):
    return message.answer(f"aiogram: {message.text}")


async def on_startup(bot: Bot) -> None:
    await bot.set_webhook(f"http://127.0.0.1:{PORT}{PATH}", secret_token=SECRET)


def main() -> None:
    dp.startup.register(on_startup)
    bot = Bot(token=getenv("BOT_TOKEN"),
              session=AiohttpSession(api=TelegramAPIServer.from_base(getenv("BOTBUS_URL"))))
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=SECRET,
                         handle_in_background=False).register(app, path=PATH)
    setup_application(app, dp, bot=bot)
    web.run_app(app, host="127.0.0.1", port=PORT)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    main()
