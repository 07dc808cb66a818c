"""A PTB bot using what its docs teach beyond echo: an inline keyboard answered by a
CallbackQueryHandler, parse_mode HTML and MarkdownV2, replies, and the bot's command list
set in post_init; pointed at Botbus by base_url only."""
import os

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

COMMANDS = [BotCommand("menu", "pick a fruit"), BotCommand("html", "bold in HTML"),
            BotCommand("md", "bold in MarkdownV2"), BotCommand("quote", "a reply"),
            BotCommand("commands", "this list")]


async def post_init(application: Application) -> None:
    await application.bot.set_my_commands(COMMANDS)


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = [[InlineKeyboardButton("Apple", callback_data="apple"),
                 InlineKeyboardButton("Pear", callback_data="pear")]]
    await update.message.reply_text("Pick a fruit:", reply_markup=InlineKeyboardMarkup(keyboard))


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"You picked {query.data}")
    await query.edit_message_text(f"Picked: {query.data}")


async def html(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text("<b>Bold</b> and <i>italic</i>", parse_mode=ParseMode.HTML)


async def markdown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(r"*Bold* and `code`\!", parse_mode=ParseMode.MARKDOWN_V2)


async def quote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(update.effective_chat.id, "You said that.",
                                   reply_to_message_id=update.message.message_id)


async def commands(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    listed = await context.bot.get_my_commands()
    await update.message.reply_text(" ".join(f"/{c.command}:{c.description}" for c in listed))


def main() -> None:
    url = os.environ["BOTBUS_URL"]
    application = (Application.builder().token(os.environ["BOT_TOKEN"])
                   .base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
                   .post_init(post_init).build())
    application.add_handler(CommandHandler("menu", menu))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(CommandHandler("html", html))
    application.add_handler(CommandHandler("md", markdown))
    application.add_handler(CommandHandler("quote", quote))
    application.add_handler(CommandHandler("commands", commands))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
