"""The child process of domain/appender.py: appends to the SQLite log what its parent sends.

Run as `python -I -S appender_child.py <events.db> <table> <WAL size limit>`: standard
library only, so it starts in milliseconds and imports nothing of the server's (the parent
imports its pipe helpers and its statement, so both sides share one of each). It reads
frames from stdin (a little-endian u32 length, then `marshal` of `(rows, params)`, 4
parameters a row; a length of 0 says a batch is on its way) and answers each batch on
stdout: `b"+"` and the last rowid (i64), or `b"-"`, a u32 length and a marshalled `(error
class name, message)`. Each INSERT runs in autocommit mode: its own transaction, durable
(`synchronous=FULL`) before the answer. It exits when its parent closes stdin; SIGINT and
SIGTERM are the parent's to act on."""
import marshal
import os
import select
import signal
import sqlite3
import struct
import sys
import time

SPIN = 0.0005  # seconds awake, after "a batch is on its way", before reading blocks again
STDIN, STDOUT = 0, 1


def main() -> None:
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_IGN)
    path, table, wal_limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
    for pragma in ("synchronous=FULL", "wal_autocheckpoint=0",
                   f"journal_size_limit={wal_limit}"):
        conn.execute(f"PRAGMA {pragma}")
    statements: dict[int, str] = {}
    while True:
        head = read(STDIN, 4)
        if head is None:
            return
        size = struct.unpack("<I", head)[0]
        if not size:  # a batch is on its way
            poll(STDIN, SPIN)
            continue
        rows, params = marshal.loads(read(STDIN, size) or b"")
        statement = statements.get(rows)
        if statement is None:
            statement = statements[rows] = insert(table, rows)
        try:
            answer = b"+" + struct.pack("<q", conn.execute(statement, params).lastrowid)
        except sqlite3.Error as error:
            told = marshal.dumps((type(error).__name__, str(error)))
            answer = b"-" + struct.pack("<I", len(told)) + told
        write(STDOUT, answer)


def insert(table: str, rows: int) -> str:
    """One statement for a batch's rows (4 parameters each): one call, one transaction."""
    return f"INSERT INTO {table} VALUES {','.join(['(?,?,?,?)'] * rows)}"


def poll(fd: int, seconds: float) -> None:
    """Polls `fd` for a moment rather than sleeping in `read`: waking a sleeping process
    costs tens of microseconds on a virtual machine, as much as the append's own work."""
    deadline = time.monotonic() + seconds
    while not select.select([fd], [], [], 0)[0] and time.monotonic() < deadline:
        pass


def read(fd: int, size: int) -> bytes | None:
    """Exactly `size` bytes of `fd`, or None at its end."""
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def write(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # the parent is gone
        pass
