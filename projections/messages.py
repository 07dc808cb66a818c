"""Messages as their recipients read them, with the sender joined from the directory."""
import json
from functools import singledispatch

import orjson
from sqlite_utils import Database

from domain.messages import Message

NAME = "messages"
VERSION = 1  # raise when the tables or their rows change: the projector replays it
TABLES = ("messages",)


def create(db: Database) -> None:
    db.table("messages").create(
        {"id": str, "sender_id": str, "to_address": str, "content": str, "delivered": int,
         "date": int, "position": int},
        pk="id", if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: Message.Sent, db: Database, position: int) -> None:
    db.execute(
        "INSERT INTO messages (id, sender_id, to_address, content, delivered, date, position)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (str(event.originator_id), event.sender_id, event.to, _dumps(event.content),
         int(event.delivered), int(event.timestamp.timestamp()), position))


def _dumps(content: dict) -> str:
    """orjson, but never a poison event: what it cannot encode (an int past 64 bits) the
    standard library can, so one odd value never stops the projector."""
    try:
        return orjson.dumps(content).decode()
    except TypeError:
        return json.dumps(content, separators=(",", ":"))


@apply.register
def _(event: Message.DeliveryFailed, db: Database, position: int) -> None:
    db.execute("UPDATE messages SET delivered = 0 WHERE id = ?", (str(event.originator_id),))


# Queries

COLUMNS = ("m.to_address, m.content, m.delivered, m.date, a.fingerprint AS sender_fp,"
           " a.kind = 'bot' AS sender_is_bot, a.name AS sender_name")
JOIN_SENDER = "LEFT JOIN accounts a ON a.id = m.sender_id"  # never hide a message


def get(db: Database, message_id: str) -> dict | None:
    row = db.execute(f"SELECT m.id, {COLUMNS} FROM messages m {JOIN_SENDER} WHERE m.id = ?",
                     (message_id,)).fetchone()
    return as_item(row) if row is not None else None


def as_item(row) -> dict:
    item = dict(row)
    item["content"] = orjson.loads(item["content"]) if item["content"] is not None else {}
    return item
