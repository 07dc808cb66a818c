"""aiogram and files, as its docs teach: a document the user sent is fetched with
`bot.get_file` + `bot.download` (saved to DIR/got-<name>) and sent back with
`message.send_copy` (its file_id again); `/upload` and `/photo` send DIR/upload.bin and
DIR/photo.png as `BufferedInputFile`s (aiogram names the part with `attach://`).
Argument: DIR."""
import asyncio
import logging
import sys
from os import getenv
from pathlib import Path

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message

DIR = Path(sys.argv[1])
dp = Dispatcher()


@dp.message(F.document)
async def document_handler(message: Message, bot: Bot) -> None:
    sent = message.document
    file = await bot.get_file(sent.file_id)
    data = (await bot.download(file)).read()
    (DIR / f"got-{sent.file_name}").write_bytes(data)
    await message.answer(f"saved {sent.file_name} {len(data)} {sent.file_id}")
    await message.send_copy(chat_id=message.chat.id)


@dp.message(Command("upload"))
async def upload_handler(message: Message) -> None:
    data = (DIR / "upload.bin").read_bytes()
    await message.answer_document(BufferedInputFile(data, filename="aiogram.bin"),
                                  caption="upload")


@dp.message(Command("photo"))
async def photo_handler(message: Message) -> None:
    data = (DIR / "photo.png").read_bytes()
    await message.answer_photo(BufferedInputFile(data, filename="photo.png"), caption="photo")


async def main() -> None:
    bot = Bot(token=getenv("BOT_TOKEN"),
              session=AiohttpSession(api=TelegramAPIServer.from_base(getenv("BOTBUS_URL"))))
    await dp.start_polling(bot)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    asyncio.run(main())
