"""Unique names (aliases, fingerprints, account numbers, Botyard bot names) as tiny
aggregates.

A claim's aggregate id is derived from its name, so the event store's own version check
refuses a second claim of the same name, across writers and nodes alike. Most claims are
forever (an id never names another account); a bot name is released when its bot is deleted
and may be claimed again.
"""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import named_id

ALIAS = "alias"
FINGERPRINT = "fingerprint"
NUMBER = "number"  # an account's integer id: unique in the log, not only in a projection
BOT_NAME = "bot-name"  # a Botyard bot's name, unique among the bots alive


class Claim(Aggregate):
    class Claimed(Aggregate.Created):
        namespace: str
        name: str
        owner_id: str

    @staticmethod
    def create_id(namespace: str, name: str, **_: object) -> UUID:
        return named_id(namespace, name)

    class Released(Aggregate.Event):
        def apply(self, aggregate: "Claim") -> None:
            aggregate.owner_id = ""

    class Reclaimed(Aggregate.Event):
        owner_id: str

        def apply(self, aggregate: "Claim") -> None:
            aggregate.owner_id = self.owner_id

    @event(Claimed)
    def __init__(self, namespace: str, name: str, owner_id: str, timestamp: datetime) -> None:
        self.namespace, self.name, self.owner_id = namespace, name, owner_id

    def release(self, timestamp: datetime) -> None:
        if self.owner_id:
            self.trigger_event(self.Released, timestamp=timestamp)

    def reclaim(self, owner_id: str, timestamp: datetime) -> None:
        self.trigger_event(self.Reclaimed, owner_id=owner_id, timestamp=timestamp)


def claim_id(namespace: str, name: str) -> UUID:
    return named_id(namespace, name)
