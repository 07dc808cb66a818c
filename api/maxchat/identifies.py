"""How often one account may IDENTIFY (research-compat §5: 1,000 a day). Each IDENTIFY writes
a session to the log, so a bot stuck reconnecting would grow the log without end. Counted in
memory per account over a sliding day: a restart forgets, as it only has to bound a loop.
An account with nothing left in the day is forgotten (swept once an hour), so the accounts
ever seen do not each keep an entry for good."""
import time
from collections.abc import Callable

from api.windows import Windows

DAY = 86_400.0
SWEEP_EVERY = 3_600.0


class Identifies:
    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.clock = limit, clock
        self._times = Windows(DAY, clock(), sweep_every=SWEEP_EVERY)

    def allow(self, account_id: str) -> bool:
        """Whether this IDENTIFY may go (and counts it)."""
        now = self.clock()
        if len(self._times.recent(account_id, now)) >= self.limit:
            return False
        self._times.add(account_id, now)
        return True

    def __len__(self) -> int:
        return len(self._times)
