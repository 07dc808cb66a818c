"""A two-state ConversationHandler as PTB's docs teach (name, then age, then a summary;
/cancel ends it), pointed at Botbus by base_url only."""
import os

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

NAME, AGE = range(2)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.message.reply_text("What is your name?")
    return NAME


async def name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["name"] = update.message.text
    await update.message.reply_text(f"Nice to meet you, {update.message.text}! How old are you?")
    return AGE


async def age(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.message.reply_text(f"{context.user_data['name']} is {update.message.text}.")
    return ConversationHandler.END


async def not_a_number(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.message.reply_text("Please send your age as a number.")
    return AGE


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.message.reply_text("Cancelled.")
    return ConversationHandler.END


def main() -> None:
    url = os.environ["BOTBUS_URL"]
    application = (Application.builder().token(os.environ["BOT_TOKEN"])
                   .base_url(f"{url}/bot").base_file_url(f"{url}/file/bot").build())
    text = filters.TEXT & ~filters.COMMAND
    application.add_handler(ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={NAME: [MessageHandler(text, name)],
                AGE: [MessageHandler(filters.Regex(r"^\d+$"), age),
                      MessageHandler(text, not_a_number)]},
        fallbacks=[CommandHandler("cancel", cancel)]))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
