"""The update queue of one address (a bot's getUpdates, a user's inbox).

Queued items are a projection of `Message.Sent`; what the owner has taken is recorded here,
so removal is an event too and a rebuild removes the same items.
"""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import named_id


class UpdateQueue(Aggregate):
    class Opened(Aggregate.Created):
        address: str

    class UpdatesConfirmed(Aggregate.Event):
        """Every update with `update_id <= up_to` is gone. `via` names the reading route."""

        address: str
        up_to: int
        via: str

    @staticmethod
    def create_id(address: str, **_: object) -> UUID:
        return queue_id(address)

    @event(Opened)
    def __init__(self, address: str, timestamp: datetime) -> None:
        self.address, self.confirmed_up_to = address, 0

    def confirm(self, up_to: int, via: str, timestamp: datetime) -> bool:
        """Confirming what is already confirmed records nothing."""
        if up_to <= self.confirmed_up_to:
            return False
        self._confirm(self.address, up_to, via, timestamp)
        return True

    @event(UpdatesConfirmed)
    def _confirm(self, address: str, up_to: int, via: str, timestamp: datetime) -> None:
        self.confirmed_up_to = up_to


def queue_id(address: str) -> UUID:
    return named_id("queue", address)
