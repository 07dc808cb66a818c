"""Sending rate limits per bot and per chat (telegram.md decision 9): off unless configured.
One-second windows: a call over the limit learns how many seconds until the window turns."""
import math
import time
from collections.abc import Callable

from api.logins import LoginThrottle


class RateLimits:
    """The runtime's limits: sending, here, and `logins`, MaxChat's failed-login throttle
    (api/logins.py; off unless given: the runtime gives it from the BOTBUS_LOGIN_* settings)."""

    def __init__(self, per_bot: int = 0, per_chat: int = 0,
                 clock: Callable[[], float] = time.monotonic,
                 logins: LoginThrottle | None = None) -> None:
        self.per_bot, self.per_chat, self.clock = per_bot, per_chat, clock
        self.logins = logins if logins is not None else LoginThrottle(0, 0)
        self.on = bool(per_bot or per_chat)  # the hot path's one check while unconfigured
        self._window = -1
        self._counts: dict[tuple[str, str], int] = {}

    def retry_after(self, bot: str, chat: str) -> int | None:
        """None when this send may go (and counts it); else the seconds to wait."""
        if not self.on:
            return None
        now = self.clock()
        window = math.floor(now)
        if window != self._window:  # a new second: every count starts again
            self._window, self._counts = window, {}
        keys = [(key, limit) for key, limit in ((("bot", bot), self.per_bot),
                                                (("chat", f"{bot}/{chat}"), self.per_chat))
                if limit]
        if any(self._counts.get(key, 0) >= limit for key, limit in keys):
            return max(1, math.ceil(window + 1 - now))
        for key, _ in keys:
            self._counts[key] = self._counts.get(key, 0) + 1
        return None
