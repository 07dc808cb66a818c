"""A message is its own aggregate, so sending one never loads a long history.

Later events are triggered directly and apply themselves (`trigger_event`): the library's
`@event` method decorator costs a fifth of a writer command in argument handling."""
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Message(Aggregate):
    class Sent(Aggregate.Created):
        """`to` is the recipient's address (a fingerprint); it may name nobody yet, as in
        featherChat, whose queue waits for whoever registers that fingerprint. `delivered`
        records whether the recipient had a live socket when the command ran: the message is
        then pushed there and held, unseen by inbox reads, until the client acknowledges it.
        `chat` (v2) names the conversation when the two may have several (a Botyard chat
        room's ULID); "" for the one private chat of two accounts."""

        class_version = 2
        sender_id: str
        to: str
        content: dict[str, Any]
        delivered: bool
        chat: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["chat"] = ""

    class Received(Aggregate.Event):
        """The recipient's client acknowledged the live push: the message is theirs."""

        to: str

        def apply(self, aggregate: "Message") -> None:
            aggregate.received = True

    class DeliveryFailed(Aggregate.Event):
        """The live push was not acknowledged (the socket closed or stopped answering, or the
        server restarted in between), so the message waits in the recipient's queue instead,
        under its original update id: an acknowledged send is never lost."""

        to: str
        reason: str

        def apply(self, aggregate: "Message") -> None:
            aggregate.delivered = False

    class Edited(Aggregate.Event):
        """New content (its `edit_date` inside); the recipient is told in their inbox."""

        to: str
        content: dict[str, Any]

        def apply(self, aggregate: "Message") -> None:
            aggregate.content = self.content

    class Deleted(Aggregate.Event):
        """Gone for both sides; the recipient is told in their inbox if it had reached them,
        and the sender (v2: `sender`, their address) when someone else deleted it: a bot
        deleting a user's message in their private chat, as Telegram lets it."""

        class_version = 2
        to: str
        by: str
        sender: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["sender"] = ""

        @property
        def told(self) -> tuple[str, ...]:
            """Whose inboxes may hear of it."""
            return tuple(address for address in (self.to, self.sender) if address)

        def apply(self, aggregate: "Message") -> None:
            aggregate.deleted = True

    @event(Sent)
    def __init__(
        self, id: UUID, sender_id: str, to: str, content: dict[str, Any],
        delivered: bool, timestamp: datetime, chat: str = "",
    ) -> None:
        self.sender_id, self.to, self.content, self.delivered = sender_id, to, content, delivered
        self.chat = chat
        self.received = False
        self.deleted = False

    @property
    def in_flight(self) -> bool:
        """Pushed live and neither acknowledged nor returned to the queue yet."""
        return self.delivered and not self.received

    def acknowledge(self, timestamp: datetime) -> bool:
        """Only a message in flight can be received; a repeated ack records nothing."""
        if not self.in_flight:
            return False
        self.trigger_event(self.Received, to=self.to, timestamp=timestamp)
        return True

    def fail_delivery(self, reason: str, timestamp: datetime) -> bool:
        """Only a message in flight can fail; a second report changes nothing."""
        if not self.in_flight:
            return False
        self.trigger_event(self.DeliveryFailed, to=self.to, reason=reason, timestamp=timestamp)
        return True

    def edit(self, content: dict[str, Any], timestamp: datetime) -> None:
        self.trigger_event(self.Edited, to=self.to, content=content, timestamp=timestamp)

    def delete(self, by: str, timestamp: datetime, sender: str = "") -> None:
        self.trigger_event(self.Deleted, to=self.to, by=by, sender=sender, timestamp=timestamp)
