"""What waits in the update queues, seen whole rather than read: the webhook worker's look at
a queue's heads, a negative offset's ids, the retention's stale queues. The rows are the
`updates` read model's (projections/updates.py)."""
from collections.abc import Collection

from sqlite_utils import Database


def stale_queues(db: Database, before: int) -> list[str]:
    """The bots whose queues hold an update queued before `before` (unix ms)."""
    return [row[0] for row in db.execute(
        "SELECT DISTINCT u.address FROM updates u JOIN accounts a ON a.fingerprint = u.address"
        " AND a.kind = 'bot' WHERE u.ms < ? AND u.in_flight = 0", (before,))]


def slice_end(db: Database, address: str, before: int, size: int) -> int | None:
    """Where a slice of at most `size` of a queue's updates queued before `before` ends (unix
    ms, exclusive), or None if they all fit. Updates queued in the same millisecond stay in
    one slice, so a slice is never empty."""
    rows = db.execute("SELECT ms FROM updates WHERE address = ? AND in_flight = 0 AND ms < ?"
                      " ORDER BY ms LIMIT 2 OFFSET ?", (address, before, size - 1)).fetchall()
    if len(rows) < 2:
        return None
    last, after = rows[0][0], rows[1][0]
    return after if after > last else last + 1


def pending_ids(db: Database, address: str) -> list[int]:
    """Every update id waiting in a queue, oldest first (a negative offset keeps the last)."""
    return [row[0] for row in db.execute(
        "SELECT update_id FROM updates WHERE address = ? AND in_flight = 0 ORDER BY update_id",
        (address,))]


def heads(db: Database, address: str, limit: int, skip: Collection[int] = ()
          ) -> list[tuple[int, str]]:
    """(update_id, chat) of what waits, oldest first, without reading the messages (the
    webhook worker's look at a queue, after every delivery); the chat is the other party."""
    skipping = f" AND u.update_id NOT IN ({', '.join('?' * len(skip))})" if skip else ""
    return [(row[0], row[1] or "") for row in db.execute(
        "SELECT u.update_id, CASE WHEN a.fingerprint = ?1 THEN m.to_address ELSE a.fingerprint"
        " END FROM updates u LEFT JOIN messages m ON m.id = u.message_id"
        f" LEFT JOIN accounts a ON a.id = m.sender_id WHERE u.address = ?1 AND u.in_flight = 0"
        f"{skipping} ORDER BY u.update_id LIMIT ?", (address, *skip, limit))]
