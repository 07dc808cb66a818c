"""The update queue of one address (a bot's getUpdates, a user's inbox).

Queued items are a projection of `Message.Sent`; what the owner has taken is recorded here,
so removal is an event too and a rebuild removes the same items.
"""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import conflict
from domain.ids import named_id

ALREADY_TAKEN = "these updates were handed to another reader"
TAKEN_KEPT = 1000  # the ids last handed out by name: far more than a stale read model lags


class UpdateQueue(Aggregate):
    class Opened(Aggregate.Created):
        address: str

    class UpdatesConfirmed(Aggregate.Event):
        """The updates `update_ids` are gone (v1's delete-on-read names exactly what it
        returned); with no ids, every update with `update_id <= up_to` is (an `offset`).
        `via` names the reading route. v1 events carried no ids."""

        class_version = 2
        address: str
        up_to: int
        via: str
        update_ids: list[int]

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["update_ids"] = []

        def apply(self, aggregate: "UpdateQueue") -> None:
            if not self.update_ids:
                aggregate.confirmed_up_to = max(aggregate.confirmed_up_to, self.up_to)
            else:
                aggregate.taken = (*aggregate.handed_out(), *self.update_ids)[-TAKEN_KEPT:]

    class UpdatesReturned(Aggregate.Event):
        """Taken updates whose answer never reached the reader (the connection closed before
        it was written) are back in the queue, each under its original update id."""

        address: str
        updates: list[list]  # [update_id, message_id]
        reason: str

        def apply(self, aggregate: "UpdateQueue") -> None:
            back = {update_id for update_id, _ in self.updates}
            aggregate.taken = tuple(i for i in aggregate.handed_out() if i not in back)

    class UpdatesExpired(Aggregate.Event):
        """Every update queued before `before` (unix ms) that no socket holds is gone: kept
        at most the server's retention, as Telegram keeps them 24 hours. The cutoff is
        decided once, here, so a rebuild drops the same updates."""

        address: str
        before: int

        def apply(self, aggregate: "UpdateQueue") -> None:
            aggregate.expired_before = self.before

    @staticmethod
    def create_id(address: str, **_: object) -> UUID:
        return queue_id(address)

    @event(Opened)
    def __init__(self, address: str, timestamp: datetime) -> None:
        self.address, self.confirmed_up_to = address, 0
        self.taken: tuple[int, ...] = ()
        self.expired_before = 0  # unix ms

    def handed_out(self) -> tuple[int, ...]:
        """The ids last taken by name (a snapshot from before they were kept has none)."""
        return tuple(getattr(self, "taken", ()))

    def confirm(self, up_to: int, via: str, timestamp: datetime,
                update_ids: list[int] | None = None) -> bool:
        """Confirming up to what is already confirmed records nothing. Named ids (delete-on-read
        hands out what it names) are refused if another reader took one already: with nodes
        on a shared log, whichever records first wins, whatever each node's read models said."""
        if not update_ids and up_to <= self.confirmed_up_to:
            return False
        if update_ids and not set(update_ids).isdisjoint(self.handed_out()):
            raise conflict(ALREADY_TAKEN)
        self.trigger_event(self.UpdatesConfirmed, address=self.address, up_to=up_to, via=via,
                           update_ids=list(update_ids or ()), timestamp=timestamp)
        return True

    def expire(self, before: int, timestamp: datetime) -> bool:
        """Records nothing if this cutoff (or a later one) was recorded already."""
        if before <= getattr(self, "expired_before", 0):  # a snapshot from before it had one
            return False
        self.trigger_event(self.UpdatesExpired, address=self.address, before=before,
                           timestamp=timestamp)
        return True

    def give_back(self, updates: list[list], reason: str, timestamp: datetime) -> bool:
        if not updates:
            return False
        self.trigger_event(self.UpdatesReturned, address=self.address, updates=updates,
                           reason=reason, timestamp=timestamp)
        return True


def queue_id(address: str) -> UUID:
    return named_id("queue", address)
