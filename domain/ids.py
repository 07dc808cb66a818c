"""Id forms and their mapping to aggregate ids.

Every dialect sees its own id form of the same entity: ULID strings (Botyard), hex
fingerprints and uuid message ids (featherChat v1), integers (Telegram), digit strings
(MaxChat). Aggregate ids are UUIDs: a ULID maps to one 1:1, a unique name to a uuid5.
"""
import secrets
import threading
import time
from functools import lru_cache
from typing import NewType
from uuid import UUID, uuid5

from ulid import ULID

AccountId = NewType("AccountId", str)  # ULID, lower case, as Botyard shows ids

_NAMESPACE = UUID("6b1d2c1e-52f4-4a52-9d8e-1f0b0f3c8a11")
_EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_NODE_SLOTS = 16  # projections/nodes.NODE_SLOTS


def aggregate_id(ulid: str) -> UUID:
    """The aggregate id of an entity whose public id is a ULID."""
    return ULID.from_str(ulid.upper()).to_uuid()


def ulid_of(uuid: UUID) -> str:
    return str(ULID.from_uuid(uuid)).lower()


@lru_cache(maxsize=4096)  # queue ids are asked for on every confirmation
def named_id(namespace: str, name: str) -> UUID:
    """A deterministic aggregate id for a unique name, so a second claim conflicts in the store."""
    return uuid5(_NAMESPACE, f"{namespace}:{name}")


class Ids:
    """Generates ids and secrets; commands take them from here, tests pass a counting double."""

    def __init__(self, node: int = 0) -> None:
        self._lock = threading.Lock()
        self._last_number = 0
        self.node = node  # the node's slot on a shared log: numbers are unique across nodes

    def ulid(self) -> str:
        return str(ULID()).lower()

    def ulid_uuid(self) -> UUID:
        """A new ULID as the aggregate id it maps to, without a trip through its text."""
        return ULID().to_uuid()

    def number(self) -> int:
        """A time-ordered integer below 2**52 (Telegram promises at most 52 significant bits),
        whose low 4 bits are the node's slot: two nodes on one log never hand out the same.

        Never below one already handed out or `observe`d, so a clock stepped back (or a
        restart after one) cannot repeat a number; the log's number claims are the backstop."""
        with self._lock:
            candidate = (int(time.time() * 1000) - _EPOCH_MS) << 10
            number = max(candidate, self._last_number + 1)
            number += (self.node - number) % _NODE_SLOTS  # the next one that is this node's
            self._last_number = number
            return number

    def observe(self, number: int) -> None:
        """A number known to be taken (the highest in the log at start, or one found claimed):
        every later number is above it."""
        with self._lock:
            self._last_number = max(self._last_number, number)

    def hex(self, nbytes: int) -> str:
        return secrets.token_hex(nbytes)

    def secret(self, nbytes: int = 27) -> str:
        """URL-safe: [A-Za-z0-9_-], 36 chars for 27 bytes."""
        return secrets.token_urlsafe(nbytes)
