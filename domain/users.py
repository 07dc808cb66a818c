"""Users: people who talk to bots. featherChat users are known by their key fingerprint,
Botyard's by a cookie, MaxChat's by a username and password with bearer sessions."""
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
        self.password_hash = ""
        self.profile: dict[str, str] = {}

    class PasswordSet(Aggregate.Event):
        """A password hash (argon2, made by the caller: hashing is slow and never runs in the
        writer); MaxChat's humans sign in with it and `username` (any case)."""

        username: str
        password_hash: str

        def apply(self, aggregate: "User") -> None:
            aggregate.password_hash = self.password_hash

    class SessionOpened(Aggregate.Event):
        """A sign-in: one more bearer token, kept as its sha256."""

        token_hash: str

    class SessionClosed(Aggregate.Event):
        token_hash: str

    class ProfileChanged(Aggregate.Event):
        """`field` is `username`, `avatarUrl` or `bio`."""

        field: str
        value: str

        def apply(self, aggregate: "User") -> None:
            aggregate.profile[self.field] = self.value

    class PresenceSet(Aggregate.Event):
        status: str
        activity: str

    def set_password(self, username: str, password_hash: str, timestamp: datetime) -> None:
        self.trigger_event(self.PasswordSet, username=username, password_hash=password_hash,
                           timestamp=timestamp)

    def open_session(self, token_hash: str, timestamp: datetime) -> None:
        self.trigger_event(self.SessionOpened, token_hash=token_hash, timestamp=timestamp)

    def close_session(self, token_hash: str, timestamp: datetime) -> None:
        self.trigger_event(self.SessionClosed, token_hash=token_hash, timestamp=timestamp)

    def change_profile(self, field: str, value: str, timestamp: datetime) -> None:
        self.trigger_event(self.ProfileChanged, field=field, value=value, timestamp=timestamp)

    def set_presence(self, status: str, activity: str, timestamp: datetime) -> None:
        self.trigger_event(self.PresenceSet, status=status, activity=activity,
                           timestamp=timestamp)
