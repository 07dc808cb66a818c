"""A bot using more of telebot's API: the command menu (set/get_my_commands), HTML
formatting, and deleting both the bot's own message and the user's command."""
import os

import telebot
from telebot import apihelper
from telebot.types import BotCommand

url = os.environ["BOTBUS_URL"]
apihelper.API_URL = f"{url}/bot{{0}}/{{1}}"
apihelper.FILE_URL = f"{url}/file/bot{{0}}/{{1}}"
bot = telebot.TeleBot(os.environ["BOT_TOKEN"])
sent: dict[int, int] = {}  # chat id: the message /temp sent there


@bot.message_handler(commands=["menu"])
def menu(message):
    bot.set_my_commands([BotCommand("menu", "Show the menu"), BotCommand("bold", "Be bold")])
    commands = bot.get_my_commands()
    bot.send_message(message.chat.id, "Menu: " + ", ".join(f"/{c.command} ({c.description})"
                                                           for c in commands))


@bot.message_handler(commands=["bold"])
def bold(message):
    formatted = bot.send_message(message.chat.id, "<b>Bold</b> and <i>italic</i>",
                                 parse_mode="HTML")
    shown = [(entity.type, entity.offset, entity.length) for entity in formatted.entities]
    bot.send_message(message.chat.id, f"Entities: {shown}")


@bot.message_handler(commands=["temp"])
def temporary(message):
    sent[message.chat.id] = bot.send_message(message.chat.id, "A temporary note").message_id


@bot.message_handler(commands=["clean"])
def clean(message):
    bot.delete_message(message.chat.id, sent.pop(message.chat.id))
    bot.delete_message(message.chat.id, message.message_id)
    bot.send_message(message.chat.id, "Cleaned up")


bot.infinity_polling()
