"""Where each read model stands: its `tracking` row (position and VERSION) and the events it
set aside (`projection_faults`), kept in the projections file beside its rows, so that they
commit together (projections/projector.py)."""
import logging
from collections.abc import Iterable, Sequence
from types import ModuleType

from sqlite_utils import Database

from projections import READ_MODELS

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
