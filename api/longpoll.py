"""Long-poll waiters, woken by the projector's batches: push, never sleep-polling."""
import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager


class Waiters:
    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._readers: dict[str, tuple[asyncio.Lock, int]] = {}  # the lock, how many hold or wait

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

    def wake_all(self) -> None:
        """The server is stopping: every parked poll answers now."""
        self.wake(list(self._waiting))

    def wake(self, addresses: Iterable[str]) -> None:
        for address in addresses:
            for event in self._waiting.get(address, ()):
                event.set()

    @asynccontextmanager
    async def reading(self, address: str) -> AsyncIterator[None]:
        """One reader of a queue at a time, so two pollers never get the same update. The lock
        lives only while someone holds or awaits it, so idle addresses cost nothing."""
        lock, count = self._readers.get(address, (None, 0))
        lock = lock or asyncio.Lock()
        self._readers[address] = (lock, count + 1)
        try:
            async with lock:
                yield
        finally:
            lock, count = self._readers[address]
            if count == 1:
                del self._readers[address]
            else:
                self._readers[address] = (lock, count - 1)


async def wait(event: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), seconds)
        return True
    except TimeoutError:
        return False
