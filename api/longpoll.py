"""Long-poll waiters, woken by the projector's batches (push, never sleep-polling), and the
updates a read holds until its confirmation lands."""
import asyncio
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from domain.callbacks import Callback
from domain.messages import Message
from domain.updates import UpdateQueue

log = logging.getLogger(__name__)


class Watch:
    """A parked poll's wake-up; `ended` once newer polls of its queue crowded it out.

    Not an asyncio.Event: awaited under `wait_for`, its wait ran as a task of its own, so a
    woken poll resumed two turns of the loop after the request whose append woke it, and
    answered after that request (measured: 140 µs of each echo round trip at one user). A
    poll woken here resumes on the next turn, ahead of the requests answered after it."""
    ended = False

    def __init__(self) -> None:
        self._set = False
        self._waiter: asyncio.Future[bool] | None = None
        self.reader: Callable[[], Any] | None = None  # the poll's read, made ahead (prepare)
        self._prepared: tuple[int, Any] | None = None  # made while a batch was appended
        self._ready: tuple[int, Any] | None = None  # ... and that batch is applied

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(True)

    def clear(self, position: int = 0) -> Any:
        """Clears the wake-up; returns the read made ahead for the batch that woke the poll
        if nothing was applied since (the projector is still at `position`), else None."""
        self._set = False
        ready, self._ready = self._ready, None
        return ready[1] if ready is not None and ready[0] == position else None

    async def wait(self, seconds: float) -> bool:
        """Whether it was set within `seconds`."""
        if self._set:
            return True
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        timer = loop.call_later(seconds, _expire, waiter)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiter = None


def _expire(waiter: "asyncio.Future[bool]") -> None:
    if not waiter.done():
        waiter.set_result(False)


class Waiters:
    def __init__(self) -> None:
        self._waiting: dict[str, dict[Watch, None]] = defaultdict(dict)  # oldest first

    @contextmanager
    def watch(self, address: str, most: int = 0) -> Iterator[Watch]:
        """Register before reading the queue, so an append in between is not missed. With
        `most`, a queue holds at most that many polls: a newer one ends the oldest, so a
        client that leaks polls (never awaiting one before the next) cannot pile them up."""
        event, waiting = Watch(), self._waiting[address]
        while most and len(waiting) >= most:
            oldest = next(iter(waiting))
            del waiting[oldest]
            oldest.ended = True
            oldest.set()
        waiting[event] = None
        try:
            yield event
        finally:
            still = self._waiting.get(address)
            if still is not None:
                still.pop(event, None)
                if not still:
                    del self._waiting[address]

    def wake_all(self) -> None:
        """The server is stopping: every parked poll answers now."""
        self.wake(list(self._waiting))

    def prepare(self, addresses: Iterable[str], position: int) -> None:
        """While the batch ending at `position` is appended, its polls make their reads
        (through the projector's connection, which has the batch staged): the loop waits
        for the append anyway, and the polls it wakes then answer sooner. Made, not used:
        `wake(..., prepared=True)` hands them over once that very batch is applied."""
        for address in addresses:
            for event in self._waiting.get(address, ()):
                if event.reader is not None:
                    try:
                        event._prepared = (position, event.reader())
                    except Exception:  # noqa: BLE001 - the poll reads again once woken
                        log.exception("a poll's read ahead failed", extra={"address": address})

    def wake(self, addresses: Iterable[str], prepared: bool = False) -> None:
        for address in addresses:
            for event in self._waiting.get(address, ()):
                event._ready, event._prepared = event._prepared if prepared else None, None
                event.set()


