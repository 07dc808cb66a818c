"""Long-poll waiters, woken by the projector's batches: push, never sleep-polling."""
import asyncio
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class Waiters:
    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @contextmanager
    def watch(self, address: str) -> Iterator[asyncio.Event]:
        """Register before reading the queue, so an append in between is not missed."""
        event = asyncio.Event()
        self._waiting[address].add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(address)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiting[address]

    def wake(self, addresses: Iterable[str]) -> None:
        for address in addresses:
            for event in self._waiting.get(address, ()):
                event.set()

    def reading(self, address: str) -> asyncio.Lock:
        """One reader of a queue at a time, so two pollers never get the same update."""
        return self._locks[address]


async def wait(event: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), seconds)
        return True
    except TimeoutError:
        return False
