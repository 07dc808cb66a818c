"""The projections' write-ahead log copied back into their file on a thread of its own.

SQLite checkpoints inside the commit that fills the WAL past 1,000 pages: on the live
projector's connection, that commit is on the event loop, which then stalls for the copy
(measured on the echo bench at 10 users: one batch in a hundred took 3 to 8 ms instead of
0.4, once 84 ms; a tenth of all projection time). The live connection turns that off
(`open_projections(..., autocheckpoint=False)`) and this thread checkpoints instead, on its
own connection, told by the projector as events are applied. A PASSIVE checkpoint never
blocks the projector or the readers; what it cannot copy yet (a reader on an old snapshot)
the next one does. SQLite releases the GIL while it copies, so the loop goes on serving.
"""
import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)
EVERY = 500  # events applied between checkpoints: a few hundred WAL pages


class Checkpoints:
    def __init__(self, path: Path | str, every: int = EVERY) -> None:
        self.path, self.every = str(path), every
        self._applied = 0
        self._due = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="botbus-checkpoints",
                                        daemon=True)
        self._thread.start()

    def applied(self, count: int) -> None:
        """From the projector, after each batch it committed."""
        self._applied += count
        if self._applied >= self.every:
            self._applied = 0
            self._due.set()

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
                except sqlite3.Error as error:  # the next one tries again
                    log.warning("projections checkpoint failed", extra={"error": str(error)})
        finally:
            conn.close()

    def close(self) -> None:
        """Before the projector's connection closes (which checkpoints what is left)."""
        self._closed = True
        self._due.set()
        self._thread.join(timeout=10)
