"""Botyard's chat rooms and their message pages (botyard.md §1.6).

A page is read newest first from the `messages` index on (chat, ms, id), so page 1 costs
the same in a chat of any length; `total` without `since` comes from a counter kept here
per room and per (room, sender), not from counting the room's rows.
"""
from functools import singledispatch

from sqlite_utils import Database

from domain.chats import ChatRooms
from domain.clock import millis
from domain.messages import Message
from projections.messages import as_item

NAME = "chats"
VERSION = 1  # raise when the tables or their rows change: the projector replays it
TABLES = ("chat_rooms", "chat_counts")


def create(db: Database) -> None:
    db.table("chat_rooms").create(
        {"id": str, "user_id": str, "bot_id": str, "created": int, "position": int},
        pk="id", if_not_exists=True)
    db.table("chat_rooms").create_index(["user_id", "bot_id"], if_not_exists=True)
    db.table("chat_rooms").create_index(["bot_id", "user_id"], if_not_exists=True)
    # sender_id "" counts every message of the room
    db.table("chat_counts").create({"chat": str, "sender_id": str, "n": int},
                                   pk=("chat", "sender_id"), if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: ChatRooms.Opened, db: Database, position: int) -> None:
    db.execute("INSERT INTO chat_rooms (id, user_id, bot_id, created, position)"
               " VALUES (?, ?, ?, ?, ?)", (event.chat_id, event.user_id, event.bot_id,
                                           millis(event.timestamp), position))


@apply.register
def _(event: ChatRooms.Deleted, db: Database, position: int) -> None:
    db.execute("DELETE FROM chat_rooms WHERE id = ?", (event.chat_id,))
    db.execute("DELETE FROM chat_counts WHERE chat = ?", (event.chat_id,))


@apply.register
def _(event: Message.Sent, db: Database, position: int) -> None:
    if event.chat:
        db.conn.executemany(
            "INSERT INTO chat_counts (chat, sender_id, n) VALUES (?, ?, 1)"
            " ON CONFLICT (chat, sender_id) DO UPDATE SET n = n + 1",
            ((event.chat, ""), (event.chat, event.sender_id)))


# Queries

def room(db: Database, chat_id: str) -> dict | None:
    row = db.execute("SELECT * FROM chat_rooms WHERE id = ?", (chat_id,)).fetchone()
    return dict(row) if row is not None else None


def rooms(db: Database, user_id: str, bot_id: str) -> list[dict]:
    """A user's rooms with a bot, oldest first."""
    return [dict(row) for row in db.execute(
        "SELECT * FROM chat_rooms WHERE user_id = ? AND bot_id = ? ORDER BY position",
        (user_id, bot_id))]


def page(db: Database, chat_id: str, page: int, limit: int, sender_id: str,
         since: int) -> tuple[int, list[dict]]:
    """(total, the page's messages oldest to newest): page 1 is the newest `limit`; a limit
    below 0 means no limit, a page below 1 is page 1; `since` is strict (ms > since)."""
    # `chat != ''` lets SQLite use the partial indexes (only rooms' messages are in them)
    where, params = "chat = ? AND chat != ''", list[object]([chat_id])
    if sender_id:
        where += " AND sender_id = ?"
        params.append(sender_id)
    if since:
        where += " AND ms > ?"
        params.append(since)
        total = db.execute(f"SELECT count(*) FROM messages WHERE {where}", params).fetchone()[0]
    else:
        row = db.execute("SELECT n FROM chat_counts WHERE chat = ? AND sender_id = ?",
                         (chat_id, sender_id)).fetchone()
        total = row[0] if row is not None else 0
    offset = max(page - 1, 0) * limit if limit > 0 else 0
    if offset >= 1 << 63:  # past any chat's end (and past what SQLite counts in)
        return total, []
    rows = db.execute(f"SELECT id, sender_id, content, ms FROM messages WHERE {where}"
                      " ORDER BY ms DESC, id DESC LIMIT ? OFFSET ?",
                      [*params, limit, offset]).fetchall()
    return total, [as_item(row) for row in reversed(rows)]


def last_ms(db: Database, chat_id: str) -> int:
    """The time of a room's newest message (0 for none), from the room index's end."""
    row = db.execute("SELECT max(ms) FROM messages WHERE chat = ? AND chat != ''",
                     (chat_id,)).fetchone()
    return row[0] or 0


def message(db: Database, message_id: str) -> dict | None:
    """A room's message by its id (the uuid form), with the room's parties."""
    row = db.execute("SELECT m.id, m.sender_id, m.content, m.ms, m.chat, r.user_id, r.bot_id"
                     " FROM messages m JOIN chat_rooms r ON r.id = m.chat WHERE m.id = ?"
                     " AND m.chat != ''",
                     (message_id,)).fetchone()
    return as_item(row) if row is not None else None
