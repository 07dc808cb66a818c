"""Messaging commands: messages sent, pushed, received or given back, and update queues
read. Each validates first, then records events in the writer's Unit."""
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.clock import Clock
from domain.errors import not_found
from domain.ids import AccountId, Ids
from domain.messages import Message
from domain.unit import Unit
from domain.updates import UpdateQueue, queue_id


@dataclass(frozen=True)
class Sent:
    message_id: UUID
    date: int


class MessagingCommands:
    clock: Clock
    ids: Ids

    def send_message(self, unit: Unit, sender_id: AccountId, to: str, content: dict[str, Any],
                     delivered: bool) -> Sent:
        now, message_id = self.clock(), self.ids.ulid_uuid()
        # The library's own constructor path, without re-binding arguments (Message(...) does)
        unit.add(Message._create(Message.Sent, id=message_id, sender_id=sender_id, to=to,
                                 content=content, delivered=delivered, timestamp=now))
        return Sent(message_id, int(now.timestamp()))

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

