"""The projector: applies new log notifications to every read model, exactly once.

Each batch of events commits with each read model's tracking position in one transaction,
so a crash resumes where it stopped. The same code runs live (after every append, before
the HTTP answer) and in `replay rebuild`. A read model whose VERSION changed since its rows
were written is dropped and replayed from the log when the projector opens.
"""
import logging
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType

from eventsourcing.persistence import ApplicationRecorder, Mapper
from sqlite_utils import Database

from projections import READ_MODELS

Applied = Sequence[tuple[object, int]]
log = logging.getLogger(__name__)
_TRACK = ("INSERT INTO tracking (name, position, version) VALUES (?, ?, ?) ON CONFLICT (name)"
          " DO UPDATE SET position = excluded.position, version = excluded.version")


def create_tables(db: Database, models: Iterable[ModuleType] = READ_MODELS) -> None:
    db.table("tracking").create({"name": str, "position": int, "version": int}, pk="name",
                                if_not_exists=True)
    for model in models:
        row = db.execute("SELECT version FROM tracking WHERE name = ?", (model.NAME,)).fetchone()
        if row is not None and row["version"] != model.VERSION:
            log.warning("read model schema changed: replaying it from the log",
                        extra={"read_model": model.NAME, "from": row["version"],
                               "to": model.VERSION})
            with db.atomic():
                for table in model.TABLES:
                    db.execute(f"DROP TABLE IF EXISTS [{table}]")
                db.execute("DELETE FROM tracking WHERE name = ?", (model.NAME,))
        model.create(db)


def track(db: Database, model: ModuleType, position: int) -> None:
    db.execute(_TRACK, (model.NAME, position, model.VERSION))


def tracked_positions(db: Database, models: Iterable[ModuleType] = READ_MODELS) -> dict[str, int]:
    rows = {row["name"]: row["position"] for row in db.execute("SELECT * FROM tracking")}
    return {model.NAME: rows.get(model.NAME, 0) for model in models}


def project(db: Database, models: Sequence[ModuleType], positions: dict[str, int],
            batch: Applied) -> None:
    """Apply one batch to each read model still behind it, and track, in one transaction."""
    with db.atomic():
        for model in models:
            done = positions[model.NAME]
            for event, position in batch:
                if position > done:
                    model.apply(event, db, position)
            last = batch[-1][1]
            if last > done:
                track(db, model, last)
    for model in models:
        positions[model.NAME] = max(positions[model.NAME], batch[-1][1])


class Projector:
    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper, db: Database,
                 models: Sequence[ModuleType] = READ_MODELS, batch_size: int = 1000) -> None:
        self.recorder, self.mapper, self.db = recorder, mapper, db
        self.models, self.batch_size = models, batch_size
        create_tables(db, models)
        self.positions = tracked_positions(db, models)

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
            project(self.db, self.models, self.positions, recorded)
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
            batch = [(self.mapper.to_domain_event(n), n.id) for n in notifications]
            project(self.db, self.models, self.positions, batch)
            count += len(batch)
            if on_batch is not None:
                on_batch(batch)
