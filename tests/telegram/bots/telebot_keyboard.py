"""An inline keyboard and its callback handler, as telebot's docs teach: the press is
answered (`answer_callback_query`, as an alert for "No") and the message edited in place
(`edit_message_text`)."""
import os

import telebot
from telebot import apihelper
from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

url = os.environ["BOTBUS_URL"]
apihelper.API_URL = f"{url}/bot{{0}}/{{1}}"
apihelper.FILE_URL = f"{url}/file/bot{{0}}/{{1}}"
bot = telebot.TeleBot(os.environ["BOT_TOKEN"])


@bot.message_handler(commands=["menu"])
def menu(message):
    markup = InlineKeyboardMarkup()
    markup.row_width = 2
    markup.add(InlineKeyboardButton("Yes", callback_data="cb_yes"),
               InlineKeyboardButton("No", callback_data="cb_no"))
    bot.send_message(message.chat.id, "Do you like pizza?", reply_markup=markup)


@bot.callback_query_handler(func=lambda call: call.data.startswith("cb_"))
def pressed(call):
    choice = call.data.removeprefix("cb_")
    bot.answer_callback_query(call.id, f"You said {choice}", show_alert=choice == "no")
    bot.edit_message_text(f"{call.message.text} {choice.capitalize()}!", call.message.chat.id,
                          call.message.message_id)


bot.infinity_polling()
