"""The projector: applies new log notifications to every read model, exactly once.

Each batch of events commits with each read model's tracking position in one transaction,
so a crash resumes where it stopped. The same code runs live (after every append, before
the HTTP answer) and in `replay rebuild`. A read model whose VERSION changed since its rows
were written is dropped and replayed from the log when the projector opens.

An event a read model cannot apply (a bug: the log enforces what projections need unique)
must not stall every later event: it is set aside as a fault of that read model, logged
loudly and kept in `projection_faults` (shown by `/health`), and the rest goes on. A
rebuild sets the same events aside, since applying is deterministic. An operational error
(disk full, I/O) is not a fault of the event: it propagates, and the batch is retried.

While a child process appends a batch to the embedded log, the writer has it applied in a
transaction left open (`stage`): rolled back if the append fails. Once the log has it
durably, the transaction stays open a turn of the loop longer (`apply_recorded` holds it,
`commit` ends it): the loop reads through this same connection, so the requests it answers
meanwhile see the batch, and the commit is no longer on their way (at one user, two commits
of ~50 µs on each echo round trip). A crash before the commit loses nothing: the log has
the batch, and the projector applies it again when the server starts.

Read models tracked past the log's last position were built from a history the log no
longer holds (a log restored from a backup): they are dropped and replayed, or new events
would hide behind the old positions, answered but never readable.
"""
import logging
from collections.abc import Callable, Sequence
from types import ModuleType

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from sqlite_utils import Database

from projections import READ_MODELS
from projections.applying import (
    Applied,
    apply_batch,
    fault_of,
    plainly,
    project,
    record_fault,
    same_batch,
)
from projections.tracking import create_tables, discard_ahead, faults, tracked_positions

log = logging.getLogger(__name__)
__all__ = ["Applied", "Projector", "project"]


class Projector:
    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper, db: Database,
                 models: Sequence[ModuleType] = READ_MODELS, batch_size: int = 1000) -> None:
        self.recorder, self.mapper, self.db = recorder, mapper, db
        self.models, self.batch_size = models, batch_size
        discard_ahead(db, models, recorder.max_notification_id() or 0)
        create_tables(db, models)
        self.positions = tracked_positions(db, models)
        self.faults = faults(db)
        self.on_projected: Callable[[int], None] = _nothing  # events committed, per batch
        self._staged: Applied | None = None  # applied in the open transaction, not yet durable
        self.held = 0  # events durable in the log, applied in the open transaction

    @property
    def position(self) -> int:
        return min(self.positions.values(), default=0)

    def stage(self, batch: Applied) -> None:
        """Applies a batch being appended, in a transaction left open: `apply_recorded`
        commits it once the log has the batch durably, anything else rolls it back. A batch
        that does not follow on, or that some read model cannot apply, is left to them. It
        raises nothing: the caller must go on to read the append's answer."""
        try:
            self.commit()
            self.unstage()
            if not self._follows(batch):
                return
            self.db.begin()
            apply_batch(self.db, self.models, self.positions, batch, plainly)
        except Exception:  # noqa: BLE001 - projected after the append, the careful way
            if self.db.conn.in_transaction:
                self.db.rollback()
            return
        self._staged = batch

    @property
    def staged(self) -> Applied | None:
        """The batch applied by `stage`, not yet known durable."""
        return self._staged

    def unstage(self) -> None:
        """Rolls back a staged batch whose append failed."""
        if self._staged is not None:
            self._staged = None
            self.db.rollback()

    def commit(self) -> None:
        """Commits what `apply_recorded` held in the open transaction. If that fails, it is
        rolled back and the positions are read back from the file: those events are applied
        again from the log (`catch_up`)."""
        held, self.held = self.held, 0
        if not held:
            return
        try:
            self.db.commit()
        except BaseException:
            self.db.rollback()
            self.positions = tracked_positions(self.db, self.models)
            raise
        self.on_projected(held)

    def apply_recorded(self, recorded: Applied,
                       on_batch: Callable[[Applied], None] | None = None) -> int:
        """Project events this process just saved without reading them back from the log,
        when they directly follow the tracked position; otherwise catch up from the log. A
        batch staged as it was appended stays in the open transaction, held for `commit`."""
        staged, self._staged = self._staged, None
        if staged is not None:
            if same_batch(staged, recorded):
                return self._projected(recorded, [], on_batch, held=True)
            self.db.rollback()
        self.commit()
        if not recorded:  # a batch whose commands all failed: nothing new, no query
            return 0
        if self._follows(recorded):
            found = project(self.db, self.models, self.positions, recorded)
            return self._projected(recorded, found, on_batch)
        return self.catch_up(on_batch=on_batch)

    def _follows(self, batch: Applied) -> bool:
        return bool(batch) and batch[0][1] == self.position + 1 and all(
            b[1] == a[1] + 1 for a, b in zip(batch, batch[1:], strict=False))

    def _projected(self, batch: Applied, faults: list[dict],
                   on_batch: Callable[[Applied], None] | None, held: bool = False) -> int:
        """After a batch's commit (or held for one): positions, faults, who hears of it."""
        for model in self.models:
            self.positions[model.NAME] = max(self.positions[model.NAME], batch[-1][1])
        self.faults += faults
        if held:
            self.held += len(batch)
        else:
            self.on_projected(len(batch))
        if on_batch is not None:
            on_batch(batch)
        return len(batch)

    def catch_up(self, stop: int | None = None,
                 on_batch: Callable[[Applied], None] | None = None) -> int:
        """Apply everything after the tracked positions (up to `stop`); return how many."""
        self.unstage()
        self.commit()
        count = 0
        while True:
            notifications = self.recorder.select_notifications(
                start=self.position, limit=self.batch_size, stop=stop, inclusive_of_start=False)
            if not notifications:
                return count
            batch = [(self._decode(n), n.id) for n in notifications]
            found = project(self.db, self.models, self.positions, batch)
            count += self._projected(batch, found, on_batch)

    def _decode(self, notification: Notification) -> object:
        """A stored event that no longer decodes (an unknown topic, a broken state) is a fault
        of every read model, set aside like one, never a reason to stop."""
        try:
            return self.mapper.to_domain_event(notification)
        except Exception as error:  # noqa: BLE001 - recorded and logged as a fault
            fault = fault_of("*", notification.id, notification.topic,
                             notification.originator_id, error)
            with self.db.atomic():
                record_fault(self.db, fault)
            self.faults.append(fault)
            return Undecodable()


def _nothing(count: int) -> None:
    pass


class Undecodable:
    """Stands in for an event that cannot be decoded: no read model applies it."""
