"""Messages as their recipients read them, with the sender joined from the directory."""
import json
from functools import singledispatch

import orjson
from sqlite_utils import Database

from domain.chats import ChatRooms
from domain.clock import millis
from domain.messages import Message

NAME = "messages"
VERSION = 3  # raise when the tables or their rows change: the projector replays it
TABLES = ("messages",)


def create(db: Database) -> None:
    # `chat` and `ms` (unix milliseconds) for Botyard's chat rooms, whose pages are read
    # newest first from an index, so a page costs the same in a chat of any length.
    db.table("messages").create(
        {"id": str, "sender_id": str, "to_address": str, "content": str, "delivered": int,
         "date": int, "position": int, "chat": str, "ms": int},
        pk="id", if_not_exists=True, defaults={"chat": ""})
    db.execute("CREATE INDEX IF NOT EXISTS messages_in_chat ON messages (chat, ms, id)"
               " WHERE chat != ''")
    db.execute("CREATE INDEX IF NOT EXISTS messages_in_chat_by ON messages"
               " (chat, sender_id, ms, id) WHERE chat != ''")
    # The Telegram surface names a message by its position in the log (an int that grows
    # in every chat, the same after a rebuild).
    db.table("messages").create_index(["position"], unique=True, if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: Message.Sent, db: Database, position: int) -> None:
    db.execute(
        "INSERT INTO messages (id, sender_id, to_address, content, delivered, date, position,"
        " chat, ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (str(event.originator_id), event.sender_id, event.to, _dumps(event.content),
         int(event.delivered), int(event.timestamp.timestamp()), position, event.chat,
         millis(event.timestamp)))


@apply.register
def _(event: ChatRooms.Deleted, db: Database, position: int) -> None:
    db.execute("DELETE FROM messages WHERE chat = ?", (event.chat_id,))


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


@apply.register
def _(event: Message.Edited, db: Database, position: int) -> None:
    db.execute("UPDATE messages SET content = ? WHERE id = ?",
               (_dumps(event.content), str(event.originator_id)))


@apply.register
def _(event: Message.Deleted, db: Database, position: int) -> None:
    """Kept, marked deleted (with its server, if a channel's): a notice or a dispatch of the
    delete still names its chat; lists leave it out."""
    db.execute("UPDATE messages SET content = json_object('deleted', json('true'), 'server',"
               " json_extract(content, '$.server')) WHERE id = ?", (str(event.originator_id),))


# Queries

COLUMNS = ("m.to_address, m.content, m.delivered, m.date, m.position, m.sender_id, m.chat, m.ms,"
           " a.fingerprint AS sender_fp, a.kind = 'bot' AS sender_is_bot, a.name AS sender_name,"
           " a.number AS sender_number, r.number AS to_number, r.name AS to_name,"
           " r.kind = 'bot' AS to_is_bot,"
           " (SELECT alias FROM aliases WHERE account_id = a.id LIMIT 1) AS sender_alias,"
           " (SELECT alias FROM aliases WHERE account_id = r.id LIMIT 1) AS to_alias")
# Outer joins: never hide a message (its recipient may be nobody yet, as in featherChat)
JOIN_SENDER = ("LEFT JOIN accounts a ON a.id = m.sender_id"
               " LEFT JOIN accounts r ON r.fingerprint = m.to_address")


def get(db: Database, message_id: str) -> dict | None:
    row = db.execute(f"SELECT m.id, {COLUMNS} FROM messages m {JOIN_SENDER} WHERE m.id = ?",
                     (message_id,)).fetchone()
    return as_item(row) if row is not None else None


def by_position(db: Database, position: int) -> dict | None:
    row = db.execute(f"SELECT m.id, {COLUMNS} FROM messages m {JOIN_SENDER}"
                     " WHERE m.position = ?", (position,)).fetchone()
    return as_item(row) if row is not None else None


def as_item(row) -> dict:
    item = dict(row)
    item["content"] = orjson.loads(item["content"]) if item["content"] is not None else {}
    if item.get("payload") is not None:
        item["payload"] = orjson.loads(item["payload"])
    return item


def chat_item(db: Database, message_id: str) -> dict | None:
    """A channel's or a room's message by its id (the uuid form), with its position."""
    row = db.execute("SELECT id, sender_id, content, ms, chat, position FROM messages"
                     " WHERE id = ? AND chat != ''", (message_id,)).fetchone()
    return as_item(row) if row is not None else None


def in_channel(db: Database, channel_id: str, limit: int, before: int | None = None
               ) -> list[dict]:
    """A channel's messages, newest first, those before the message at `before` (a log
    position) if given; read from the room index, so the cost follows `limit` alone."""
    where, params = "m.chat = ? AND m.chat != ''", list[object]([channel_id])
    where += " AND json_extract(m.content, '$.deleted') IS NULL"
    if before is not None:
        where += (" AND (m.ms, m.id) < (SELECT ms, id FROM messages WHERE position = ?)")
        params.append(before)
    rows = db.execute(f"SELECT m.id, m.sender_id, m.content, m.ms, m.chat, m.position"
                      f" FROM messages m WHERE {where} ORDER BY m.ms DESC, m.id DESC LIMIT ?",
                      [*params, limit]).fetchall()
    return [as_item(row) for row in rows]
