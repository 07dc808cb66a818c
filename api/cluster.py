"""This server as one node of several on a shared PostgreSQL log: the slot that keeps its
numbers apart from the other nodes', the listener that follows their appends, the leases it
holds, and the signals it exchanges with them (projections/nodes.py)."""
import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from domain.application import Botbus
from projections.nodes import Leases, Listener, conninfo

log = logging.getLogger(__name__)


@dataclass
class Node:
    slot: int
    leases: Leases
    dsn: str
    listener: Listener | None = None

    @classmethod
    def join(cls, app: Botbus) -> "Node":
        """Before anything is written: the slot decides the numbers this node hands out."""
        dsn = conninfo(app.env)
        leases = Leases(dsn)
        slot = app.ids.node = leases.claim_slot()
        log.info("joined the shared log", extra={"node": slot})
        return cls(slot, leases, dsn)

    def follow(self, channel: str, on_append: Callable[[], None],
               on_signal: Callable[[int, dict], object],
               on_nodes: Callable[[set[int]], object]) -> None:
        """Other nodes' appends and signals (this node's own signals are not passed on), and
        which nodes are alive (this one left out), all on the listener's thread."""
        def received(payload: str) -> None:
            try:
                signal = orjson.loads(payload)
                node = int(signal.pop("node"))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                log.warning("unreadable signal from another node", extra={"payload": payload})
                return
            if node != self.slot:
                on_signal(node, signal)

        self.listener = Listener(self.dsn, channel, on_append, received,
                                 lambda alive: on_nodes(alive - {self.slot}))
        self.listener.start()

    def signal(self, loop: asyncio.AbstractEventLoop, signal: dict) -> None:
        """Sent off the loop (a round trip to PostgreSQL); a lost signal is logged."""
        payload = orjson.dumps({**signal, "node": self.slot}).decode()
        loop.run_in_executor(None, self._send, payload)

    def _send(self, payload: str) -> None:
        try:
            self.leases.signal(payload)
        except Exception:  # noqa: BLE001 - lost: an older poll ends at its own timeout
            log.exception("could not signal the other nodes")

    def close(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener.join(2)
        self.leases.close()
