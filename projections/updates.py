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
TABLES = ("updates", "update_counters")


def create(db: Database) -> None:
    db.table("updates").create(
        {"address": str, "update_id": int, "message_id": str, "position": int},
        pk=("address", "update_id"), if_not_exists=True)
    db.table("update_counters").create({"address": str, "last": int}, pk="address", if_not_exists=True)


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
    # A counter row, not max(update_id): confirmed rows are deleted.
    update_id = db.execute(
        "INSERT INTO update_counters (address, last) VALUES (?, 1)"
        " ON CONFLICT (address) DO UPDATE SET last = last + 1 RETURNING last",
        (address,)).fetchone()[0]
    db.execute("INSERT INTO updates (address, update_id, message_id, position) VALUES (?, ?, ?, ?)",
               (address, update_id, message_id, position))


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
