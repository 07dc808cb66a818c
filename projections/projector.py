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

Read models tracked past the log's last position were built from a history the log no
longer holds (a log restored from a backup): they are dropped and replayed, or new events
would hide behind the old positions, answered but never readable.
"""
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from types import ModuleType

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from sqlite_utils import Database

from projections import READ_MODELS

Applied = Sequence[tuple[object, int]]
log = logging.getLogger(__name__)
FAULTS = "projection_faults"
_TRACK_ROWS = ("INSERT INTO tracking (name, position, version) VALUES {rows} ON CONFLICT (name)"
               " DO UPDATE SET position = excluded.position, version = excluded.version")
_TRACK = _TRACK_ROWS.format(rows="(?, ?, ?)")


def discard_ahead(db: Database, models: Sequence[ModuleType], last: int) -> None:
    """Drop every read model (and its faults) if one is tracked past `last`, the log's end."""
    if not db["tracking"].exists():
        return
    ahead = {row["name"]: row["position"] for row in db.execute(
        "SELECT name, position FROM tracking WHERE position > ?", (last,))}
    if not ahead:
        return
    log.warning("read models are ahead of the log (restored from a backup?): replaying them",
                extra={"log_position": last, "read_models": ahead})
    with db.atomic():
        for model in models:
            _drop(db, model)
        db.execute(f"DELETE FROM {FAULTS} WHERE model = '*' AND position > ?", (last,))


def _drop(db: Database, model: ModuleType) -> None:
    for table in model.TABLES:
        db.execute(f"DROP TABLE IF EXISTS [{table}]")
    db.execute("DELETE FROM tracking WHERE name = ?", (model.NAME,))
    if db[FAULTS].exists():
        db.execute(f"DELETE FROM {FAULTS} WHERE model = ?", (model.NAME,))


def create_tables(db: Database, models: Iterable[ModuleType] = READ_MODELS) -> None:
    db.table("tracking").create({"name": str, "position": int, "version": int}, pk="name",
                                if_not_exists=True)
    db.table(FAULTS).create({"model": str, "position": int, "event": str, "originator_id": str,
                             "error": str}, pk=("model", "position"), if_not_exists=True)
    for model in models:
        row = db.execute("SELECT version FROM tracking WHERE name = ?", (model.NAME,)).fetchone()
        if row is not None and row["version"] != model.VERSION:
            log.warning("read model schema changed: replaying it from the log",
                        extra={"read_model": model.NAME, "from": row["version"],
                               "to": model.VERSION})
            with db.atomic():
                _drop(db, model)
        model.create(db)


def track(db: Database, model: ModuleType, position: int) -> None:
    db.execute(_TRACK, (model.NAME, position, model.VERSION))


def track_all(db: Database, models: Sequence[ModuleType], position: int) -> None:
    """Every read model's position in one statement (one call into SQLite per batch)."""
    if not models:
        return
    db.execute(_TRACK_ROWS.format(rows=", ".join(["(?, ?, ?)"] * len(models))),
               [value for model in models for value in (model.NAME, position, model.VERSION)])


def tracked_positions(db: Database, models: Iterable[ModuleType] = READ_MODELS) -> dict[str, int]:
    rows = {row["name"]: row["position"] for row in db.execute("SELECT * FROM tracking")}
    return {model.NAME: rows.get(model.NAME, 0) for model in models}


def faults(db: Database) -> list[dict]:
    return [dict(row) for row in db.execute(f"SELECT * FROM {FAULTS} ORDER BY position")]


def copy_faults(db: Database, schema: str, model: ModuleType) -> None:
    """A read model's faults as found by the build in the attached `schema` (a one-model
    rebuild): the old ones go with the rows they stood for."""
    db.execute(f"DELETE FROM main.{FAULTS} WHERE model = ?", (model.NAME,))
    db.execute(f"INSERT INTO main.{FAULTS} (model, position, event, originator_id, error)"
               f" SELECT model, position, event, originator_id, error FROM [{schema}].{FAULTS}"
               " WHERE model = ?", (model.NAME,))


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
    for model in models:
        positions[model.NAME] = max(positions[model.NAME], batch[-1][1])
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

    @property
    def position(self) -> int:
        return min(self.positions.values(), default=0)

    def apply_recorded(self, recorded: Applied,
                       on_batch: Callable[[Applied], None] | None = None) -> int:
        """Project events this process just saved without reading them back from the log,
        when they directly follow the tracked position; otherwise catch up from the log."""
        if not recorded:  # a batch whose commands all failed: nothing new, no query
            return 0
        if recorded[0][1] == self.position + 1 and all(
                b[1] == a[1] + 1 for a, b in zip(recorded, recorded[1:], strict=False)):
            self.faults += project(self.db, self.models, self.positions, recorded)
            self.on_projected(len(recorded))
            if on_batch is not None:
                on_batch(recorded)
            return len(recorded)
        return self.catch_up(on_batch=on_batch)

    def catch_up(self, stop: int | None = None,
                 on_batch: Callable[[Applied], None] | None = None) -> int:
        """Apply everything after the tracked positions (up to `stop`); return how many."""
        count = 0
        while True:
            notifications = self.recorder.select_notifications(
                start=self.position, limit=self.batch_size, stop=stop, inclusive_of_start=False)
            if not notifications:
                return count
            batch = [(self._decode(n), n.id) for n in notifications]
            self.faults += project(self.db, self.models, self.positions, batch)
            self.on_projected(len(batch))
            count += len(batch)
            if on_batch is not None:
                on_batch(batch)

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


def _nothing(count: int) -> None:
    pass


class Undecodable:
    """Stands in for an event that cannot be decoded: no read model applies it."""
