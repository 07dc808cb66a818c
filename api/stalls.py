"""A stalled event loop, told in the log.

A node serves everything from one event loop, and on SQLite the log's append, fsync and
all, runs on that loop too (api/writer.py). A disk that stops answering (a full thin
volume, a lost network disk) then stops every request, `/health` included, and nothing in
the server could say so. A thread of its own watches a heartbeat the loop beats every
`beat` seconds: once the loop is `after` seconds late it logs a warning with where the loop
is stuck (its Python stack: an fsync in the recorder, a query, a runaway computation), and
when the loop runs again, for how long it stood. Off with `BOTBUS_STALL_WARNING=0`.
"""
import asyncio
import logging
import sys
import threading
import time
import traceback

log = logging.getLogger(__name__)
SHOWN_FRAMES = 8  # the innermost frames of the loop's stack, in the warning


class Stalls:
    def __init__(self, loop: asyncio.AbstractEventLoop, after: float,
                 beat: float | None = None) -> None:
        self.loop, self.after = loop, after
        self.beat = beat if beat is not None else min(after / 5, 1.0)
        self._last = time.monotonic()
        self._loop_thread = 0
        self._handle: asyncio.TimerHandle | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="botbus-stalls", daemon=True)

    def start(self) -> "Stalls":
        """From the loop's own thread."""
        if self.after > 0:
            self._loop_thread = threading.get_ident()
            self._beat()
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._handle is not None:
            self._handle.cancel()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        self._last = time.monotonic()
        self._handle = self.loop.call_later(self.beat, self._beat)

    def _watch(self) -> None:
        stalled_since: float | None = None
        while not self._stopped.wait(self.beat):
            late = time.monotonic() - self._last
            if stalled_since is None and late >= self.after:
                stalled_since = self._last
                log.warning("the event loop is stalled: no request is served",
                            extra={"seconds": round(late, 1), "where": self._where()})
            elif stalled_since is not None and late < self.after:
                log.warning("the event loop runs again", extra={
                    "stalled_seconds": round(self._last - stalled_since, 1)})
                stalled_since = None

    def _where(self) -> list[str]:
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return []
        stack = traceback.extract_stack(frame)[-SHOWN_FRAMES:]
        return [f"{entry.filename}:{entry.lineno} {entry.name}" for entry in stack]
