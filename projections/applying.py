"""One batch applied to the read models, each read model's tracking position with it, in one
transaction; an event a read model cannot apply is found and set aside as its fault."""
import logging
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from types import ModuleType

from sqlite_utils import Database

from projections.tracking import FAULTS, track_all

Applied = Sequence[tuple[object, int]]
log = logging.getLogger(__name__)


def project(db: Database, models: Sequence[ModuleType], positions: dict[str, int],
            batch: Applied) -> list[dict]:
    """Apply one batch to each read model still behind it, and track, in one transaction.
    Returns the faults found: events set aside because a read model could not apply them."""
    try:
        with db.atomic():
            apply_batch(db, models, positions, batch, plainly)
        found: list[dict] = []
    except sqlite3.OperationalError:
        raise
    except Exception:  # noqa: BLE001 - some event is a fault: find which, one at a time
        found = []
        with db.atomic():
            apply_batch(db, models, positions, batch, partial(_carefully, found=found))
    return found


def apply_batch(db: Database, models: Sequence[ModuleType], positions: dict[str, int],
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


def plainly(model: ModuleType, event: object, db: Database, position: int) -> None:
    model.apply(event, db, position)


def _carefully(model: ModuleType, event: object, db: Database, position: int, *,
               found: list[dict]) -> None:
    try:
        with db.atomic():  # a savepoint: a fault leaves none of its rows behind
            model.apply(event, db, position)
    except sqlite3.OperationalError:
        raise
    except Exception as error:  # noqa: BLE001 - recorded and logged as a fault
        fault = fault_of(model.NAME, position, type(event).__qualname__,
                         getattr(event, "originator_id", ""), error)
        record_fault(db, fault)
        found.append(fault)


def fault_of(model: str, position: int, event: str, originator_id: object,
             error: Exception) -> dict:
    return {"model": model, "position": position, "event": event,
            "originator_id": str(originator_id), "error": f"{type(error).__name__}: {error}"}


def record_fault(db: Database, fault: dict) -> None:
    db.execute(f"INSERT OR REPLACE INTO {FAULTS} (model, position, event, originator_id, error)"
               " VALUES (:model, :position, :event, :originator_id, :error)", fault)
    log.error("read model cannot apply an event: set aside", extra=fault)


def same_batch(staged: Applied, recorded: Applied) -> bool:
    """The very events staged, at the positions the log gave them."""
    return len(staged) == len(recorded) and all(
        a[0] is b[0] and a[1] == b[1] for a, b in zip(staged, recorded, strict=True))
