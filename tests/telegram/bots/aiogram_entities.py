"""An aiogram bot that answers on the entities Telegram finds in a user's text: a magic filter
on `F.entities[...]` (any entity of the list) and `MessageEntity.extract_from` for the text
each covers."""
import asyncio
import logging
import sys
from os import getenv

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import MessageEntityType
from aiogram.types import Message

dp = Dispatcher()
FOUND = {MessageEntityType.MENTION, MessageEntityType.HASHTAG, MessageEntityType.CASHTAG,
         MessageEntityType.BOT_COMMAND, MessageEntityType.URL, MessageEntityType.EMAIL}


@dp.message(F.entities[...].type.in_(FOUND))
async def found(message: Message) -> None:
    await message.answer(" ".join(f"{entity.type}={entity.extract_from(message.text)}"
                                  for entity in message.entities))


@dp.message(F.text)
async def nothing(message: Message) -> None:
    await message.answer("nothing found")


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(getenv("BOTBUS_URL")))
    await dp.start_polling(Bot(token=getenv("BOT_TOKEN"), session=session),
                           handle_as_tasks=False)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    asyncio.run(main())
