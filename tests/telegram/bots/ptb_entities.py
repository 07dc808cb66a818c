"""A python-telegram-bot bot that answers on the entities Telegram finds in a user's text:
`filters.Entity(MessageEntity.URL)` and `filters.Entity("mention")`, as PTB's docs teach, and
`Message.parse_entities` (UTF-16 offsets) for the text each entity covers."""
import os

from telegram import MessageEntity, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def links(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = update.message.parse_entities([MessageEntity.URL, MessageEntity.EMAIL])
    await update.message.reply_text("links: " + " ".join(found.values()))


async def mentions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = update.message.parse_entities([MessageEntity.MENTION])
    await update.message.reply_text("mentioned: " + " ".join(found.values()))


async def nothing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text("no entities")


def main() -> None:
    url = os.environ["BOTBUS_URL"]
    application = (Application.builder().token(os.environ["BOT_TOKEN"])
                   .base_url(f"{url}/bot").base_file_url(f"{url}/file/bot").build())
    application.add_handler(MessageHandler(filters.Entity(MessageEntity.URL), links))
    application.add_handler(MessageHandler(filters.Entity("mention"), mentions))
    application.add_handler(MessageHandler(filters.TEXT, nothing))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
