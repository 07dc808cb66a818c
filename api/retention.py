"""How long a bot's updates wait: Telegram keeps them 24 hours, then drops them, whether the
bot polls or has a webhook that keeps failing (research-compat §1.3, §1.4). Without it, a
bot that never reads (a Botyard bot with no webhook, a Telegram bot switched off) grows its
queue forever.

A sweep every few minutes (a timer, a query on an index: no polling loop on the hot path)
finds the bots' queues holding an update older than the retention and expires each with a
command, so every drop is an event (`UpdateQueue.UpdatesExpired`, with the cutoff decided
once) and a rebuild drops the same updates. Users' inboxes are not swept: a person's
messages wait for them. On a shared log every node sweeps; a cutoff already recorded
records nothing.
"""
import asyncio
import logging
import time
from functools import partial
from typing import TYPE_CHECKING

from projections import backlog

if TYPE_CHECKING:
    from api.runtime import Runtime

log = logging.getLogger(__name__)
RETENTION = 24 * 3600.0
MOST_BETWEEN_SWEEPS = 300.0  # a dropped update outlives its retention by at most this
SLICE = 5000  # updates expired by one command: a delete of 10-40 ms on the loop (measured)


class Retention:
    def __init__(self, runtime: "Runtime", seconds: float = RETENTION) -> None:
        self.runtime, self.seconds = runtime, seconds  # BOTBUS_UPDATE_RETENTION
        self.slice = SLICE
        self._stopped = False
        self._timer: asyncio.TimerHandle | None = None
        self._sweeping: asyncio.Task | None = None

    @property
    def every(self) -> float:
        return min(MOST_BETWEEN_SWEEPS, max(self.seconds / 4, 0.25))

    def start(self) -> None:
        """Sweeps from now on, unless the retention is 0 (keep every update)."""
        if self.seconds > 0 and not self._stopped:
            self._timer = asyncio.get_running_loop().call_later(self.every, self._due)

    def _due(self) -> None:
        self._sweeping = asyncio.ensure_future(self.sweep())
        self._sweeping.add_done_callback(lambda _: self.start())

    async def sweep(self) -> int:
        """Expire what is older than the retention in every bot's queue: how many queues."""
        runtime = self.runtime
        before = int((time.time() - self.seconds) * 1000)
        stale = backlog.stale_queues(runtime.db, before)
        results = await asyncio.gather(*(self._expire(address, before) for address in stale),
                                       return_exceptions=True)
        for address, result in zip(stale, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("could not expire old updates", extra={
                    "address": address, "error": repr(result)})
        if stale:
            log.info("expired old updates", extra={"queues": len(stale),
                                                   "older_than": self.seconds})
        return len(stale)

    async def _expire(self, address: str, before: int) -> None:
        """In slices of `SLICE` updates, each its own command and projection: a dead bot's
        million stale updates never hold the loop in one long delete."""
        runtime = self.runtime
        while True:
            end = backlog.slice_end(runtime.db, address, before, self.slice)
            await runtime.writer.run(partial(runtime.app.expire_updates, address=address,
                                             older_than=self.seconds, not_after=end))
            if end is None or end >= before:
                return

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        if self._sweeping is not None:
            self._sweeping.cancel()
