"""Unique names (aliases, fingerprints, account numbers) as tiny aggregates.

A claim's aggregate id is derived from its name, so the event store's own version check
refuses a second claim of the same name, across writers and nodes alike.
"""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import named_id

ALIAS = "alias"
FINGERPRINT = "fingerprint"
NUMBER = "number"  # an account's integer id: unique in the log, not only in a projection


class Claim(Aggregate):
    class Claimed(Aggregate.Created):
        namespace: str
        name: str
        owner_id: str

    @staticmethod
    def create_id(namespace: str, name: str, **_: object) -> UUID:
        return named_id(namespace, name)

    @event(Claimed)
    def __init__(self, namespace: str, name: str, owner_id: str, timestamp: datetime) -> None:
        self.namespace, self.name, self.owner_id = namespace, name, owner_id


def claim_id(namespace: str, name: str) -> UUID:
    return named_id(namespace, name)
