"""Bots: one registry for every dialect. A bot is an account with `is_bot`."""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import AccountId, aggregate_id


class Bot(Aggregate):
    class Registered(Aggregate.Created):
        """`description` arrived in v2 (Botyard bots carry one); v1 events are upcast."""

        class_version = 2
        bot_id: AccountId
        number: int
        name: str
        fingerprint: str
        description: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["description"] = ""

    class TokenIssued(Aggregate.Event):
        """`scheme` names the token form: `feather` (<fp16>:<hex>) or `api` (<number>:<secret>)."""

        scheme: str
        token_hash: str

    class TokenReset(Aggregate.Event):
        scheme: str
        token_hash: str

    @staticmethod
    def create_id(bot_id: AccountId, **_: object) -> UUID:
        return aggregate_id(bot_id)

    @event(Registered)
    def __init__(
        self, bot_id: AccountId, number: int, name: str, fingerprint: str, description: str,
        timestamp: datetime,
    ) -> None:
        self.bot_id, self.number, self.name = bot_id, number, name
        self.fingerprint, self.description = fingerprint, description
        self.token_hashes: dict[str, str] = {}

    @event(TokenIssued)
    def issue_token(self, scheme: str, token_hash: str, timestamp: datetime) -> None:
        self.token_hashes[scheme] = token_hash

    @event(TokenReset)
    def reset_token(self, scheme: str, token_hash: str, timestamp: datetime) -> None:
        self.token_hashes[scheme] = token_hash
