"""An echo bot as telebot's docs teach (sync TeleBot, `infinity_polling`), pointed at Botbus
by apihelper's URL templates only. `--skip-pending` starts it with `skip_pending=True`."""
import os
import sys

import telebot
from telebot import apihelper

url = os.environ["BOTBUS_URL"]
apihelper.API_URL = f"{url}/bot{{0}}/{{1}}"
apihelper.FILE_URL = f"{url}/file/bot{{0}}/{{1}}"
bot = telebot.TeleBot(os.environ["BOT_TOKEN"])


@bot.message_handler(commands=["start", "help"])
def send_welcome(message):
    bot.reply_to(message, f"Hi {message.from_user.first_name}, I am an echo bot.")


@bot.message_handler(func=lambda message: True)
def echo_message(message):
    bot.reply_to(message, message.text)


bot.infinity_polling(skip_pending="--skip-pending" in sys.argv)
