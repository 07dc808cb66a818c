"""One update queue per address: a bot's getUpdates and a user's inbox.

update_id is assigned here, in log order, from 1 per address, so a rebuild repeats it.
A message pushed on a user's live socket is queued too, but `in_flight`: inbox reads skip it
until the client acknowledges it (the row goes) or the push fails (the row shows, keeping
its place in the queue).
"""
from collections.abc import Collection
from functools import singledispatch

from sqlite_utils import Database

from domain.messages import Message
from domain.updates import UpdateQueue
from projections.messages import COLUMNS, JOIN_SENDER, as_item

NAME = "updates"
VERSION = 2  # raise when the tables or their rows change: the projector replays it
TABLES = ("updates", "update_counters")


def create(db: Database) -> None:
    db.table("updates").create(
        {"address": str, "update_id": int, "message_id": str, "position": int,
         "in_flight": int},
        pk=("address", "update_id"), if_not_exists=True)
    db.table("updates").create_index(["message_id"], if_not_exists=True)
    db.table("update_counters").create({"address": str, "last": int}, pk="address",
                                       if_not_exists=True)
    # The counter follows every insert inside SQLite: one statement per queued update. An
    # update given back under its old id never lowers it.
    db.execute("CREATE TRIGGER IF NOT EXISTS update_counted AFTER INSERT ON updates BEGIN"
               " INSERT INTO update_counters (address, last) VALUES (NEW.address, NEW.update_id)"
               " ON CONFLICT (address) DO UPDATE SET last = max(last, NEW.update_id); END")


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: Message.Sent, db: Database, position: int) -> None:
    # Numbered from a counter row, not max(update_id): confirmed rows are deleted.
    db.execute(
        "INSERT INTO updates (address, update_id, message_id, position, in_flight) VALUES (?1,"
        " COALESCE((SELECT last FROM update_counters WHERE address = ?1), 0) + 1, ?2, ?3, ?4)",
        (event.to, str(event.originator_id), position, int(event.delivered)))


@apply.register
def _(event: Message.DeliveryFailed, db: Database, position: int) -> None:
    db.execute("UPDATE updates SET in_flight = 0 WHERE message_id = ?",
               (str(event.originator_id),))


@apply.register
def _(event: Message.Received, db: Database, position: int) -> None:
    db.execute("DELETE FROM updates WHERE message_id = ? AND in_flight = 1",
               (str(event.originator_id),))


@apply.register
def _(event: UpdateQueue.UpdatesConfirmed, db: Database, position: int) -> None:
    if event.update_ids:
        db.conn.executemany("DELETE FROM updates WHERE address = ? AND update_id = ?",
                            [(event.address, update_id) for update_id in event.update_ids])
    else:
        db.execute("DELETE FROM updates WHERE address = ? AND update_id <= ? AND in_flight = 0",
                   (event.address, event.up_to))


@apply.register
def _(event: UpdateQueue.UpdatesReturned, db: Database, position: int) -> None:
    db.conn.executemany(
        "INSERT OR IGNORE INTO updates (address, update_id, message_id, position, in_flight)"
        " VALUES (?, ?, ?, ?, 0)",
        [(event.address, update_id, message_id, position)
         for update_id, message_id in event.updates])


def addresses_touched(events: list) -> set[str]:
    """The queues that new events may have filled: whose long polls to wake."""
    return {event.to for event in events
            if isinstance(event, Message.DeliveryFailed)
            or (isinstance(event, Message.Sent) and not event.delivered)} | {
        event.address for event in events if isinstance(event, UpdateQueue.UpdatesReturned)}


# Queries

_ITEMS = (f"SELECT u.update_id, u.message_id AS id, {COLUMNS} FROM updates u"
          f" LEFT JOIN messages m ON m.id = u.message_id {JOIN_SENDER}")


def pending(db: Database, address: str, limit: int,
            skip: Collection[int] = ()) -> list[dict]:
    """What a read of the queue returns, oldest first: every row that is not in flight (outer
    joins: a row is never skipped, or a confirmation would remove what nobody saw), except
    the update ids in `skip` (handed out already, their confirmation on its way)."""
    skipping = f" AND u.update_id NOT IN ({', '.join('?' * len(skip))})" if skip else ""
    rows = db.execute(f"{_ITEMS} WHERE u.address = ? AND u.in_flight = 0{skipping}"
                      " ORDER BY u.update_id LIMIT ?", (address, *skip, limit)).fetchall()
    return [as_item(row) for row in rows]


def in_flight_item(db: Database, message_id: str) -> dict | None:
    """A message being pushed live, with its place in the recipient's queue."""
    row = db.execute(f"{_ITEMS} WHERE u.message_id = ? AND u.in_flight = 1",
                     (message_id,)).fetchone()
    return as_item(row) if row is not None else None


def in_flight(db: Database) -> list[str]:
    """Every message pushed and not yet acknowledged or returned, in log order."""
    return [row[0] for row in db.execute(
        "SELECT message_id FROM updates WHERE in_flight = 1 ORDER BY position")]
