"""`replay rebuild` and `replay verify`: the live projection code, run from position 0.

A rebuild fills a fresh file, then swaps it in: the whole file for every read model, or one
read model's tables in one transaction. Those are recreated as the model's create() made them
in the fresh file, since the live ones may have an older schema, and filled by column name.
Verify rebuilds into a scratch file up to the live tracked positions and compares table by
table: the columns, then the rows by column name (never by position, which a reordered
schema would fool).
"""
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from eventsourcing.persistence import ApplicationRecorder, Mapper
from sqlite_utils import Database
from tqdm import tqdm

from projections import READ_MODELS
from projections.db import PROJECTIONS_FILE, open_projections
from projections.files import store_dir
from projections.projector import Projector
from projections.tracking import FAULTS, copy_faults, faults, track, tracked_positions
from replay import filecheck


def build(recorder: ApplicationRecorder, mapper: Mapper, path: Path,
          models: Sequence[ModuleType] = READ_MODELS, stop: int | None = None,
          progress: bool = True) -> int:
    """Project the log into a new file at `path`; return how many events were applied."""
    db = open_projections(path)
    try:
        projector = Projector(recorder, mapper, db, models, batch_size=5000)
        total = (stop if stop is not None else recorder.max_notification_id() or 0)
        # on stderr, and only on a terminal (disable=None), so logs and pipes stay clean
        with tqdm(total=total, unit="ev", disable=None if progress else True, desc="rebuild",
                  mininterval=0.5) as bar:
            return projector.catch_up(stop=stop, on_batch=lambda batch: bar.update(len(batch)))
    finally:
        db.close()


def rebuild(recorder: ApplicationRecorder, mapper: Mapper, data: Path,
            models: Sequence[ModuleType] = READ_MODELS, progress: bool = True) -> int:
    live = data / PROJECTIONS_FILE
    fresh = data / (PROJECTIONS_FILE + ".rebuild")
    _remove(fresh)
    count = build(recorder, mapper, fresh, models, progress=progress)
    if list(models) == list(READ_MODELS):
        swap_in(fresh, live)
    else:
        _swap_tables(live, fresh, models)
        _remove(fresh)
    return count


def swap_in(fresh: Path, live: Path) -> None:
    """Rename a finished SQLite file over a live one, whose stale journals must not outlive it."""
    for suffix in ("-wal", "-shm"):
        _remove(Path(str(live) + suffix))
    os.replace(fresh, live)


def _swap_tables(live: Path, fresh: Path, models: Sequence[ModuleType]) -> None:
    db = open_projections(live)
    try:
        fresh_db = open_projections(fresh)
        fresh_positions = tracked_positions(fresh_db, models)
        fresh_db.close()
        db.execute("ATTACH DATABASE ? AS fresh", (str(fresh),))
        with db.atomic():
            for model in models:
                _replace_tables(db, model.TABLES)
                copy_faults(db, "fresh", model)
                track(db, model, fresh_positions[model.NAME])
        db.execute("DETACH DATABASE fresh")
    finally:
        db.close()


def _replace_tables(db: Database, tables: Sequence[str]) -> None:
    """Drop the live tables; create them from the fresh file's schema; copy the rows by
    column name; then add their indexes and triggers, so no trigger fires on the copy."""
    marks = ", ".join("?" for _ in tables)
    schema = db.execute("SELECT type, sql FROM fresh.sqlite_master WHERE sql IS NOT NULL"
                        f" AND tbl_name IN ({marks})",
                        tuple(tables)).fetchall()
    for table in tables:
        db.execute(f"DROP TABLE IF EXISTS main.[{table}]")
    for row in schema:
        if row["type"] == "table":
            db.execute(row["sql"])  # stored without a schema name: created in main
    for table in tables:
        names = ", ".join(f"[{name}]" for name in _schema(db, table, "fresh"))
        db.execute(f"INSERT INTO main.[{table}] ({names}) SELECT {names} FROM fresh.[{table}]")
    for row in schema:
        if row["type"] != "table":
            db.execute(row["sql"])


