"""Test doubles for time and ids, so events, ids and timestamps repeat run after run, and
the writer's part in a command, done by hand."""
import base64
import itertools
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ulid import ULID

START = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class FixedClock:
    """A clock that stands still until the test moves it: `clock.advance(hours=25)`."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Takes `timedelta`'s keywords (days, hours, minutes, seconds, ...)."""
        self.now += timedelta(**delta)
        return self.now


class CountingIds:
    """`domain.ids.Ids` with counters in place of randomness: the n-th value of each kind is
    the same in every run, and each kind's values increase."""

    def __init__(self, start: datetime = START) -> None:
        self._ms = int(start.timestamp() * 1000)
        self._counters: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._last_number = 0

    def _next(self, kind: str) -> int:
        return next(self._counters[kind])

    def ulid(self) -> str:
        """A ULID with a fixed time part and the counter in its random part, lower case like
        `Ids.ulid()`, so ULIDs sort in the order they were made."""
        n = self._next("ulid")
        return str(ULID.from_bytes(self._ms.to_bytes(6, "big") + n.to_bytes(10, "big"))).lower()

    def ulid_uuid(self):
        """`ulid()`'s next value as its aggregate id, like `Ids.ulid_uuid`."""
        return ULID.from_str(self.ulid().upper()).to_uuid()

    def number(self) -> int:
        self._last_number += 1
        return self._last_number

    def observe(self, number: int) -> None:
        """Like `Ids.observe`: later numbers are above `number`."""
        self._last_number = max(self._last_number, number)

    def hex(self, nbytes: int) -> str:
        """`nbytes` bytes as hex, like `secrets.token_hex`: the counter, zero-padded."""
        return (self._next("hex") % (1 << (8 * nbytes))).to_bytes(nbytes, "big").hex()

    def secret(self, nbytes: int = 27) -> str:
        """URL-safe and as long as `secrets.token_urlsafe(nbytes)`: 36 chars for 27 bytes."""
        value = (self._next("secret") % (1 << (8 * nbytes))).to_bytes(nbytes, "big")
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def run(app: Any, command: Callable[[Any], Any]) -> Any:
    """What the writer does for a batch of one: run against a unit, then save it."""
    unit = app.new_unit()
    result = command(unit)
    if unit.aggregates:
        app.save(*unit.aggregates)
    return result
