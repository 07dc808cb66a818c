"""The echo bot with AsyncTeleBot, as telebot's asynchronous examples teach, pointed at Botbus
by asyncio_helper's URL templates only."""
import asyncio
import os

from telebot import asyncio_helper
from telebot.async_telebot import AsyncTeleBot

url = os.environ["BOTBUS_URL"]
asyncio_helper.API_URL = f"{url}/bot{{0}}/{{1}}"
asyncio_helper.FILE_URL = f"{url}/file/bot{{0}}/{{1}}"
bot = AsyncTeleBot(os.environ["BOT_TOKEN"])


@bot.message_handler(commands=["help", "start"])
async def send_welcome(message):
    await bot.reply_to(message, f"Hi {message.from_user.first_name}, I am an async echo bot.")


@bot.message_handler(func=lambda message: True)
async def echo_message(message):
    await bot.reply_to(message, message.text)


asyncio.run(bot.polling())
