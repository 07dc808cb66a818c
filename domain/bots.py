"""Bots: one registry for every dialect. A bot is an account with `is_bot`."""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import AccountId, aggregate_id

DEFAULT_SCOPE = '{"type":"default"}'


class Bot(Aggregate):
    class Registered(Aggregate.Created):
        """`description` arrived in v2, `avatar` (a URL) in v3, both for Botyard bots; older
        events are upcast."""

        class_version = 3
        bot_id: AccountId
        number: int
        name: str
        fingerprint: str
        description: str
        avatar: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["description"] = ""

        @staticmethod
        def upcast_v2_v3(state: dict) -> None:
            state["avatar"] = ""

    class TokenIssued(Aggregate.Event):
        """`scheme` names the token form: `feather` (<fp16>:<hex>), `api` (<number>:<secret>)
        or `botyard` (<bot id>:<26 letters and digits>). Only the hash is kept. A Botyard key
        can be shown again (its admin API does), so it is derived from the server's key
        secret and this event's `salt` (v2; "" for a token shown once) instead of stored."""

        class_version = 2
        scheme: str
        token_hash: str
        salt: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["salt"] = ""

    class TokenReset(TokenIssued):
        pass

    class Deleted(Aggregate.Event):
        """Gone from every dialect: every token revoked, its commands, profile and webhook
        removed (their own events ride along), its name free again. `address` is the queue
        that goes with it."""

        address: str

        def apply(self, aggregate: "Bot") -> None:
            aggregate.deleted, aggregate.token_hashes = True, {}

    @staticmethod
    def create_id(bot_id: AccountId, **_: object) -> UUID:
        return aggregate_id(bot_id)

    @event(Registered)
    def __init__(
        self, bot_id: AccountId, number: int, name: str, fingerprint: str, description: str,
        timestamp: datetime, avatar: str = "",
    ) -> None:
        self.bot_id, self.number, self.name = bot_id, number, name
        self.fingerprint, self.description, self.avatar = fingerprint, description, avatar
        self.token_hashes: dict[str, str] = {}
        self.allowed_updates: list[str] | None = None
        self.commands: list[dict] = []  # the default menu (every scope and language)
        self.deleted = False
        self.profile: dict[str, str] = {}  # for every language: name, description, avatar...

    @event(TokenIssued)
    def issue_token(self, scheme: str, token_hash: str, timestamp: datetime,
                    salt: str = "") -> None:
        self.token_hashes[scheme] = token_hash

    @event(TokenReset)
    def reset_token(self, scheme: str, token_hash: str, timestamp: datetime,
                    salt: str = "") -> None:
        self.token_hashes[scheme] = token_hash

    @property
    def shown_name(self) -> str:
        """The name it goes by now: its own choice, else the one it was registered with."""
        return self.profile.get("name") or self.name

    def delete(self, timestamp: datetime) -> None:
        self.trigger_event(self.Deleted, address=self.fingerprint, timestamp=timestamp)

    class CommandsSet(Aggregate.Event):
        """The command list shown for one scope and language; an empty list deletes it."""

        scope: str  # the BotCommandScope as canonical JSON ({"type": "default"}, ...)
        language_code: str
        commands: list[dict]

        def apply(self, aggregate: "Bot") -> None:
            if self.scope == DEFAULT_SCOPE and not self.language_code:
                aggregate.commands = self.commands

    class ProfileChanged(Aggregate.Event):
        """`field` is `name`, `description` or `short_description`, for one language
        ("" for every language without a value of its own); "" as value removes it."""

        field: str
        language_code: str
        value: str

        def apply(self, aggregate: "Bot") -> None:
            if not self.language_code:
                aggregate.profile[self.field] = self.value

    class PresenceSet(Aggregate.Event):
        """MaxChat's presence: online, idle, dnd or invisible, and an activity."""

        status: str
        activity: str

    def set_presence(self, status: str, activity: str, timestamp: datetime) -> None:
        self.trigger_event(self.PresenceSet, status=status, activity=activity,
                           timestamp=timestamp)

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
