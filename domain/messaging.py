"""Messaging commands: messages sent, pushed, received or given back, and update queues
read. Each validates first, then records events in the writer's Unit."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.bots import Bot
from domain.callbacks import Callback
from domain.clock import Clock, millis
from domain.errors import invalid, not_found
from domain.ids import AccountId, Ids, aggregate_id
from domain.messages import Message
from domain.unit import Unit
from domain.updates import UpdateQueue, queue_id

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are"
                " exactly the same as a current content and reply markup of the message")


@dataclass(frozen=True)
class Sent:
    message_id: UUID
    date: int  # unix seconds
    millis: int  # unix milliseconds (Botyard's timestamps)


class MessagingCommands:
    clock: Clock
    ids: Ids

    def send_message(self, unit: Unit, sender_id: AccountId, to: str, content: dict[str, Any],
                     delivered: bool, chat: str = "", at: datetime | None = None) -> Sent:
        now, message_id = at or self.clock(), self.ids.ulid_uuid()
        # The library's own constructor path, without re-binding arguments (Message(...) does)
        unit.add(Message._create(Message.Sent, id=message_id, sender_id=sender_id, to=to,
                                 content=content, delivered=delivered, timestamp=now, chat=chat))
        return Sent(message_id, int(now.timestamp()), millis(now))

    def edit_message(self, unit: Unit, message_id: UUID, editor_id: AccountId,
                     content: dict[str, Any]) -> int:
        """Only the sender edits; the same content again is refused (Telegram's rule).
        Returns the edit date (unix seconds), which the new content carries."""
        message = self._message(unit, message_id)
        if message.sender_id != editor_id or message.deleted:
            raise not_found("message to edit not found")
        unchanged = {k: v for k, v in message.content.items() if k != "edit_date"}
        if unchanged == content:
            raise invalid(NOT_MODIFIED)
        now = self.clock()
        edit_date = int(now.timestamp())
        message.edit({**content, "edit_date": edit_date}, timestamp=now)
        return edit_date

    def delete_message(self, unit: Unit, message_id: UUID, by: AccountId) -> None:
        message = self._message(unit, message_id)
        if message.deleted:
            raise not_found("message to delete not found")
        sender = ""
        if message.sender_id != by:  # its sender is told, by the address they read under
            account = unit.get(aggregate_id(AccountId(message.sender_id)))
            sender = getattr(account, "fingerprint", "")
        message.delete(by, timestamp=self.clock(), sender=sender)

    def press_button(self, unit: Unit, user_id: AccountId, user_address: str,
                     message_id: UUID, data: str) -> UUID:
        """A user pressed an inline button of a bot's message addressed to them."""
        message = self._message(unit, message_id)
        if message.to != user_address or message.deleted:
            raise not_found("message not found")
        buttons = (message.content.get("reply_markup") or {}).get("inline_keyboard") or []
        if not any(isinstance(b, dict) and b.get("callback_data") == data
                   for row in buttons if isinstance(row, list) for b in row):
            raise invalid("the message has no button with this callback_data")
        bot = unit.get(aggregate_id(AccountId(message.sender_id)))
        if not isinstance(bot, Bot):
            raise invalid("only a bot's message has buttons to press")
        callback_id = self.ids.ulid_uuid()
        unit.add(Callback(id=callback_id, user_id=user_id, user_address=user_address,
                          bot_address=bot.fingerprint, message_id=str(message_id),
                          data=data, timestamp=self.clock()))
        return callback_id

    def answer_callback(self, unit: Unit, callback_id: UUID, bot_address: str, text: str,
                        show_alert: bool, url: str) -> None:
        callback = unit.get(callback_id)
        if (not isinstance(callback, Callback) or callback.bot_address != bot_address
                or callback.answered):
            raise invalid("query is too old and response timeout expired or query ID is invalid")
        callback.answer(text, show_alert, url, timestamp=self.clock())

    def requeue_message(self, unit: Unit, message_id: UUID, reason: str) -> bool:
        """A live push that was not acknowledged goes back to its recipient's queue."""
        return self._message(unit, message_id).fail_delivery(reason, timestamp=self.clock())

    def acknowledge_message(self, unit: Unit, message_id: UUID, to: str) -> bool:
        """The recipient `to` received a live push; anyone else's ack is refused."""
        message = self._message(unit, message_id)
        if message.to != to:
            raise not_found("message not found")
        return message.acknowledge(timestamp=self.clock())

    def confirm_updates(self, unit: Unit, address: str, up_to: int, via: str,
                        update_ids: list[int] | None = None) -> bool:
        return self._queue(unit, address).confirm(up_to, via, timestamp=self.clock(),
                                                  update_ids=update_ids)

    def return_updates(self, unit: Unit, address: str, updates: list[tuple[int, str]],
                       reason: str) -> bool:
        """Taken updates that never reached the reader go back under their own ids."""
        return self._queue(unit, address).give_back(
            [[update_id, message_id] for update_id, message_id in updates], reason,
            timestamp=self.clock())

    def expire_updates(self, unit: Unit, address: str, older_than: float,
                       not_after: int | None = None) -> bool:
        """Drop what waits in the queue since more than `older_than` seconds (only what was
        queued before `not_after`, unix ms, if given: a long backlog goes in slices)."""
        now = self.clock()
        before = millis(now) - round(older_than * 1000)
        if not_after is not None:
            before = min(before, not_after)
        return self._queue(unit, address).expire(before, timestamp=now)

    def _message(self, unit: Unit, message_id: UUID) -> Message:
        message = unit.get(message_id)
        if not isinstance(message, Message):
            raise not_found("message not found")
        return message

    def _queue(self, unit: Unit, address: str) -> UpdateQueue:
        queue = unit.get(queue_id(address))
        if not isinstance(queue, UpdateQueue):
            queue = UpdateQueue(address=address, timestamp=self.clock())
            unit.add(queue)
        return queue

