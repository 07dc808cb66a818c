"""Telegram result objects, with the fields each library requires (research-compat §1.5)."""
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.telegram.schemas import MessageEntity


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


class AcceptedGiftTypes(BaseModel):
    """Required in ChatFullInfo by PTB and aiogram; all false, as Botbus has no gifts."""

    unlimited_gifts: bool = False
    limited_gifts: bool = False
    unique_gifts: bool = False
    premium_subscription: bool = False
    gifts_from_channels: bool = False


class ChatFullInfo(Chat):
    accent_color_id: int = 0
    max_reaction_count: int = 11
    accepted_gift_types: AcceptedGiftTypes = AcceptedGiftTypes()


class ChatMember(BaseModel):
    """ChatMemberMember: both parties of a private chat are members, as in Telegram."""

    user: User
    status: Literal["member"] = "member"


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
