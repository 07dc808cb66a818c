"""Botyard's chat rooms: a web user may open up to ten with one bot, and each message of
theirs belongs to one (`Message.Sent.chat`). The rooms of one user with one bot are one
small aggregate, so the limit holds in the log itself, whatever the read models say."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.bots import Bot
from domain.clock import Clock, from_millis, millis
from domain.errors import invalid, not_found
from domain.ids import AccountId, Ids, aggregate_id, named_id
from domain.messaging import MessagingCommands, Sent
from domain.unit import Unit
from domain.users import User

MAX_ROOMS = 10
TOO_MANY_ROOMS = f"Cannot create more than {MAX_ROOMS} chat rooms with the same bot."
CHAT_NOT_FOUND = "Chat not found."
BOT_NOT_FOUND = "Bot not found."


class ChatRooms(Aggregate):
    class Started(Aggregate.Created):
        user_id: str
        bot_id: str

    class Opened(Aggregate.Event):
        chat_id: str
        user_id: str
        bot_id: str

        def apply(self, aggregate: "ChatRooms") -> None:
            aggregate.open.append(self.chat_id)

    class Deleted(Aggregate.Event):
        """The room and its messages are gone from every read model; their events stay."""

        chat_id: str
        user_id: str
        bot_id: str

        def apply(self, aggregate: "ChatRooms") -> None:
            aggregate.open.remove(self.chat_id)

    @staticmethod
    def create_id(user_id: str, bot_id: str, **_: object) -> UUID:
        return rooms_id(user_id, bot_id)

    @event(Started)
    def __init__(self, user_id: str, bot_id: str, timestamp: datetime) -> None:
        self.user_id, self.bot_id = user_id, bot_id
        self.open: list[str] = []

    def open_room(self, chat_id: str, timestamp: datetime) -> None:
        self.trigger_event(self.Opened, chat_id=chat_id, user_id=self.user_id,
                           bot_id=self.bot_id, timestamp=timestamp)

    def delete_room(self, chat_id: str, timestamp: datetime) -> None:
        self.trigger_event(self.Deleted, chat_id=chat_id, user_id=self.user_id,
                           bot_id=self.bot_id, timestamp=timestamp)


def rooms_id(user_id: str, bot_id: str) -> UUID:
    return named_id("chat-rooms", f"{user_id}:{bot_id}")


@dataclass(frozen=True)
class ChatMessage:
    """A message for a room: `body` counted in UTF-8 bytes, as Botyard (Go's `len`) does."""

    body: str
    attachment_ids: list[str]

    def check(self, max_body: int, max_files: int) -> None:
        if len(self.body.encode()) > max_body:
            raise invalid(f"maximum allowed body length is {max_body} characters")
        if len(self.attachment_ids) > max_files:
            raise invalid(f"maximum number of files allowed is {max_files}")


class ChatCommands(MessagingCommands):
    clock: Clock
    ids: Ids

    def open_chat(self, unit: Unit, user_id: AccountId, bot_id: AccountId) -> str:
        bot = unit.get(aggregate_id(bot_id))
        if not isinstance(bot, Bot) or bot.deleted:
            raise not_found(BOT_NOT_FOUND)
        rooms = self._rooms(unit, user_id, bot_id)
        if rooms is None:
            rooms = ChatRooms(user_id=user_id, bot_id=bot_id, timestamp=self.clock())
            unit.add(rooms)
        if len(rooms.open) >= MAX_ROOMS:
            raise invalid(TOO_MANY_ROOMS)
        chat_id = self.ids.ulid()
        rooms.open_room(chat_id, timestamp=self.clock())
        return chat_id

    def delete_chat(self, unit: Unit, user_id: AccountId, bot_id: AccountId,
                    chat_id: str) -> None:
        rooms = self._rooms(unit, user_id, bot_id)
        if rooms is None or chat_id not in rooms.open:
            raise not_found(CHAT_NOT_FOUND)
        rooms.delete_room(chat_id, timestamp=self.clock())

    def send_in_chat(self, unit: Unit, sender_id: AccountId, user_id: AccountId,
                     bot_id: AccountId, chat_id: str, message: ChatMessage, max_body: int,
                     max_files: int, after_ms: int = 0) -> Sent:
        """From the room's user to its bot's address, or back: only into a room still open,
        with a bot not deleted. Its time is after `after_ms` (the room's last message): a
        reply in the same millisecond would escape the web client's strict `since` poll."""
        message.check(max_body, max_files)
        rooms = self._rooms(unit, user_id, bot_id)
        if rooms is None or chat_id not in rooms.open:
            raise not_found(CHAT_NOT_FOUND)
        bot = unit.get(aggregate_id(bot_id))
        if not isinstance(bot, Bot) or bot.deleted:
            raise not_found(BOT_NOT_FOUND)
        user = unit.get(aggregate_id(user_id)) if sender_id == bot_id else None
        to = user.fingerprint if isinstance(user, User) else bot.fingerprint
        content: dict[str, Any] = {"text": message.body}
        if message.attachment_ids:
            content["attachments"] = message.attachment_ids
        now = self.clock()
        if millis(now) <= after_ms:
            now = from_millis(after_ms + 1)
        return self.send_message(unit, sender_id, to, content, False, chat=chat_id, at=now)

    @staticmethod
    def _rooms(unit: Unit, user_id: str, bot_id: str) -> ChatRooms | None:
        rooms = unit.get(rooms_id(user_id, bot_id))
        return rooms if isinstance(rooms, ChatRooms) else None
