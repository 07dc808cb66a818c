"""Telegram method parameters (what the libraries send) and result objects (what they
require: research-compat §1.5). Unknown parameters are ignored, as the reference does."""
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.telegram.types import ChatId, Json


class Params(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GetUpdates(Params):
    offset: int = 0
    limit: int = Field(100, description="clamped to 1..100")
    timeout: float = Field(0, allow_inf_nan=False, description="seconds, clamped to 0..50")
    allowed_updates: Json[list[str] | None] = None


class MessageEntity(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    offset: int = Field(ge=0)
    length: int = Field(ge=1)


class ReplyParameters(BaseModel):
    model_config = ConfigDict(extra="allow")
    message_id: int
    chat_id: ChatId | None = None
    allow_sending_without_reply: bool = False


class Formatted(Params):
    """What every method that writes a text (or a caption) takes."""

    parse_mode: str | None = Field(None, description="HTML, MarkdownV2 or Markdown")
    reply_markup: Json[dict[str, Any] | None] = None


class Replying(Formatted):
    reply_parameters: Json[ReplyParameters | None] = None
    reply_to_message_id: int | None = None
    allow_sending_without_reply: bool = False


class SendMessage(Replying):
    chat_id: ChatId
    text: str = ""
    entities: Json[list[MessageEntity] | None] = None


class SendMedia(Replying):
    chat_id: ChatId
    caption: str | None = Field(None, max_length=4096)
    caption_entities: Json[list[MessageEntity] | None] = None


class SendDocument(SendMedia):
    document: Any = Field(description="a file (multipart), `attach://<part>` or a file_id")


class SendPhoto(SendMedia):
    photo: Any = Field(description="a file (multipart), `attach://<part>` or a file_id")


class GetFile(Params):
    file_id: str


class EditMessageText(Formatted):
    chat_id: ChatId | None = None
    message_id: int | None = None
    inline_message_id: str | None = None
    text: str = ""
    entities: Json[list[MessageEntity] | None] = None


class EditMessageReplyMarkup(Params):
    chat_id: ChatId | None = None
    message_id: int | None = None
    inline_message_id: str | None = None
    reply_markup: Json[dict[str, Any] | None] = None


class ChatMessage(Params):
    chat_id: ChatId
    message_id: int


class ForwardMessage(Params):
    chat_id: ChatId
    from_chat_id: ChatId
    message_id: int


class CopyMessage(ForwardMessage, Formatted):
    caption: str | None = None
    caption_entities: Json[list[MessageEntity] | None] = None


class ChatOnly(Params):
    chat_id: ChatId


class SendChatAction(ChatOnly):
    action: str


class AnswerCallbackQuery(Params):
    callback_query_id: str
    text: str | None = Field(None, max_length=200)
    show_alert: bool = False
    url: str | None = None
    cache_time: int = 0


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
    max_connections: int = Field(40, description="clamped to 1..100")
    allowed_updates: Json[list[str] | None] = None
    ip_address: str | None = None


# Results

class User(BaseModel):
    id: int
    is_bot: bool
    first_name: str
    username: str | None = None


class Me(User):
    can_join_groups: bool = True
    can_read_all_group_messages: bool = False
    supports_inline_queries: bool = False


class Chat(BaseModel):
    id: int
    type: Literal["private"] = "private"
    first_name: str | None = None
    username: str | None = None


class ChatFullInfo(Chat):
    accent_color_id: int = 0
    max_reaction_count: int = 11


class Document(BaseModel):
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


class PhotoSize(BaseModel):
    file_id: str
    file_unique_id: str
    width: int
    height: int
    file_size: int | None = None


class File(BaseModel):
    file_id: str
    file_unique_id: str
    file_size: int | None = None
    file_path: str | None = Field(None, description="relative: GET /file/bot<token>/<file_path>")


class Message(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    message_id: int
    date: int = Field(description="unix seconds")
    chat: Chat
    from_: User | None = Field(None, alias="from")
    text: str | None = None
    entities: list[MessageEntity] | None = None
    edit_date: int | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message: dict[str, Any] | None = None
    document: Document | None = None
    photo: list[PhotoSize] | None = None
    caption: str | None = None


class CallbackQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str
    from_: User = Field(alias="from")
    chat_instance: str
    message: Message | None = None
    data: str | None = None


class Update(BaseModel):
    update_id: int
    message: Message | None = None
    callback_query: CallbackQuery | None = None


class WebhookInfo(BaseModel):
    url: str
    has_custom_certificate: bool
    pending_update_count: int
    max_connections: int | None = None
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class BotName(BaseModel):
    name: str


class BotDescription(BaseModel):
    description: str


class BotShortDescription(BaseModel):
    short_description: str


class MessageId(BaseModel):
    message_id: int
