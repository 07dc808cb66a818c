"""`replay rebuild` and `replay verify`: the live projection code, run from position 0.

A rebuild fills a fresh file, then swaps it in: the whole file for every read model, or one
read model's tables in one transaction. Verify rebuilds into a scratch file up to the live
tracked positions and compares table by table, row by row.
"""
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from eventsourcing.persistence import ApplicationRecorder, Mapper
from tqdm import tqdm

from projections import READ_MODELS
from projections.db import PROJECTIONS_FILE, open_projections
from projections.projector import Projector, track, tracked_positions


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
        for suffix in ("-wal", "-shm"):  # stale journals of the old file must not outlive it
            _remove(Path(str(live) + suffix))
        os.replace(fresh, live)
    else:
        _swap_tables(live, fresh, models)
        _remove(fresh)
    return count


def _swap_tables(live: Path, fresh: Path, models: Sequence[ModuleType]) -> None:
    db = open_projections(live)
    try:
        fresh_db = open_projections(fresh)
        fresh_positions = tracked_positions(fresh_db, models)
        fresh_db.close()
        db.execute("ATTACH DATABASE ? AS fresh", (str(fresh),))
        with db.atomic():
            for model in models:
                model.create(db)
                for table in model.TABLES:
                    db.execute(f"DELETE FROM main.[{table}]")
                    db.execute(f"INSERT INTO main.[{table}] SELECT * FROM fresh.[{table}]")
                track(db, model, fresh_positions[model.NAME])
        db.execute("DETACH DATABASE fresh")
    finally:
        db.close()


def verify(recorder: ApplicationRecorder, mapper: Mapper, data: Path,
           progress: bool = False) -> list[str]:
    """Differences between the live projections and a rebuild up to their tracked positions."""
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
                rebuilt.close()
    finally:
        live.conn.rollback()
        live.close()
    return differences


def _compare(table: str, live, rebuilt, shown: int = 10) -> list[str]:
    def rows(db) -> set[tuple]:
        if not db.table(table).exists():
            return set()
        return {tuple(row) for row in db.execute(f"SELECT * FROM [{table}]")}

    columns = [c.name for c in rebuilt[table].columns]
    live_rows, rebuilt_rows = rows(live), rows(rebuilt)
    out = []
    for label, extra in (("only in projections.db", live_rows - rebuilt_rows),
                         ("only in the rebuild", rebuilt_rows - live_rows)):
        for row in sorted(extra, key=repr)[:shown]:
            out.append(f"{table}: {label}: {dict(zip(columns, row, strict=True))}")
        if len(extra) > shown:
            out.append(f"{table}: {label}: ... and {len(extra) - shown} more rows")
    return out


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
