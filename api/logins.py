"""Password guessing, slowed: past `failures` failed logins within `window` seconds a
username is refused until its oldest failure in the window ages out, and so is a client
address past ten times as many. Checked before any password is hashed, so a refusal costs
no argon2. Kept in memory, per process: a restart forgets, and each node of a cluster
counts its own, which still bounds guessing to a few tries a minute per username and node."""
import math
import time
from collections.abc import Callable

from api.windows import Windows

PER_ADDRESS = 10  # an address may fail ten times a username's count: NAT and proxies share one


class LoginThrottle:
    """Failure times per username and per address; `failures` 0 turns it off."""

    def __init__(self, failures: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.failures, self.window, self.clock = failures, window, clock
        self._failed = Windows(window, clock())  # key → times of failures

    def attempt(self, username: str, address: str) -> int | None:
        """None when this attempt may go on, counted as failed until `succeeded` (so guesses
        sent at once cannot all pass before the first one fails); else the seconds to wait."""
        if not self.failures:
            return None
        now = self.clock()
        keys = ((_user(username), self.failures), (_address(address), self.failures * PER_ADDRESS))
        wait = max(self._wait(key, most, now) for key, most in keys)
        if wait:
            return wait  # a refusal is not counted: the window ends when it said it would
        for key, _ in keys:
            self._failed.add(key, now)
        return None

    def succeeded(self, username: str, address: str) -> None:
        """The right password: the username starts again, the address takes this one back."""
        self._failed.forget(_user(username))
        self._failed.take_back(_address(address))

    def _wait(self, key: str, most: int, now: float) -> int:
        times = self._failed.recent(key, now)
        if len(times) < most:
            return 0
        return max(1, math.ceil(times[-most] + self.window - now))  # when one fewer is left


def _user(username: str) -> str:
    return "user:" + username.lower()  # as accounts are found (projections/apps.login)


def _address(address: str) -> str:
    return "address:" + address
