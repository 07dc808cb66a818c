"""python-telegram-bot's echo bot in webhook mode, as its docs teach
(`Application.run_webhook`, tornado under the hood), pointed at Botbus by base_url only.
Arguments: the port to listen on and the secret token."""
import os
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"ptb: {update.message.text}")


def main() -> None:
    url, port, secret = os.environ["BOTBUS_URL"], int(sys.argv[1]), sys.argv[2]
    application = (Application.builder().token(os.environ["BOT_TOKEN"])
                   .base_url(f"{url}/bot").base_file_url(f"{url}/file/bot").build())
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_webhook(listen="127.0.0.1", port=port, url_path="ptb-hook",
                            webhook_url=f"http://127.0.0.1:{port}/ptb-hook",
                            secret_token=secret, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
