"""A SQLite file's write-ahead log copied back into the file on a thread of its own: the
projections' and the log's.

SQLite checkpoints inside the commit that fills the WAL past 1,000 pages, and both files'
commits run on the event loop, which then stalls for the copy (measured on the echo bench
at 10 users: one projection batch in a hundred took 3 to 8 ms instead of 0.4, once 84 ms; a
tenth of all projection time). Their writing connections turn that off (the live projector's
`open_projections(..., autocheckpoint=False)`, the log's `GroupRecorder.on_appended`) and
this thread checkpoints instead, on its own connection, told as events are written. A
PASSIVE checkpoint never blocks the writer or the readers; what it cannot copy yet (a reader
on an old snapshot) the next one does. SQLite releases the GIL while it copies, so the loop
goes on serving.

Under a steady stream of commits the thread alone never catches up: what is committed during
its copy leaves the WAL not wholly copied when the next commit starts, so SQLite never starts
the WAL over and appends to it without end (measured on the echo bench at one user: the
projections' WAL at 450 MB after 15 s, the log's at 60 MB). Every commit then writes past the
end of a growing file, and an fdatasync that must also record a new size costs twice one
that overwrites (0.22 against 0.11 ms here). So once the thread's pass is over, the writing
thread copies the few frames committed meanwhile, between two of its own commits, when
nothing else can commit (`applied`): the next commit starts the WAL over, and the writing
connection's `journal_size_limit` trims one a burst left large.
"""
import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)
EVERY = 500  # events applied between checkpoints: a few hundred WAL pages


class Checkpoints:
    def __init__(self, path: Path | str, every: int = EVERY, name: str = "projections") -> None:
        self.path, self.every, self.name = str(path), every, name
        self._applied = 0
        self._due = threading.Event()
        self._copied = False  # the thread's pass is over: the writing thread finishes it
        self._closed = False
        self._writers: sqlite3.Connection | None = None  # used on the writing thread only
        self._thread = threading.Thread(target=self._run, name=f"botbus-checkpoints-{name}",
                                        daemon=True)
        self._thread.start()

    def applied(self, count: int) -> None:
        """After each batch committed to the file, on the thread that writes it."""
        if self._copied:
            self._copied = False
            self._finish()
        self._applied += count
        if self._applied >= self.every:
            self._applied = 0
            self._due.set()

    def _finish(self) -> None:
        """Copies what was committed during the thread's pass: a few frames, while no commit
        can add more, so the WAL is then wholly in the file."""
        try:
            if self._writers is None:
                self._writers = sqlite3.connect(self.path, check_same_thread=False)
            self._writers.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as error:  # the next pass tries again
            log.warning("checkpoint failed", extra={"file": self.name, "error": str(error)})

    def _run(self) -> None:
        conn = sqlite3.connect(self.path)
        conn.execute("PRAGMA busy_timeout=5000")
        try:
            while True:
                self._due.wait()
                self._due.clear()
                if self._closed:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    self._copied = True
                except sqlite3.Error as error:  # the next one tries again
                    log.warning("checkpoint failed", extra={"file": self.name,
                                                            "error": str(error)})
        finally:
            conn.close()

    def close(self) -> None:
        """Before the writing connection closes (which checkpoints what is left)."""
        self._closed = True
        self._due.set()
        self._thread.join(timeout=10)
        if self._writers is not None:
            self._writers.close()
