"""A two-step conversation with `register_next_step_handler`, as telebot's step example
teaches (its wording is not copied): /order asks a size, then a topping, then confirms."""
import os

import telebot
from telebot import apihelper

url = os.environ["BOTBUS_URL"]
apihelper.API_URL = f"{url}/bot{{0}}/{{1}}"
apihelper.FILE_URL = f"{url}/file/bot{{0}}/{{1}}"
bot = telebot.TeleBot(os.environ["BOT_TOKEN"])
orders: dict[int, dict] = {}


@bot.message_handler(commands=["order"])
def start_order(message):
    asked = bot.reply_to(message, "Which size: small or large?")
    bot.register_next_step_handler(asked, take_size)


def take_size(message):
    if message.text not in ("small", "large"):
        asked = bot.reply_to(message, "Please answer small or large.")
        bot.register_next_step_handler(asked, take_size)
        return
    orders[message.chat.id] = {"size": message.text}
    asked = bot.send_message(message.chat.id, "Which topping?")
    bot.register_next_step_handler(asked, take_topping)


def take_topping(message):
    order = orders.pop(message.chat.id)
    bot.send_message(message.chat.id, f"Ordered: a {order['size']} pizza with {message.text}.")


@bot.message_handler(func=lambda message: True)
def idle(message):
    bot.send_message(message.chat.id, "Send /order to start.")


bot.infinity_polling()
