"""Reads made while the child process appends a batch, used once that very batch is applied.

On the embedded log the event loop waits for each append (api/writer.py), and the batch is
already staged in the projector's open transaction. So the long polls it will wake make
their reads then (`Waiters.prepare`), and the sockets' frames for the messages it delivers
are read then too: nothing is answered or pushed before the append is durable, but what is
answered and pushed after it is ready (measured at one user: ~90 µs off each echo round
trip). A batch whose append failed, or that the log numbered otherwise, has its reads
dropped: polls and sockets read again.
"""
import logging
from collections.abc import Mapping

from sqlite_utils import Database

from api.callers import Callers
from api.longpoll import Waiters, addresses_touched
from api.sockets import Sockets, inbox_frame
from domain.messages import Message
from projections.applying import Applied, same_batch

log = logging.getLogger(__name__)


class ReadAhead:
    def __init__(self, db: Database, waiters: Waiters, sockets: Sockets,
                 callers: Callers) -> None:
        self.db, self.waiters, self.sockets, self.callers = db, waiters, sockets, callers
        self._batch: Applied | None = None
        self._frames: dict[str, str] = {}

    def staged(self, batch: Applied) -> None:
        """The writer's batch is staged and being appended: read what it will answer."""
        self._batch, self._frames = batch, {}
        events = [event for event, _ in batch]
        try:
            self._frames = {str(event.originator_id): frame for event, frame in (
                (event, inbox_frame(self.db, str(event.originator_id))) for event, _ in batch
                if isinstance(event, Message.Sent) and event.delivered
                and self.sockets.is_online(event.to)) if frame is not None}
            self.waiters.prepare(addresses_touched(events), batch[-1][1])
        except Exception:  # noqa: BLE001 - they read again once the batch is applied
            log.exception("reading ahead of an append failed")
        self.callers.forget(events)  # none held as the batch has them: it may yet fail

    def applied(self, batch: Applied) -> Mapping[str, str] | None:
        """The frames read for this batch if it is the one staged, else None: what was read
        ahead is then dropped."""
        staged, frames = self._batch, self._frames
        self._batch, self._frames = None, {}
        return frames if staged is not None and same_batch(staged, batch) else None
