"""Who is calling, and whom a Telegram chat id names, without a database query per request:
accounts resolved once from the directory (by token hash, by number), then held in memory
until an event of that account arrives.

Every batch the projector applies passes through `forget` (from `Runtime.on_applied`, before
any request of that batch is answered), so a reset or a revoked token is refused from the
very next request on, and a token issued in one batch is found in the next (a miss reads
the directory). Unknown keys are never held, so guessing cannot fill the memory; the held
ones are bounded, oldest out first.
"""
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from sqlite_utils import Database

from domain.bots import Bot
from domain.ids import ulid_of
from domain.users import User
from projections import directory

Key = tuple[str, Hashable]  # (what names the account, its value)


class Callers:
    def __init__(self, db: Database, limit: int = 20_000) -> None:
        self.db, self.limit = db, limit
        self._held: dict[Key, dict] = {}
        self._keys_of: dict[str, set[Key]] = {}

    def by_token_hash(self, token_hash: str) -> dict | None:
        return self._get(("token", token_hash), directory.account_by_token_hash)

    def by_number(self, number: int) -> dict | None:
        """The account whose Telegram id this is (a private chat's id is its user's)."""
        return self._get(("number", number), directory.account_by_number)

    def forget(self, events: Iterable[object]) -> None:
        """An account whose events just applied is read again on its next request."""
        for event in events:
            if isinstance(event, (Bot.Event, User.Event)):
                for key in self._keys_of.pop(ulid_of(event.originator_id), ()):
                    self._held.pop(key, None)

    def _get(self, key: Key, read: Callable[[Database, Any], dict | None]) -> dict | None:
        account = self._held.get(key)
        if account is None:
            account = read(self.db, key[1])
            if account is not None:
                self._hold(key, account)
        return account

    def _hold(self, key: Key, account: dict) -> None:
        if len(self._held) >= self.limit:
            oldest = next(iter(self._held))
            held = self._held.pop(oldest)
            self._keys_of.get(held["id"], set()).discard(oldest)
        self._held[key] = account
        self._keys_of.setdefault(account["id"], set()).add(key)
