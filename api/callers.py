"""Who is calling, without a database query per request: token hashes resolved once from the
directory, then held in memory until an event of that account arrives.

Every batch the projector applies passes through `forget` (from `Runtime.on_applied`, before
any request of that batch is answered), so a reset or a revoked token is refused from the
very next request on, and a token issued in one batch is found in the next (a miss reads
the directory). Unknown tokens are never held, so guessing cannot fill the memory; the held
ones are bounded, oldest out first.
"""
from collections.abc import Iterable

from sqlite_utils import Database

from domain.bots import Bot
from domain.ids import ulid_of
from domain.users import User
from projections import directory


class Callers:
    def __init__(self, db: Database, limit: int = 20_000) -> None:
        self.db, self.limit = db, limit
        self._by_hash: dict[str, dict] = {}
        self._hashes_of: dict[str, set[str]] = {}

    def by_token_hash(self, token_hash: str) -> dict | None:
        account = self._by_hash.get(token_hash)
        if account is None:
            account = directory.account_by_token_hash(self.db, token_hash)
            if account is not None:
                self._hold(token_hash, account)
        return account

    def forget(self, events: Iterable[object]) -> None:
        """An account whose events just applied is read again on its next request."""
        for event in events:
            if isinstance(event, (Bot.Event, User.Event)):
                for token_hash in self._hashes_of.pop(ulid_of(event.originator_id), ()):
                    self._by_hash.pop(token_hash, None)

    def _hold(self, token_hash: str, account: dict) -> None:
        if len(self._by_hash) >= self.limit:
            oldest = next(iter(self._by_hash))
            held = self._by_hash.pop(oldest)
            self._hashes_of.get(held["id"], set()).discard(oldest)
        self._by_hash[token_hash] = account
        self._hashes_of.setdefault(account["id"], set()).add(token_hash)
