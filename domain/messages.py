"""A message is its own aggregate, so sending one never loads a long history."""
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Message(Aggregate):
    class Sent(Aggregate.Created):
        """`to` is the recipient's address (a fingerprint); it may name nobody yet, as in
        featherChat, whose queue waits for whoever registers that fingerprint. `delivered`
        records whether the recipient had a live socket when the command ran."""

        sender_id: str
        to: str
        content: dict[str, Any]
        delivered: bool

    class DeliveryFailed(Aggregate.Event):
        """The live push never reached the recipient (their socket closed in between), so the
        message waits in their queue instead: an acknowledged message is never lost."""

        to: str
        reason: str

    @event(Sent)
    def __init__(
        self, id: UUID, sender_id: str, to: str, content: dict[str, Any],
        delivered: bool, timestamp: datetime,
    ) -> None:
        self.sender_id, self.to, self.content, self.delivered = sender_id, to, content, delivered

    def fail_delivery(self, reason: str, timestamp: datetime) -> bool:
        """Only a message recorded as delivered live can fail; a second report changes nothing."""
        if not self.delivered:
            return False
        self._fail_delivery(self.to, reason, timestamp)
        return True

    @event(DeliveryFailed)
    def _fail_delivery(self, to: str, reason: str, timestamp: datetime) -> None:
        self.delivered = False
