"""Request and response models of featherChat v1 (seed 003, BOT_API.md)."""
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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
    offset: int | None = None
    limit: int | None = Field(None, description="clamped to 1..100; default 100")


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


class SendUserMessage(BaseModel):
    """POST /v1/messages/send: exactly one of text, raw_encrypted, document, call_signal."""

    to: str = Field(description="a fingerprint or @alias")
    text: str | None = Field(None, min_length=1, max_length=4096)
    raw_encrypted: str | None = Field(None, min_length=1, max_length=700_000, description="base64")
    document: Document | None = None
    call_signal: CallSignal | None = None


class Accepted(BaseModel):
    message_id: str
    date: int
