"""python-telegram-bot and files, as its docs teach: a document the user sent is fetched with
`bot.get_file` + `File.download_as_bytearray` (saved to DIR/got-<name>) and sent back by its
file_id; `/upload` and `/photo` send DIR/upload.bin and DIR/photo.png as `InputFile`s.
Argument: DIR."""
import os
import sys
from pathlib import Path

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

DIR = Path(sys.argv[1])


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    sent = update.message.document
    data = await (await context.bot.get_file(sent.file_id)).download_as_bytearray()
    (DIR / f"got-{sent.file_name}").write_bytes(data)
    await update.message.reply_text(f"saved {sent.file_name} {len(data)} {sent.file_id}")
    await update.message.reply_document(sent.file_id, caption="again")


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    data = (DIR / "upload.bin").read_bytes()
    await update.message.reply_document(InputFile(data, filename="ptb.bin"), caption="upload")


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_photo((DIR / "photo.png").read_bytes(), caption="photo")


def main() -> None:
    url = os.environ["BOTBUS_URL"]
    application = (Application.builder().token(os.environ["BOT_TOKEN"])
                   .base_url(f"{url}/bot").base_file_url(f"{url}/file/bot").build())
    application.add_handler(MessageHandler(filters.Document.ALL, document))
    application.add_handler(CommandHandler("upload", upload))
    application.add_handler(CommandHandler("photo", photo))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
