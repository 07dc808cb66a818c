"""Request and response models of featherChat v1 (seed 003, BOT_API.md)."""
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from starlette.datastructures import UploadFile

from api.params import Int64

T = TypeVar("T")
MAX_SAFE_INT = 2**53  # what JSON readers everywhere (JavaScript included) hold exactly


def _chat_id(value: Any) -> Any:
    """featherChat routes by string; an integer is taken as its digits, nothing else is."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("must be a string or an integer")
    return str(value)


ChatId = Annotated[str, BeforeValidator(_chat_id)]

CALL_SIGNAL_TYPES = ("Offer", "Answer", "IceCandidate", "Hangup", "Reject", "Ringing", "Busy",
                     "Hold", "Unhold", "Mute", "Unmute", "Transfer")


class Ok(BaseModel, Generic[T]):
    ok: Literal[True] = True
    result: T


class Failure(BaseModel):
    ok: Literal[False] = False
    description: str


# Bot side

class RegisterBot(BaseModel):
    """POST /v1/bot/register"""

    name: str
    fingerprint: str


class RegisteredBot(BaseModel):
    token: str
    name: str
    fingerprint: str
    alias: str = Field(description="`@` + the alias, by featherChat's code rule")
    bot_api_token: str = Field(description="`<bot id>:<secret>`, the form aiogram and telebot need")


class Me(BaseModel):
    id: str
    is_bot: Literal[True] = True
    first_name: str
    username: str


class GetUpdates(BaseModel):
    """v1 deletes what it returns. `offset` is accepted and ignored; `limit` is honoured."""

    timeout: float = Field(0, ge=0, allow_inf_nan=False,
                           description="seconds to wait when empty, capped at 5")
    offset: Int64 | None = None
    limit: Int64 | None = Field(None, description="clamped to 1..100; default 100")


class SendMessage(BaseModel):
    chat_id: ChatId = Field(description="non-hex characters are stripped, then lowercased")
    text: str = Field(min_length=1, max_length=4096)


class Chat(BaseModel):
    id: str
    type: Literal["private"] = "private"


class SentMessage(BaseModel):
    message_id: str
    chat: Chat
    text: str
    date: int
    delivered: bool = Field(description="true when the recipient had a live socket")


class Sender(BaseModel):
    id: str
    is_bot: bool
    first_name: str | None = None


class Document(BaseModel):
    file_name: str = Field(min_length=1, max_length=255)
    file_size: int = Field(ge=0, le=MAX_SAFE_INT)


class CallSignal(BaseModel):
    type: Literal[CALL_SIGNAL_TYPES]  # type: ignore[valid-type]
    payload: str = Field("", max_length=65536)


class Message(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    message_id: str
    from_: Sender = Field(alias="from")
    chat: Chat
    date: int
    text: str | None = None
    raw_encrypted: str | None = None
    document: Document | None = None
    call_signal: CallSignal | None = None


class Update(BaseModel):
    update_id: int
    message: Message


# User side

class RegisterUser(BaseModel):
    """POST /v1/users/register"""

    fingerprint: str
    name: str | None = Field(None, min_length=1, max_length=64)
    alias: str | None = None


class RegisteredUser(BaseModel):
    token: str
    fingerprint: str
    id: int = Field(description="the user's integer id on the Telegram surface")


def _upload_or(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A multipart upload passes as the file itself; anything else is validated as usual."""
    return value if isinstance(value, UploadFile) else handler(value)


# The JSON header form (featherChat's file header) or, as multipart, the file itself
DocumentOrUpload = Annotated[Document, WrapValidator(_upload_or)]


class SendUserMessage(BaseModel):
    """POST /v1/messages/send: exactly one of text, raw_encrypted, document, call_signal.
    As multipart, `document` is the file itself (its bytes reach the bot), `caption` beside."""

    to: str = Field(description="a fingerprint or @alias")
    text: str | None = Field(None, min_length=1, max_length=4096)
    raw_encrypted: str | None = Field(None, min_length=1, max_length=700_000, description="base64")
    document: DocumentOrUpload | None = None
    caption: str | None = Field(None, min_length=1, max_length=1024)
    call_signal: CallSignal | None = None


class Accepted(BaseModel):
    message_id: str
    date: int


class PressButton(BaseModel):
    """POST /v1/callbacks/press: an inline-keyboard button of a bot's message to the user."""

    message_id: str = Field(description="as the message appears in the inbox item or frame")
    data: str = Field(max_length=64, description="the button's callback_data")


# Admin

class CreateBot(BaseModel):
    """POST /v1/admin/bots (BotFather-style, with the admin key)"""

    name: str
    username: str | None = Field(None, description="the alias; it must end in `bot`")
    description: str = Field("", max_length=512)


class CreatedBot(RegisteredBot):
    id: int = Field(description="the bot's integer id on the Telegram surface")
