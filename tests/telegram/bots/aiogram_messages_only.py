"""A bot with message handlers only, so aiogram's `start_polling` asks for
`allowed_updates=["message"]` on every getUpdates. It shows an inline keyboard anyway, and an
outer middleware (which adds no update type) tells the user of any other update it is given."""
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from os import getenv
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import Message, Update
from aiogram.utils.keyboard import InlineKeyboardBuilder

dp = Dispatcher()


@dp.update.outer_middleware()
async def announce_unexpected(handler: Callable[[Update, dict[str, Any]], Awaitable[Any]],
                              event: Update, data: dict[str, Any]) -> Any:
    if event.event_type != "message":
        user = data["event_from_user"]
        await data["bot"].send_message(user.id, f"unexpected {event.event_type}")
    return await handler(event, data)


@dp.message(CommandStart())
async def command_start(message: Message) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text="Press me", callback_data="pressed")
    await message.answer("A button nobody handles", reply_markup=builder.as_markup())


@dp.message(F.text)
async def echo(message: Message) -> None:
    await message.answer(f"echo: {message.text}")


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(getenv("BOTBUS_URL")))
    bot = Bot(token=getenv("BOT_TOKEN"), session=session)
    # one update at a time, in order: whatever came before a message is answered before it
    await dp.start_polling(bot, handle_as_tasks=False)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    asyncio.run(main())
