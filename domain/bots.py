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
        self.allowed_updates: list[str] | None = None

    @event(TokenIssued)
    def issue_token(self, scheme: str, token_hash: str, timestamp: datetime) -> None:
        self.token_hashes[scheme] = token_hash

    @event(TokenReset)
    def reset_token(self, scheme: str, token_hash: str, timestamp: datetime) -> None:
        self.token_hashes[scheme] = token_hash

    class CommandsSet(Aggregate.Event):
        """The command list shown for one scope and language; an empty list deletes it."""

        scope: str  # the BotCommandScope as canonical JSON ({"type": "default"}, ...)
        language_code: str
        commands: list[dict]

    class ProfileChanged(Aggregate.Event):
        """`field` is `name`, `description` or `short_description`, for one language
        ("" for every language without a value of its own); "" as value removes it."""

        field: str
        language_code: str
        value: str

    class UpdatesFiltered(Aggregate.Event):
        """The update types the bot receives from now on (Telegram's `allowed_updates`): a
        filter applied when an update is created, so what is queued already stays."""

        address: str
        allowed: list[str]

        def apply(self, aggregate: "Bot") -> None:
            aggregate.allowed_updates = self.allowed

    def set_commands(self, scope: str, language_code: str, commands: list[dict],
                     timestamp: datetime) -> None:
        self.trigger_event(self.CommandsSet, scope=scope, language_code=language_code,
                           commands=commands, timestamp=timestamp)

    def change_profile(self, field: str, language_code: str, value: str,
                       timestamp: datetime) -> None:
        self.trigger_event(self.ProfileChanged, field=field, language_code=language_code,
                           value=value, timestamp=timestamp)

    def filter_updates(self, allowed: list[str], timestamp: datetime) -> bool:
        """Records nothing when the filter is the one in force."""
        if allowed == self.allowed_updates:
            return False
        self.trigger_event(self.UpdatesFiltered, address=self.fingerprint, allowed=allowed,
                           timestamp=timestamp)
        return True