class Polls:
    """One long poll per queue, as Telegram allows: a newer poll ends the older one (which
    answers 409), so two bot instances never share one queue's updates unnoticed. On a shared
    log, a poll is `announce`d to the other nodes, which end their older one for it."""

    def __init__(self, announce: Callable[[str, float], object] | None = None) -> None:
        self._current: dict[str, Poll] = {}
        self._refused: dict[str, float] = {}  # address → when its last poll was refused
        self.announce = announce

    async def refuse(self, address: str, every: float = 3.0) -> None:
        """Before a poll is refused with 409 (a webhook is set): at most one refusal per
        `every` seconds per queue, the rest held back till then, as the reference server
        does, so a bot that keeps polling without deleting its webhook (a common library
        loop) is slowed down instead of spinning."""
        loop = asyncio.get_running_loop()
        last = self._refused.get(address)
        if last is not None and loop.time() - last < every:
            await asyncio.sleep(last + every - loop.time())
        self._refused[address] = loop.time()

    @contextmanager
    def start(self, address: str, woken: Watch) -> Iterator["Poll"]:
        self.started_elsewhere(address, math.inf)
        poll = self._current[address] = Poll(woken)
        if self.announce is not None:
            self.announce(address, poll.started)
        try:
            yield poll
        finally:
            if self._current.get(address) is poll:
                del self._current[address]

    def started_elsewhere(self, address: str, started: float) -> None:
        """A poll of this queue started at `started` (another node's clock): an older one here
        answers 409."""
        older = self._current.get(address)
        if older is not None and older.started < started:
            older.superseded = True
            older.woken.set()


class Poll:
    def __init__(self, woken: Watch) -> None:
        self.woken, self.superseded = woken, False
        self.started = time.time()


class Taken:
    """Updates handed to a reader whose confirmation is not applied yet. The confirmation is
    lazy (it rides with the next write), so until it lands every read skips what it holds:
    two readers never get the same update. If it fails, the updates are handed out again
    (at least once, never lost). Telegram's `offset` confirms everything below it the same
    way: reads start above the highest offset confirmed or on its way (`floor`)."""

    def __init__(self) -> None:
        self._held: dict[str, set[int]] = {}
        self._landed: dict[str, int] = {}  # the highest offset confirmation recorded
        self._coming: dict[str, int] = {}  # the highest still on its way

    def floor(self, address: str) -> int:
        return max(self._landed.get(address, 0), self._coming.get(address, 0))

    def hold_below(self, address: str, up_to: int, confirmed: asyncio.Future) -> None:
        self._coming[address] = max(self._coming.get(address, 0), up_to)
        confirmed.add_done_callback(lambda done: self._landed_below(address, up_to, done))

    def _landed_below(self, address: str, up_to: int, done: asyncio.Future) -> None:
        if self._coming.get(address, 0) <= up_to:
            self._coming.pop(address, None)
        if not done.cancelled() and done.exception() is None:
            self._landed[address] = max(self._landed.get(address, 0), up_to)
        else:
            log.warning("an offset's confirmation failed: its updates will be handed out again",
                        extra={"address": address, "up_to": up_to})

    def held(self, address: str) -> Collection[int]:
        """The update ids of this queue that a read must skip."""
        return self._held.get(address, ())

    def hold(self, address: str, update_ids: list[int], confirmed: asyncio.Future) -> None:
        self._held.setdefault(address, set()).update(update_ids)
        confirmed.add_done_callback(lambda done: self._release(address, update_ids, done))

    def _release(self, address: str, update_ids: list[int], done: asyncio.Future) -> None:
        held = self._held.get(address, set())
        held.difference_update(update_ids)
        if not held:
            self._held.pop(address, None)
        if not done.cancelled() and done.exception() is not None:
            log.warning("a read's confirmation failed: its updates will be handed out again",
                        extra={"address": address, "update_ids": update_ids,
                               "error": repr(done.exception())})


def addresses_touched(events: list) -> set[str]:
    """The queues that new events may have filled: whose long polls to wake."""
    touched: set[str] = set()
    for event in events:
        if isinstance(event, Message.Deleted):
            touched.update(event.told)
        elif isinstance(event, (Message.DeliveryFailed, Message.Edited)) or (
                isinstance(event, Message.Sent) and not event.delivered):
            touched.add(event.to)
        elif isinstance(event, UpdateQueue.UpdatesReturned):
            touched.add(event.address)
        elif isinstance(event, Callback.Pressed):
            touched.add(event.bot_address)
        elif isinstance(event, Callback.Answered):
            touched.add(event.user_address)
    return touched


def untaken(ready: list[tuple[dict, Any]] | None, held: Collection[int],
            above: int = 0) -> list[tuple[dict, Any]]:
    """A read made ahead (`Waiters.prepare`), less what another poll of the queue took
    (`held`) or confirmed (up to `above`) since."""
    return [pair for pair in ready or ()
            if pair[0]["update_id"] > above and pair[0]["update_id"] not in held]