def verify(recorder: ApplicationRecorder, mapper: Mapper, data: Path,
           progress: bool = False, files: Path | None = None) -> list[str]:
    """Differences between the live projections and a rebuild up to their tracked positions,
    and between the file store and what the log says of its files."""
    live = open_projections(data / PROJECTIONS_FILE)
    differences: list[str] = []
    try:
        live.execute("BEGIN")  # one snapshot of a running server's projections for the compare
        positions = tracked_positions(live, READ_MODELS)
        with tempfile.TemporaryDirectory() as scratch:
            for stop in sorted(set(positions.values())):
                models = [m for m in READ_MODELS if positions[m.NAME] == stop]
                path = Path(scratch) / f"verify-{stop}.db"
                build(recorder, mapper, path, models, stop=stop, progress=progress)
                rebuilt = open_projections(path)
                for model in models:
                    for table in model.TABLES:
                        differences += _compare(table, live, rebuilt)
                differences += _compare_faults(live, rebuilt, models, stop,
                                               undecodable=stop == max(positions.values()))
                rebuilt.close()
        differences += filecheck.differences(live, store_dir(data, files))
    finally:
        live.conn.rollback()
        live.close()
    return differences


def _compare(table: str, live: Database, rebuilt: Database, shown: int = 10) -> list[str]:
    live_columns, rebuilt_columns = _schema(live, table), _schema(rebuilt, table)
    out = _schema_differences(table, live_columns, rebuilt_columns)
    columns = [c for c in rebuilt_columns if c in live_columns or not live_columns]
    if not columns:
        return out
    names = ", ".join(f"[{name}]" for name in columns)
    live_rows = _rows(live, table, names) if live_columns else set()
    rebuilt_rows = _rows(rebuilt, table, names)
    for label, extra in (("only in projections.db", live_rows - rebuilt_rows),
                         ("only in the rebuild", rebuilt_rows - live_rows)):
        for row in sorted(extra, key=repr)[:shown]:
            out.append(f"{table}: {label}: {dict(zip(columns, row, strict=True))}")
        if len(extra) > shown:
            out.append(f"{table}: {label}: ... and {len(extra) - shown} more rows")
    return out


def _compare_faults(live: Database, rebuilt: Database, models: Sequence[ModuleType],
                    stop: int, undecodable: bool) -> list[str]:
    """The events each read model set aside (what /health shows): a fault the live server
    keeps and a rebuild does not find, or the other way round, is a difference too. Events
    no read model could decode (model `*`) are compared once, with the furthest build."""
    names = {model.NAME for model in models} | ({"*"} if undecodable else set())

    def found(db: Database) -> set[tuple]:
        if not db[FAULTS].exists():
            return set()
        return {(f["model"], f["position"], f["event"], f["originator_id"]) for f in faults(db)
                if f["model"] in names and f["position"] <= stop}

    mine, theirs = found(live), found(rebuilt)
    return [f"projection_faults: {label}: model {f[0]} at position {f[1]} ({f[2]} {f[3]})"
            for label, extra in (("only in projections.db", mine - theirs),
                                 ("only in the rebuild", theirs - mine))
            for f in sorted(extra)]


def _schema(db: Database, table: str, schema: str = "main") -> dict[str, str]:
    """Column name → declared type, in order; empty when the table does not exist."""
    return {row["name"]: row["type"].upper()
            for row in db.execute(f"PRAGMA {schema}.table_info([{table}])")}


def _schema_differences(table: str, live: dict[str, str], rebuilt: dict[str, str]) -> list[str]:
    if not live:
        return [f"{table}: schema differs: the table is missing from projections.db"]
    found = []
    for label, mine, other in (("projections.db", live, rebuilt), ("the rebuild", rebuilt, live)):
        extra = [f"{name} {kind}" for name, kind in mine.items() if name not in other]
        if extra:
            found.append(f"columns only in {label}: {', '.join(extra)}")
    found += [f"column {name} is {live[name]} in projections.db, {kind} in the rebuild"
              for name, kind in rebuilt.items() if name in live and live[name] != kind]
    return [f"{table}: schema differs: {difference}" for difference in found]


def _rows(db: Database, table: str, names: str) -> set[tuple]:
    return {tuple(row) for row in db.execute(f"SELECT {names} FROM [{table}]")}


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
