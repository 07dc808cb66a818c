"""How often one account may IDENTIFY (research-compat §5: 1,000 a day). Each IDENTIFY writes
a session to the log, so a bot stuck reconnecting would grow the log without end. Counted in
memory per account over a sliding day: a restart forgets, as it only has to bound a loop.
An account with nothing left in the day is forgotten (swept once an hour), so the accounts
ever seen do not each keep an entry for good."""
import time
from collections import deque
from collections.abc import Callable

DAY = 86_400.0
SWEEP_EVERY = 3_600.0


class Identifies:
    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.clock = limit, clock
        self._times: dict[str, deque[float]] = {}
        self._swept = clock()

    def allow(self, account_id: str) -> bool:
        """Whether this IDENTIFY may go (and counts it)."""
        now = self.clock()
        self._sweep(now)
        times = self._times.setdefault(account_id, deque())
        while times and times[0] <= now - DAY:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def __len__(self) -> int:
        return len(self._times)

    def _sweep(self, now: float) -> None:
        if now - self._swept < SWEEP_EVERY:
            return
        self._swept = now
        for account_id in [account_id for account_id, times in self._times.items()
                           if not times or times[-1] <= now - DAY]:
            del self._times[account_id]
