"""Methods that write to a chat: send, forward, copy, edit, delete, and the answer to a
button press. Each checks its chat and message first, then runs one command through the
writer; what it returns is read back from the read models (read-after-write)."""
from typing import Any
from uuid import UUID

from api.telegram import detected, formatting, render
from api.telegram.errors import TelegramError, bad_request
from api.telegram.methods import Call, method
from api.telegram.objects import Message, MessageId
from api.telegram.schemas import (
    AnswerCallbackQuery,
    ChatMessage,
    CopyMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    Replying,
    SendMessage,
)
from domain.files import Blob
from domain.ids import aggregate_id
from domain.messaging import Sent
from domain.unit import Unit

MAX_TEXT = 4096
MAX_CAPTION = 1024  # Telegram's, after entities parsing; counted as MAX_TEXT is
# What a forward or a copy carries: every content kind a send method stores
_COPIED = ("text", "entities", "caption", "caption_entities", "document", "photo",
           "reply_markup")


async def deliver(call: Call, chat: dict, content: dict[str, Any],
                  blob: Blob | None = None) -> dict:
    """Records the message (with the file it uploads, in the same command: both or
    neither) and returns it as the bot sees it."""
    runtime, bot_id, to = call.runtime, call.bot["id"], chat["fingerprint"]
    wait = runtime.limits.retry_after(bot_id, to)
    if wait is not None:
        if blob is not None:
            runtime.files.discard(blob.file_id)
        raise TelegramError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
    delivered = runtime.sockets.is_online(to)

    def command(unit: Unit) -> Sent:
        if blob is not None:
            runtime.app.store_file(unit, bot_id, blob)
        return runtime.app.send_message(unit, bot_id, to, content, delivered)

    sent = await runtime.files.recorded([blob], runtime.writer.run(command))
    return shown(call, str(sent.message_id))


def shown(call: Call, message_id: str) -> dict:
    item = call.lookup(message_id)
    assert item is not None, "read-after-write: the writer answers once it is projected"
    return render.message(item, call.address, call.people, call.lookup)


def text_content(call: Call, text: str, parse_mode: str | None, entities: list | None
                 ) -> dict[str, Any]:
    if not text:
        raise bad_request("message text is empty")
    text, found = formatting.parse(text, parse_mode, entities, call.people)
    if not text:
        raise bad_request("message text is empty")
    if render.utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    content: dict[str, Any] = {"text": text}
    if found:
        content["entities"] = found
    return content


def caption_content(call: Call, caption: str | None, parse_mode: str | None,
                    entities: list | None) -> dict[str, Any]:
    """Trimmed as a text is, but a blank caption is no caption rather than an error."""
    text, found = formatting.parse(caption or "", parse_mode, entities, call.people)
    if render.utf16_len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if not text:
        return {}
    return {"caption": text, **({"caption_entities": found} if found else {})}


def markup(value: dict | None) -> dict[str, Any]:
    if value is None:
        return {}
    keyboard = value.get("inline_keyboard")
    if keyboard is not None and not (isinstance(keyboard, list)
                                     and all(isinstance(row, list) for row in keyboard)):
        raise bad_request("can't parse inline keyboard button: field inline_keyboard"
                          " must be an array of arrays")
    return {"reply_markup": value}


@method("sendMessage", Message, SendMessage)
async def send_message(call: Call, params: SendMessage) -> dict:
    """A text message to a private chat; `reply_parameters` / `reply_to_message_id` and an
    inline or reply keyboard honoured."""
    chat = call.chat(params.chat_id)
    content = text_content(call, params.text, params.parse_mode,
                           [e.model_dump() for e in params.entities or ()])
    content.update(markup(params.reply_markup))
    content.update(reply_to(call, chat, params))
    return await deliver(call, chat, content)


def reply_to(call: Call, chat: dict, params: Replying) -> dict[str, Any]:
    target = params.reply_parameters
    message_id = target.message_id if target else params.reply_to_message_id
    if message_id is None:
        return {}
    item = call.message(chat, message_id)
    if item is None:
        lenient = target.allow_sending_without_reply if target else False
        if lenient or params.allow_sending_without_reply:
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message_id": item["id"]}


def _copied(call: Call, params: ForwardMessage, verb: str) -> tuple[dict, dict, dict]:
    """The target chat, the source message and what of it a copy carries."""
    source_chat, chat = call.chat(params.from_chat_id), call.chat(params.chat_id)
    item = call.message(source_chat, params.message_id)
    if item is None:
        raise bad_request(f"message to {verb} not found")
    content = {k: item["content"][k] for k in _COPIED if k in item["content"]}
    if not item["sender_is_bot"]:  # what the user's app found goes along, as in Telegram
        content.update(detected.unmarked(content))
    return chat, item, content


