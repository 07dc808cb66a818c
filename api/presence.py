"""Which featherChat users have a live socket on another node of a shared log, so a message
sent through any node is recorded `delivered` and pushed by whichever node holds the socket.

Not history, so not in the log: each node tells the others through signals when an address's
first socket opens and its last one closes, answers a newcomer's `hello` with what it holds,
and forgets what a node held once that node is gone (its slot's lease is free)."""
from collections.abc import Callable, Iterable

Signal = Callable[[dict], None]
CHUNK = 150  # addresses per signal: a NOTIFY payload stays far below PostgreSQL's 8000 bytes


class Presence:
    def __init__(self, signal: Signal) -> None:
        self._signal = signal
        self._elsewhere: dict[str, set[int]] = {}  # address → the other nodes holding it

    def elsewhere(self, address: str) -> bool:
        return bool(self._elsewhere.get(address))

    def opened(self, address: str) -> None:
        self._signal({"online": [address]})

    def closed(self, address: str) -> None:
        self._signal({"offline": [address]})

    def hello(self) -> None:
        """This node just (re)joined: the others say what they hold."""
        self._signal({"hello": True})

    def heard(self, node: int, signal: dict, here: Callable[[], Iterable[str]]) -> None:
        """Another node's signal (on the loop)."""
        for address in signal.get("online", ()):
            self._elsewhere.setdefault(address, set()).add(node)
        for address in signal.get("offline", ()):
            self._drop(address, node)
        if signal.get("hello"):
            held = list(here())
            for start in range(0, len(held), CHUNK):
                self._signal({"online": held[start:start + CHUNK]})

    def alive(self, nodes: set[int]) -> None:
        """What nodes no longer alive held is gone with them."""
        for address, holders in list(self._elsewhere.items()):
            for node in holders - nodes:
                self._drop(address, node)

    def _drop(self, address: str, node: int) -> None:
        holders = self._elsewhere.get(address)
        if holders is not None:
            holders.discard(node)
            if not holders:
                del self._elsewhere[address]
