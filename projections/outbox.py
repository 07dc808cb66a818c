"""The webhook outbox: each address's webhook, and each undelivered update's last failure
and when to try it next. What waits to be delivered is the address's update queue itself
(projections/updates.py): one queue, whether a bot polls or is pushed to; a delivery takes
the update out of it."""
from functools import singledispatch

from sqlite_utils import Database

from domain.webhooks import Webhook

NAME = "outbox"
VERSION = 1  # raise when the tables or their rows change: the projector replays it
TABLES = ("webhooks", "webhook_retries")


def create(db: Database) -> None:
    db.table("webhooks").create(
        {"address": str, "url": str, "secret": str, "max_connections": int, "dialect": str,
         "last_error_date": int, "last_error_message": str}, pk="address", if_not_exists=True)
    db.table("webhook_retries").create(
        {"address": str, "update_id": int, "attempts": int, "retry_at": float},
        pk=("address", "update_id"), if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: Webhook.Set, db: Database, position: int) -> None:
    db.execute("INSERT INTO webhooks (address, url, secret, max_connections, dialect)"
               " VALUES (?, ?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET url = excluded.url,"
               " secret = excluded.secret, max_connections = excluded.max_connections,"
               " dialect = excluded.dialect",
               (event.address, event.url, event.secret, event.max_connections, event.dialect))


@apply.register
def _(event: Webhook.Deleted, db: Database, position: int) -> None:
    db.execute("DELETE FROM webhooks WHERE address = ?", (event.address,))
    db.execute("DELETE FROM webhook_retries WHERE address = ?", (event.address,))


@apply.register
def _(event: Webhook.Delivered, db: Database, position: int) -> None:
    db.execute("DELETE FROM webhook_retries WHERE address = ? AND update_id = ?",
               (event.address, event.update_id))


@apply.register
def _(event: Webhook.DeliveryFailed, db: Database, position: int) -> None:
    db.execute("INSERT INTO webhook_retries (address, update_id, attempts, retry_at)"
               " VALUES (?, ?, ?, ?) ON CONFLICT (address, update_id) DO UPDATE SET"
               " attempts = excluded.attempts, retry_at = excluded.retry_at",
               (event.address, event.update_id, event.attempt, event.retry_at))
    db.execute("UPDATE webhooks SET last_error_date = ?, last_error_message = ?"
               " WHERE address = ?",
               (int(event.timestamp.timestamp()), event.error, event.address))


# Queries

def webhook(db: Database, address: str) -> dict | None:
    row = db.execute("SELECT * FROM webhooks WHERE address = ?", (address,)).fetchone()
    return dict(row) if row is not None else None


def addresses(db: Database) -> list[str]:
    """Every address with a webhook (the worker's round after a start)."""
    return [row[0] for row in db.execute("SELECT address FROM webhooks")]


def retries(db: Database, address: str) -> dict[int, tuple[int, float]]:
    """update_id → (attempts so far, when to try next)."""
    return {row[0]: (row[1], row[2]) for row in db.execute(
        "SELECT update_id, attempts, retry_at FROM webhook_retries WHERE address = ?",
        (address,))}
