"""What nodes sharing one PostgreSQL log coordinate through, beside the log itself:

- the log's own append notifications (eventsourcing NOTIFYs its channel on every insert), so a
  node learns of another node's appends within milliseconds and catches up;
- a signals channel for what is not history (a newer long poll ending an older one elsewhere);
- PostgreSQL session-level advisory locks as leases: a node's slot (unique among live nodes,
  so the numbers it hands out are too), and the right to deliver a bot's webhooks. A lease
  dies with its node's connection, so a killed node's work passes to another at once.
"""
import hashlib
import logging
import threading
import time
from collections.abc import Callable

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

log = logging.getLogger(__name__)
SIGNALS = "botbus_signals"
NODE_SLOTS = 16  # the low bits of every number a node hands out (domain/ids.py)
_NODE_SPACE, _LEASE_SPACE = 0x0B07B05, 0x0B07B06  # advisory lock key spaces (classid)


def conninfo(env: dict[str, str]) -> str:
    """The library's POSTGRES_* settings as a libpq connection string."""
    return psycopg.conninfo.make_conninfo(
        dbname=env["POSTGRES_DBNAME"], host=env.get("POSTGRES_HOST") or None,
        port=env.get("POSTGRES_PORT") or None, user=env.get("POSTGRES_USER") or None,
        password=env.get("POSTGRES_PASSWORD") or None, application_name="botbus")


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big") >> 1


class Leases:
    """Advisory locks held on one connection of this node's own, for its whole life. If that
    connection breaks (PostgreSQL restarted), every lease went with it: the next call opens a
    new one, takes the node's slot back if it can, and the leases are taken again on demand."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._lock = threading.Lock()
        self._held: set[int] = set()
        self._closing = False
        self.slot: int | None = None

    def claim_slot(self) -> int:
        """The lowest node slot no live node holds."""
        for slot in range(NODE_SLOTS):
            if self._try(_NODE_SPACE, slot):
                self.slot = slot
                return slot
        raise RuntimeError(f"all {NODE_SLOTS} node slots are taken: too many nodes on one log")

    def take(self, name: str) -> bool:
        """The lease called `name`, if no other node holds it (ours: True at once)."""
        key = _key(name)
        if key in self._held:
            return True
        if self._try(_LEASE_SPACE, key):
            self._held.add(key)
            return True
        return False

    def release(self, name: str) -> None:
        key = _key(name)
        if key in self._held:
            self._held.discard(key)
            self._run("SELECT pg_advisory_unlock(%s, %s)", (_LEASE_SPACE, key))

    def _try(self, space: int, key: int) -> bool:
        row = self._run("SELECT pg_try_advisory_lock(%s, %s)", (space, key))
        return bool(row and row[0])

    def _run(self, statement: str, params: tuple) -> tuple | None:
        """One statement; on a broken connection, once more on a new one (False/None if
        that fails too: the caller goes on without the lease, and tries again later)."""
        with self._lock:
            for attempt in (1, 2):
                if self._closing:
                    return None
                try:
                    if self._conn.closed:
                        self._reconnect()
                    return self._conn.execute(statement, params).fetchone()
                except psycopg.OperationalError as error:
                    log.warning("lost the leases' connection", extra={
                        "error": str(error), "attempt": attempt})
                    self._conn.close()
            return None

    def _reconnect(self) -> None:
        self._conn = psycopg.connect(self._dsn, autocommit=True)
        self._held.clear()
        if self.slot is None:
            return
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                                 (_NODE_SPACE, self.slot)).fetchone()
        if not (row and row[0]):
            log.error("this node's slot was taken while its connection was down: numbers"
                      " may clash, refused by the log's claims", extra={"slot": self.slot})

    def shared_secrets(self, proposed: dict) -> dict:
        """The server secrets every node of this log uses: `proposed` if this node is the
        first, with its one-time `new_admin_key` (never stored), else the first node's."""
        stored = {k: v for k, v in proposed.items() if k != "new_admin_key"}
        with self._lock, self._conn.transaction():
            self._conn.execute("CREATE TABLE IF NOT EXISTS botbus_secrets"
                               " (id int PRIMARY KEY, secrets jsonb NOT NULL)")
            inserted = self._conn.execute(
                "INSERT INTO botbus_secrets VALUES (1, %s) ON CONFLICT DO NOTHING",
                (Jsonb(stored),)).rowcount
            row = self._conn.execute("SELECT secrets FROM botbus_secrets WHERE id = 1")
            kept: dict = row.fetchone()[0]  # type: ignore[index]
        if inserted and "new_admin_key" in proposed:
            return {**kept, "new_admin_key": proposed["new_admin_key"]}
        return kept

    def signal(self, payload: str) -> None:
        self._run("SELECT pg_notify(%s, %s)", (SIGNALS, payload))

    def close(self) -> None:
        with self._lock:
            self._closing = True
            self._conn.close()


def alive_slots(conn: psycopg.Connection) -> set[int]:
    """The slots of the nodes alive now (their slot leases are held)."""
    rows = conn.execute(  # advisory locks are per database: other logs' nodes are not ours
        "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (_NODE_SPACE,))
    return {int(row[0]) for row in rows}


class Listener(threading.Thread):
    """LISTENs to the log's channel and the signals channel on a connection of its own.
    `on_append` runs (on this thread) for each append notification, and once after every
    (re)connection, since appends made while it was away were not notified; `on_nodes`, every
    few seconds, with the slots of the nodes alive."""

    def __init__(self, dsn: str, log_channel: str, on_append: Callable[[], None],
                 on_signal: Callable[[str], None], on_nodes: Callable[[set[int]], object],
                 every: float = 2.0) -> None:
        super().__init__(name="botbus-listener", daemon=True)
        self.dsn, self.log_channel, self.every = dsn, log_channel, every
        self.on_append, self.on_signal, self.on_nodes = on_append, on_signal, on_nodes
        self._halt = threading.Event()

    def run(self) -> None:
        backoff = 0.1
        while not self._halt.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    for channel in (self.log_channel, SIGNALS):
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    backoff = 0.1
                    self.on_append()
                    self._listen(conn)
            except psycopg.Error as error:
                if self._halt.is_set():
                    return
                log.warning("lost the log's notifications: reconnecting",
                            extra={"error": str(error), "retry_in": backoff})
                self._halt.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _listen(self, conn: psycopg.Connection) -> None:
        """Each notification is handled as it arrives (the generator yields it at once); the
        timeout only lets the loop see `stop`. The loop's side coalesces a burst."""
        checked = 0.0
        while not self._halt.is_set():
            if time.monotonic() - checked >= self.every:
                checked = time.monotonic()
                self.on_nodes(alive_slots(conn))
            for notify in conn.notifies(timeout=0.5):
                if notify.channel == SIGNALS:
                    self.on_signal(notify.payload)
                else:
                    self.on_append()
                if self._halt.is_set():
                    return

    def stop(self) -> None:
        self._halt.set()
