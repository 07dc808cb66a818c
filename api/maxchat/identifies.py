"""How often one account may IDENTIFY (research-compat §5: 1,000 a day). Each IDENTIFY writes
a session to the log, so a bot stuck reconnecting would grow the log without end. Counted in
memory per account over a sliding day: a restart forgets, as it only has to bound a loop."""
import time
from collections import deque
from collections.abc import Callable

DAY = 86_400.0


class Identifies:
    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.clock = limit, clock
        self._times: dict[str, deque[float]] = {}

    def allow(self, account_id: str) -> bool:
        """Whether this IDENTIFY may go (and counts it)."""
        now = self.clock()
        times = self._times.setdefault(account_id, deque())
        while times and times[0] <= now - DAY:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True
