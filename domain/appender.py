"""The embedded log's appends, made by a child process while the server projects the batch.

On SQLite an append waits on the disk: at one user its fsync is most of the 270 µs an append
holds the event loop (measured), time the loop could not use. A thread could append while
the loop projects, but handing the GIL back and forth with a busy loop cost more than the
wait (measured: CPU per round trip up by half). A child process needs no GIL: the writer
sends it the batch, applies the batch to the read models in a transaction it keeps open
(`Projector.stage`), then waits for the child's answer and commits only after it, so
nothing is readable before it is durable.

The ids the log will give are known before it answers: one server holds the log (the data
folder's lock) and SQLite numbers rows on from the last one. The answer is checked anyway;
other numbers make the staged projection roll back and the batch be projected again.

A child that dies mid-append (killed, out of memory) leaves that append whole or absent, as
SQLite commits atomically: the log's last id tells which, and a new child takes the next."""
import logging
import marshal
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from domain.appender_child import poll, read, write

log = logging.getLogger(__name__)
CHILD = Path(__file__).with_name("appender_child.py")
SPIN = 0.001  # seconds the writer polls for the answer before it sleeps on it
WAKE = struct.pack("<I", 0)


class Appender:
    """Used by one thread (the server's writer, on the event loop): one append at a time."""

    def __init__(self, path: str, table: str, last_in_log: Callable[[], int],
                 wal_limit: int) -> None:
        self.path, self.table, self._last_in_log = path, table, last_in_log
        self.wal_limit = wal_limit  # journal_size_limit, as the log's own connections
        self._process: subprocess.Popen | None = None
        self._last: int | None = None  # the log's last id, as far as this process knows
        self._sent: list[int] | None = None  # the ids the append in flight should get

    def wake(self) -> None:
        """A batch is on its way: the child waits for it awake."""
        try:
            self._write(WAKE)
        except OSError:
            self._reap("it was gone before an append")

    def send(self, rows: int, params: list) -> list[int]:
        """Starts an append of `rows` rows (4 parameters each); returns the ids expected."""
        assert self._sent is None, "one append at a time"
        if self._last is None:
            self._last = self._last_in_log()
        frame = marshal.dumps((rows, params))
        frame = struct.pack("<I", len(frame)) + frame
        try:
            self._write(frame)
        except OSError:  # a child that died since the last append took nothing: a new one
            self._reap("it was gone before an append")
            self._write(frame)
        self._sent = list(range(self._last + 1, self._last + rows + 1))
        return self._sent

    def wait(self) -> list[int]:
        """The ids the log gave the append in flight, once it is durable; the error SQLite
        raised, or OperationalError if the child died and the log does not have it."""
        sent, self._sent = self._sent, None
        assert sent is not None, "nothing in flight"
        try:
            status = self._read(1, spin=True)
            if status == b"+":
                last = self._last = struct.unpack("<q", self._read(8))[0]
                return sent if last == sent[-1] else list(range(last - len(sent) + 1, last + 1))
            name, message = marshal.loads(self._read(struct.unpack("<I", self._read(4))[0]))
        except EOFError:
            self._reap("it died during an append")
            self._last = self._last_in_log()
            if self._last >= sent[-1]:
                return sent
            raise sqlite3.OperationalError("the log's appender died: not recorded") from None
        raise getattr(sqlite3, name, sqlite3.OperationalError)(message)

    def forget_last(self) -> None:
        """Something else appended: the next append reads the log's last id again."""
        self._last = None

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            _stop(process)

    def _write(self, data: bytes) -> None:
        if self._process is None:
            self._process = _spawn(self.path, self.table, self.wal_limit)
        write(self._process.stdin.fileno(), data)  # type: ignore[union-attr]

    def _read(self, size: int, spin: bool = False) -> bytes:
        assert self._process is not None
        fd = self._process.stdout.fileno()  # type: ignore[union-attr]
        if spin:  # as the child polls for a batch, and for the same reason
            poll(fd, SPIN)
        data = read(fd, size)
        if data is None:
            raise EOFError
        return data

    def _reap(self, why: str) -> None:
        process, self._process = self._process, None
        if process is not None:
            log.warning("the log's appender stopped: another takes over", extra={
                "why": why, "exit_code": process.poll()})
            _stop(process)


def _spawn(path: str, table: str, wal_limit: int) -> subprocess.Popen:
    """Standard library only (`-I -S`): it starts in milliseconds. In a session of its own,
    and deaf to SIGINT and SIGTERM, it outlives a Ctrl-C or a stop sent to the server's
    process group: it exits when the server closes its input (or dies), so the appends the
    server makes on its way out still land."""
    return subprocess.Popen([sys.executable, "-I", "-S", str(CHILD), path, table,
                             str(wal_limit)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
                            start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
