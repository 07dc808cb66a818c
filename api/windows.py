"""Times of what a key did, over a sliding window, in memory: the counts behind the login
throttle (api/logins.py) and the gateway's IDENTIFY limit (api/maxchat/identifies.py). A key
with nothing left in the window is forgotten by a sweep, at most once per `sweep_every`, so
the keys ever seen (usernames, addresses, accounts) do not each keep an entry for good."""
from collections import deque
from collections.abc import Iterator


class Windows:
    def __init__(self, window: float, now: float, sweep_every: float | None = None) -> None:
        self.window = window
        self.sweep_every = window if sweep_every is None else sweep_every
        self._times: dict[str, deque[float]] = {}  # key → its times, oldest first
        self._swept = now

    def recent(self, key: str, now: float) -> deque[float]:
        """The key's times still in the window, oldest first (sweeping first, when due)."""
        self._sweep(now)
        times = self._times.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def add(self, key: str, now: float) -> None:
        self._times.setdefault(key, deque()).append(now)

    def forget(self, key: str) -> None:
        self._times.pop(key, None)

    def take_back(self, key: str) -> None:
        """The key's newest time no longer counts."""
        times = self._times.get(key)
        if times:
            times.pop()

    def __len__(self) -> int:
        return len(self._times)

    def __iter__(self) -> Iterator[str]:
        return iter(self._times)

    def _sweep(self, now: float) -> None:
        if now - self._swept < self.sweep_every:
            return
        self._swept = now
        for key in [key for key, times in self._times.items()
                    if not times or times[-1] <= now - self.window]:
            del self._times[key]
