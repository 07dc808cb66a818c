"""Users: people who talk to bots. featherChat users are known by their key fingerprint."""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import AccountId, aggregate_id


class User(Aggregate):
    class Registered(Aggregate.Created):
        user_id: AccountId
        number: int
        name: str
        fingerprint: str
        token_hash: str

    @staticmethod
    def create_id(user_id: AccountId, **_: object) -> UUID:
        return aggregate_id(user_id)

    @event(Registered)
    def __init__(
        self, user_id: AccountId, number: int, name: str, fingerprint: str, token_hash: str,
        timestamp: datetime,
    ) -> None:
        self.user_id, self.number, self.name = user_id, number, name
        self.fingerprint, self.token_hash = fingerprint, token_hash
