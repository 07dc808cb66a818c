"""MaxChat's humans: accounts of the one user registry with a username (unique ignoring
case, claimed in the log), an argon2 password hash and revocable bearer sessions; presence for
humans and bots; and gateway sessions, whose dispatch stream the log alone can replay."""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.accounts import AccountCommands
from domain.bots import Bot
from domain.claims import Claim, claim_id
from domain.errors import conflict, invalid, not_found
from domain.ids import aggregate_id, named_id
from domain.tokens import hash_token
from domain.unit import Unit
from domain.users import User

USERNAME = "username"  # claims: a MaxChat username, unique ignoring case
USERNAME_TAKEN = "username already taken"


class GatewaySession(Aggregate):
    """A gateway session, opened by IDENTIFY: RESUME names it, also after a restart."""

    class Opened(Aggregate.Created):
        session_id: str
        account_id: str

    @staticmethod
    def create_id(session_id: str, **_: object) -> UUID:
        return named_id("gateway-session", session_id)

    class Ended(Aggregate.Event):
        """The client closed it with 1000 or 1001: it will not resume (research-compat §5)."""

        session_id: str
        code: int

    @event(Opened)
    def __init__(self, session_id: str, account_id: str, timestamp: datetime) -> None:
        self.session_id, self.account_id = session_id, account_id

    def end(self, code: int, timestamp: datetime) -> None:
        self.trigger_event(self.Ended, session_id=self.session_id, code=code,
                           timestamp=timestamp)


class HumanCommands(AccountCommands):
    def register_human(self, unit: Unit, username: str, password_hash: str) -> tuple[str, str]:
        """A MaxChat account; returns (user id, its first bearer token)."""
        if unit.exists(claim_id(USERNAME, username.lower())):
            raise conflict(USERNAME_TAKEN)
        registered = self.register_user(unit, self.ids.hex(32), name=username)
        now = self.clock()
        unit.add(Claim(namespace=USERNAME, name=username.lower(), owner_id=registered.user_id,
                       timestamp=now))
        user = self._user(unit, registered.user_id)
        user.set_password(username, password_hash, timestamp=now)
        return registered.user_id, self.open_session(unit, registered.user_id)

    def open_session(self, unit: Unit, user_id: str) -> str:
        token = "mut_" + self.ids.secret()
        self._user(unit, user_id).open_session(hash_token(token), timestamp=self.clock())
        return token

    def close_session(self, unit: Unit, user_id: str, token_hash: str) -> None:
        self._user(unit, user_id).close_session(token_hash, timestamp=self.clock())

    def open_gateway_session(self, unit: Unit, account_id: str) -> str:
        session_id = self.ids.hex(16)
        unit.add(GatewaySession(session_id=session_id, account_id=account_id,
                                timestamp=self.clock()))
        return session_id

    def end_gateway_session(self, unit: Unit, session_id: str, code: int) -> None:
        session = unit.get(GatewaySession.create_id(session_id))
        if isinstance(session, GatewaySession):
            session.end(code, timestamp=self.clock())

    def set_presence(self, unit: Unit, account_id: str, status: str, activity: str) -> None:
        if status not in ("online", "idle", "dnd", "invisible"):
            raise invalid("status must be online, idle, dnd or invisible")
        if len(activity) > 128:
            raise invalid("activity must be at most 128 characters")
        account = unit.get(aggregate_id(account_id))
        if not isinstance(account, (User, Bot)):
            raise not_found("user not found")
        account.set_presence(status, activity, timestamp=self.clock())

    @staticmethod
    def _user(unit: Unit, user_id: str) -> User:
        user = unit.get(aggregate_id(user_id))
        if not isinstance(user, User):
            raise not_found("user not found")
        return user
