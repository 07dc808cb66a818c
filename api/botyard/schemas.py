"""Botyard's request bodies and answers, as its web client and bots send and read them
(camelCase; empty optional fields omitted). Required fields default to "" so that Botyard's
own validation sentences, not the parser's, tell what is missing."""
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class BotyardNewBot(Body):
    name: str = ""
    description: str = ""
    avatar: str = ""


class BotyardCommandIn(Body):
    alias: str = ""
    description: str = ""


class BotyardNewWebhook(Body):
    url: str = ""
    secret: str = ""


class BotyardNewUser(Body):
    nickname: str = ""


class BotyardNewChat(Body):
    bot_id: str = Field("", alias="botId")


class BotyardNewMessage(Body):
    """The web client also sends `senderId` (ignored: the caller is the sender)."""

    chat_id: str = Field("", alias="chatId")
    body: str = ""
    attachment_ids: list[str] = Field(default_factory=list, alias="attachmentIds")


class BotyardBot(BaseModel):
    id: str
    name: str
    description: str | None = None
    avatar: str | None = None


class BotyardCreatedBot(BaseModel):
    bot: BotyardBot
    key: str


class BotyardKey(BaseModel):
    key: str


class BotyardCommand(BaseModel):
    id: str
    alias: str
    description: str | None = None


class BotyardWebhook(BaseModel):
    botId: str
    url: str
    secret: str | None = None


class BotyardUser(BaseModel):
    id: str
    nickname: str


class BotyardChat(BaseModel):
    id: str
    userId: str
    botId: str


class BotyardFile(BaseModel):
    id: str
    path: str = Field(description="relative, under static/: host + '/' + path downloads it")
    name: str
    size: int
    mimeType: str


class BotyardChatMessage(BaseModel):
    id: str
    chatId: str
    senderId: str
    body: str
    attachments: list[BotyardFile] | None = None
    timestamp: int = Field(description="unix milliseconds")


class BotyardRawMessage(BaseModel):
    """A message as the bot API shows one by id: its attachments as ids."""

    id: str
    chatId: str
    senderId: str
    body: str
    attachmentIds: list[str] | None = None
    timestamp: int


class BotyardPage(BaseModel):
    chatId: str
    total: int
    page: Any
    limit: Any
    messages: list[BotyardChatMessage]


class BotyardSocial(BaseModel):
    title: str
    url: str


class BotyardService(BaseModel):
    name: str
    description: str
    avatar: str | None = None
    socials: list[BotyardSocial]
