"""telebot's echo bot in webhook mode, as its docs teach (`TeleBot.run_webhooks`, fastapi and
uvicorn under the hood; it sets a generated secret and listens on `/<url_path>/`), pointed at
Botbus by apihelper's URL templates only. Argument: the port to listen on."""
import os
import sys

import telebot
from telebot import apihelper

url = os.environ["BOTBUS_URL"]
apihelper.API_URL = f"{url}/bot{{0}}/{{1}}"
apihelper.FILE_URL = f"{url}/file/bot{{0}}/{{1}}"
bot = telebot.TeleBot(os.environ["BOT_TOKEN"])


@bot.message_handler(func=lambda message: True)
def echo_message(message):
    bot.reply_to(message, f"telebot: {message.text}")


bot.run_webhooks(listen="127.0.0.1", port=int(sys.argv[1]), url_path="telebot-hook")
