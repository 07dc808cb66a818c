"""An inline keyboard as aiogram's docs build it (InlineKeyboardBuilder, a CallbackData
factory, a Router): a press is answered with `callback.answer` and the message edited."""
import asyncio
import logging
import sys
from os import getenv

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

router = Router()


class Colour(CallbackData, prefix="colour"):
    name: str


@router.message(CommandStart())
async def command_start(message: Message) -> None:
    builder = InlineKeyboardBuilder()
    for name in ("red", "green", "blue"):
        builder.button(text=name.title(), callback_data=Colour(name=name))
    builder.adjust(2)
    await message.answer("Pick a colour", reply_markup=builder.as_markup())


@router.callback_query(Colour.filter(F.name != "green"))
async def colour_picked(callback: CallbackQuery, callback_data: Colour) -> None:
    await callback.answer(f"{callback.from_user.first_name} picked {callback_data.name}")
    await callback.message.edit_text(f"Your colour: {callback_data.name}")


@router.callback_query(Colour.filter())
async def colour_refused(callback: CallbackQuery) -> None:
    await callback.answer("Not green, please", show_alert=True)


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(getenv("BOTBUS_URL")))
    bot = Bot(token=getenv("BOT_TOKEN"), session=session)
    dp = Dispatcher()
    dp.include_router(router)
    await dp.start_polling(bot)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    asyncio.run(main())
