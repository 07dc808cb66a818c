"""telebot and files, as its docs teach: a document the user sent is fetched with
`bot.get_file` + `bot.download_file(file_path)` (saved to DIR/got-<name>) and sent back by
its file_id; `/upload` and `/photo` send DIR/upload.bin and DIR/photo.png as `InputFile`s.
Argument: DIR."""
import os
import sys
from pathlib import Path

import telebot
from telebot import apihelper
from telebot.types import InputFile

url = os.environ["BOTBUS_URL"]
apihelper.API_URL = f"{url}/bot{{0}}/{{1}}"
apihelper.FILE_URL = f"{url}/file/bot{{0}}/{{1}}"
bot = telebot.TeleBot(os.environ["BOT_TOKEN"])
DIR = Path(sys.argv[1])


@bot.message_handler(content_types=["document"])
def document(message):
    sent = message.document
    data = bot.download_file(bot.get_file(sent.file_id).file_path)
    (DIR / f"got-{sent.file_name}").write_bytes(data)
    bot.reply_to(message, f"saved {sent.file_name} {len(data)} {sent.file_id}")
    bot.send_document(message.chat.id, sent.file_id, caption="again")


@bot.message_handler(commands=["upload"])
def upload(message):
    bot.send_document(message.chat.id, InputFile(DIR / "upload.bin", file_name="telebot.bin"),
                      caption="upload")


@bot.message_handler(commands=["photo"])
def photo(message):
    with open(DIR / "photo.png", "rb") as image:
        bot.send_photo(message.chat.id, image, caption="photo")


bot.infinity_polling()
