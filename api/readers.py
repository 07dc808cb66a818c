"""On a shared log, one node at a time hands out a queue's delete-on-read updates (featherChat
v1 `getUpdates`, a user's inbox): the node holding the queue's reader lease (a PostgreSQL
advisory lock). Reads then stay what they are on one node: answered first, confirmed lazily
(api/longpoll.Taken), at least once across a crash. The lease is let go once the holder's
confirmations have landed and it has not read for a moment, so a reader on another node takes
over; a node taking it first follows the log, to see the previous holder's confirmations."""
import asyncio
from typing import TYPE_CHECKING

from api.longpoll import Taken, Waiters

if TYPE_CHECKING:
    from api.cluster import Node
    from api.writer import Writer

GRACE = 1.0  # seconds without a read before the lease may go: a steady poller keeps it


class Readers:
    def __init__(self, node: "Node", writer: "Writer", taken: Taken, waiters: Waiters) -> None:
        self.node, self.writer, self.taken, self.waiters = node, writer, taken, waiters
        self._held: dict[str, asyncio.TimerHandle | None] = {}

    async def hold(self, address: str) -> bool:
        """Whether this node may hand out the queue's updates now. If not, its parked polls
        look again once the holder may have let go."""
        if address not in self._held:
            if not self.node.leases.take(self._name(address)):
                self.writer.loop.call_later(GRACE, self.waiters.wake, [address])
                return False
            self._held[address] = None
            await self.writer.caught_up()
        self._release_later(address)
        return True

    def _release_later(self, address: str) -> None:
        timer = self._held.get(address)
        if timer is not None:
            timer.cancel()
        self._held[address] = self.writer.loop.call_later(GRACE, self._release, address)

    def _release(self, address: str) -> None:
        if self.taken.held(address):  # a confirmation still on its way: keep the lease
            self._release_later(address)
            return
        del self._held[address]
        self.node.leases.release(self._name(address))

    @staticmethod
    def _name(address: str) -> str:
        return f"reader:{address}"
