"""Telegram method parameters, as the libraries send them (research-compat §1.1, §1.6).
Unknown parameters are ignored, as the reference server ignores them. The result objects are
in objects.py."""
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.params import Int64
from api.telegram.types import ChatId, Json


class Params(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GetUpdates(Params):
    offset: Int64 = 0
    limit: Int64 = Field(100, description="clamped to 1..100")
    timeout: float = Field(0, allow_inf_nan=False, description="seconds, clamped to 0..50")
    allowed_updates: Json[list[str] | None] = None


class MessageEntity(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    offset: Int64 = Field(ge=0)
    length: Int64 = Field(ge=1)


class ReplyParameters(BaseModel):
    model_config = ConfigDict(extra="allow")
    message_id: Int64
    chat_id: ChatId | None = None
    allow_sending_without_reply: bool = False


class Formatted(Params):
    """What every method that writes a text (or a caption) takes."""

    parse_mode: str | None = Field(None, description="HTML, MarkdownV2 or Markdown")
    reply_markup: Json[dict[str, Any] | None] = None


class Replying(Formatted):
    reply_parameters: Json[ReplyParameters | None] = None
    reply_to_message_id: Int64 | None = None
    allow_sending_without_reply: bool = False


class SendMessage(Replying):
    chat_id: ChatId
    text: str = ""
    entities: Json[list[MessageEntity] | None] = None


class SendMedia(Replying):
    chat_id: ChatId
    caption: str | None = None
    caption_entities: Json[list[MessageEntity] | None] = None


class SendDocument(SendMedia):
    document: Any = Field(description="a file (multipart), `attach://<part>` or a file_id")


class SendPhoto(SendMedia):
    photo: Any = Field(description="a file (multipart), `attach://<part>` or a file_id")


class GetFile(Params):
    file_id: str


class EditMessageText(Formatted):
    chat_id: ChatId | None = None
    message_id: Int64 | None = None
    inline_message_id: str | None = None
    text: str = ""
    entities: Json[list[MessageEntity] | None] = None


class EditMessageReplyMarkup(Params):
    chat_id: ChatId | None = None
    message_id: Int64 | None = None
    inline_message_id: str | None = None
    reply_markup: Json[dict[str, Any] | None] = None


class ChatMessage(Params):
    chat_id: ChatId
    message_id: Int64


class ForwardMessage(Params):
    chat_id: ChatId
    from_chat_id: ChatId
    message_id: Int64


class CopyMessage(ForwardMessage, Formatted):
    caption: str | None = None
    caption_entities: Json[list[MessageEntity] | None] = None


class ChatOnly(Params):
    chat_id: ChatId


class SendChatAction(ChatOnly):
    action: str


class GetChatMember(ChatOnly):
    user_id: Any = Field(0, description="a user's integer id")


class AnswerCallbackQuery(Params):
    callback_query_id: str
    text: str | None = Field(None, max_length=200)
    show_alert: bool = False
    url: str | None = None
    cache_time: Int64 = 0


class BotCommand(BaseModel):
    command: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    description: str = Field(min_length=1, max_length=256)


class CommandScope(Params):
    scope: Json[dict[str, Any] | None] = None
    language_code: str = ""


class SetMyCommands(CommandScope):
    commands: Json[list[BotCommand]]


class LanguageOnly(Params):
    language_code: str = ""


class SetMyName(LanguageOnly):
    name: str = Field("", max_length=64)


class SetMyDescription(LanguageOnly):
    description: str = Field("", max_length=512)


class SetMyShortDescription(LanguageOnly):
    short_description: str = Field("", max_length=120)


class DeleteWebhook(Params):
    drop_pending_updates: bool = False


class SetWebhook(DeleteWebhook):
    url: str = ""
    secret_token: str | None = None
    max_connections: Int64 = Field(40, description="clamped to 1..100")
    allowed_updates: Json[list[str] | None] = None
    ip_address: str | None = None
