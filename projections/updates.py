"""One update queue per address: a bot's getUpdates and a user's inbox.

update_id is assigned here, in log order, from 1 per address, so a rebuild repeats it.
A message a user received on a live socket is not queued (featherChat's deliver_or_queue).
"""
from functools import singledispatch

from sqlite_utils import Database

from domain.messages import Message
from domain.updates import UpdateQueue
from projections.messages import COLUMNS, JOIN_SENDER, as_item

NAME = "updates"
VERSION = 1  # raise when the tables or their rows change: the projector replays it
TABLES = ("updates", "update_counters")


def create(db: Database) -> None:
    db.table("updates").create(
        {"address": str, "update_id": int, "message_id": str, "position": int},
        pk=("address", "update_id"), if_not_exists=True)
    db.table("update_counters").create({"address": str, "last": int}, pk="address",
                                       if_not_exists=True)
    # The counter follows every insert inside SQLite: one statement per queued update.
    db.execute("CREATE TRIGGER IF NOT EXISTS update_counted AFTER INSERT ON updates BEGIN"
               " INSERT INTO update_counters (address, last) VALUES (NEW.address, NEW.update_id)"
               " ON CONFLICT (address) DO UPDATE SET last = NEW.update_id; END")


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: Message.Sent, db: Database, position: int) -> None:
    if not event.delivered:
        _enqueue(db, event.to, str(event.originator_id), position)


@apply.register
def _(event: Message.DeliveryFailed, db: Database, position: int) -> None:
    _enqueue(db, event.to, str(event.originator_id), position)


def _enqueue(db: Database, address: str, message_id: str, position: int) -> None:
    # Numbered from a counter row, not max(update_id): confirmed rows are deleted.
    db.execute(
        "INSERT INTO updates (address, update_id, message_id, position) VALUES (?1,"
        " COALESCE((SELECT last FROM update_counters WHERE address = ?1), 0) + 1, ?2, ?3)",
        (address, message_id, position))


@apply.register
def _(event: UpdateQueue.UpdatesConfirmed, db: Database, position: int) -> None:
    db.execute("DELETE FROM updates WHERE address = ? AND update_id <= ?",
               (event.address, event.up_to))


def addresses_touched(events: list) -> set[str]:
    """The queues that new events may have filled: whose long polls to wake."""
    return {event.to for event in events
            if isinstance(event, (Message.Sent, Message.DeliveryFailed))}


# Queries

def pending(db: Database, address: str, limit: int) -> list[dict]:
    rows = db.execute(
        f"SELECT u.update_id, {COLUMNS} FROM updates u JOIN messages m ON m.id = u.message_id"
        f" {JOIN_SENDER} WHERE u.address = ? ORDER BY u.update_id LIMIT ?",
        (address, limit)).fetchall()
    return [as_item(row) for row in rows]
