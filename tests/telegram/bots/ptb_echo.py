"""python-telegram-bot's echo bot, as its docs teach (examples/echobot.py), pointed at Botbus
by base_url only; `--drop-pending-updates` starts it as `run_polling(drop_pending_updates=True)`."""
import os
import sys

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"Hi {update.effective_user.first_name}!")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


def main() -> None:
    url = os.environ["BOTBUS_URL"]
    application = (Application.builder().token(os.environ["BOT_TOKEN"])
                   .base_url(f"{url}/bot").base_file_url(f"{url}/file/bot").build())
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(allowed_updates=Update.ALL_TYPES,
                            drop_pending_updates="--drop-pending-updates" in sys.argv)


if __name__ == "__main__":
    main()