@method("forwardMessage", Message, ForwardMessage)
async def forward_message(call: Call, params: ForwardMessage) -> dict:
    """The message again in another chat, marked as forwarded from its sender."""
    chat, item, content = _copied(call, params, "forward")
    content["forward_origin"] = {"type": "user", "date": item["date"],
                                 "sender_user": render.message(item, call.address,
                                                               call.people)["from"]}
    return await deliver(call, chat, content)


@method("copyMessage", MessageId, CopyMessage)
async def copy_message(call: Call, params: CopyMessage) -> dict:
    """The message again without a link to the original; a new caption or markup wins."""
    chat, _, content = _copied(call, params, "copy")
    if params.caption is not None:
        content = {k: v for k, v in content.items() if k not in ("caption", "caption_entities")}
        content.update(caption_content(call, params.caption, params.parse_mode,
                                       [e.model_dump() for e in params.caption_entities or ()]))
    content.update(markup(params.reply_markup))
    return {"message_id": (await deliver(call, chat, content))["message_id"]}


def _own(call: Call, chat_id: int | str | None, message_id: int | None,
         inline: str | None) -> dict:
    """The bot's own message of the chat: Telegram tells a missing message from one the bot
    may not edit (the user's)."""
    if inline is not None:
        raise bad_request("inline messages are not supported by this server")
    if chat_id is None or message_id is None:
        raise bad_request("message identifier is not specified")
    item = call.message(call.chat(chat_id), message_id)
    if item is None:
        raise bad_request("message to edit not found")
    if item["sender_id"] != call.bot["id"]:
        raise bad_request("message can't be edited")
    return item


async def _edit(call: Call, item: dict, content: dict[str, Any]) -> dict:
    runtime, bot_id, message_id = call.runtime, call.bot["id"], UUID(item["id"])
    await runtime.writer.run(
        lambda unit: runtime.app.edit_message(unit, message_id, bot_id, content))
    return shown(call, item["id"])


@method("editMessageText", Message, EditMessageText)
async def edit_message_text(call: Call, params: EditMessageText) -> dict:
    """The bot's own message, with a new text and (or without) an inline keyboard."""
    item = _own(call, params.chat_id, params.message_id, params.inline_message_id)
    if item["content"].get("text") is None:  # a document or a photo: its caption is no text
        raise bad_request("there is no text in the message to edit")
    content = {k: v for k, v in item["content"].items()
               if k not in ("text", "entities", "reply_markup", "edit_date")}
    content.update(text_content(call, params.text, params.parse_mode,
                                [e.model_dump() for e in params.entities or ()]))
    content.update(markup(params.reply_markup))
    return await _edit(call, item, content)


@method("editMessageReplyMarkup", Message, EditMessageReplyMarkup)
async def edit_message_reply_markup(call: Call, params: EditMessageReplyMarkup) -> dict:
    """A new inline keyboard for the bot's own message (none removes it)."""
    item = _own(call, params.chat_id, params.message_id, params.inline_message_id)
    content = {k: v for k, v in item["content"].items() if k not in ("reply_markup", "edit_date")}
    content.update(markup(params.reply_markup))
    return await _edit(call, item, content)


@method("deleteMessage", bool, ChatMessage)
async def delete_message(call: Call, params: ChatMessage) -> bool:
    """A message of the chat, the bot's or the user's: gone for both."""
    item = call.message(call.chat(params.chat_id), params.message_id)
    if item is None:
        raise bad_request("message to delete not found")
    runtime, bot_id, message_id = call.runtime, call.bot["id"], UUID(item["id"])
    await runtime.writer.run(lambda unit: runtime.app.delete_message(unit, message_id, bot_id))
    return True


@method("answerCallbackQuery", bool, AnswerCallbackQuery)
async def answer_callback_query(call: Call, params: AnswerCallbackQuery) -> bool:
    """Reaches the user who pressed, as a `callback_answer` item."""
    try:
        callback_id = aggregate_id(params.callback_query_id)
    except ValueError:
        raise bad_request("query is too old and response timeout expired or query ID is"
                          " invalid") from None
    runtime, address = call.runtime, call.address
    await runtime.writer.run(lambda unit: runtime.app.answer_callback(
        unit, callback_id, address, params.text or "", params.show_alert, params.url or ""))
    return True
