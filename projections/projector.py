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
transaction left open (`stage`): committed once the log has it durably, rolled back if not.

Read models tracked past the log's last position were built from a history the log no
longer holds (a log restored from a backup): they are dropped and replayed, or new events
would hide behind the old positions, answered but never readable.
"""
import logging
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from types import ModuleType

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from sqlite_utils import Database

from projections import READ_MODELS
from projections.tracking import (
    FAULTS,
    create_tables,
    discard_ahead,
    faults,
    track_all,
    tracked_positions,
)

Applied = Sequence[tuple[object, int]]
log = logging.getLogger(__name__)


def project(db: Database, models: Sequence[ModuleType], positions: dict[str, int],
            batch: Applied) -> list[dict]:
    """Apply one batch to each read model still behind it, and track, in one transaction.
    Returns the faults found: events set aside because a read model could not apply them."""
    try:
        with db.atomic():
            _apply(db, models, positions, batch, _plainly)
        found: list[dict] = []
    except sqlite3.OperationalError:
        raise
    except Exception:  # noqa: BLE001 - some event is a fault: find which, one at a time
        found = []
        with db.atomic():
            _apply(db, models, positions, batch, partial(_carefully, found=found))
    return found


def _apply(db: Database, models: Sequence[ModuleType], positions: dict[str, int],
           batch: Applied, apply: Callable) -> None:
    behind = []
    for model in models:
        done = positions[model.NAME]
        for event, position in batch:
            if position > done and handles(model, type(event)):
                apply(model, event, db, position)
        if batch[-1][1] > done:
            behind.append(model)
    track_all(db, behind, batch[-1][1])


_HANDLED: dict[tuple[Callable, type], bool] = {}


def handles(model: ModuleType, event_type: type) -> bool:
    """Whether a read model applies events of this type at all (not its no-op default):
    most events concern one read model, and the others need not be called."""
    apply = model.apply
    key = (apply, event_type)
    handled = _HANDLED.get(key)
    if handled is None:
        default = getattr(apply, "registry", {}).get(object)
        handled = _HANDLED[key] = default is None or apply.dispatch(event_type) is not default
    return handled


def _plainly(model: ModuleType, event: object, db: Database, position: int) -> None:
    model.apply(event, db, position)


def _carefully(model: ModuleType, event: object, db: Database, position: int, *,
               found: list[dict]) -> None:
    try:
        with db.atomic():  # a savepoint: a fault leaves none of its rows behind
            model.apply(event, db, position)
    except sqlite3.OperationalError:
        raise
    except Exception as error:  # noqa: BLE001 - recorded and logged as a fault
        fault = _fault(model.NAME, position, type(event).__qualname__,
                       getattr(event, "originator_id", ""), error)
        record_fault(db, fault)
        found.append(fault)


def _fault(model: str, position: int, event: str, originator_id: object,
           error: Exception) -> dict:
    return {"model": model, "position": position, "event": event,
            "originator_id": str(originator_id), "error": f"{type(error).__name__}: {error}"}


def record_fault(db: Database, fault: dict) -> None:
    db.execute(f"INSERT OR REPLACE INTO {FAULTS} (model, position, event, originator_id, error)"
               " VALUES (:model, :position, :event, :originator_id, :error)", fault)
    log.error("read model cannot apply an event: set aside", extra=fault)


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
        self._staged: Applied | None = None  # applied in the open transaction, uncommitted

    @property
    def position(self) -> int:
        return min(self.positions.values(), default=0)

    def stage(self, batch: Applied) -> None:
        """Applies a batch being appended, in a transaction left open: `apply_recorded`
        commits it once the log has the batch durably, anything else rolls it back. A batch
        that does not follow on, or that some read model cannot apply, is left to them. It
        raises nothing: the caller must go on to read the append's answer."""
        try:
            self.unstage()
            if not self._follows(batch):
                return
            self.db.begin()
            _apply(self.db, self.models, self.positions, batch, _plainly)
        except Exception:  # noqa: BLE001 - projected after the append, the careful way
            if self.db.conn.in_transaction:
                self.db.rollback()
            return
        self._staged = batch

    def unstage(self) -> None:
        if self._staged is not None:
            self._staged = None
            self.db.rollback()

    def apply_recorded(self, recorded: Applied,
                       on_batch: Callable[[Applied], None] | None = None) -> int:
        """Project events this process just saved without reading them back from the log,
        when they directly follow the tracked position; otherwise catch up from the log."""
        staged, self._staged = self._staged, None
        if staged is not None:
            if not _same(staged, recorded):
                self.db.rollback()
            else:
                try:
                    self.db.commit()
                except BaseException:
                    self.db.rollback()
                    raise
                return self._projected(recorded, [], on_batch)
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
                   on_batch: Callable[[Applied], None] | None) -> int:
        """After a batch's commit: positions, faults, and who hears of it."""
        for model in self.models:
            self.positions[model.NAME] = max(self.positions[model.NAME], batch[-1][1])
        self.faults += faults
        self.on_projected(len(batch))
        if on_batch is not None:
            on_batch(batch)
        return len(batch)

    def catch_up(self, stop: int | None = None,
                 on_batch: Callable[[Applied], None] | None = None) -> int:
        """Apply everything after the tracked positions (up to `stop`); return how many."""
        self.unstage()
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
            fault = _fault("*", notification.id, notification.topic,
                           notification.originator_id, error)
            with self.db.atomic():
                record_fault(self.db, fault)
            self.faults.append(fault)
            return Undecodable()


def _same(staged: Applied, recorded: Applied) -> bool:
    """The very events staged, at the positions the log gave them."""
    return len(staged) == len(recorded) and all(
        a[0] is b[0] and a[1] == b[1] for a, b in zip(staged, recorded, strict=True))


def _nothing(count: int) -> None:
    pass


class Undecodable:
    """Stands in for an event that cannot be decoded: no read model applies it."""
