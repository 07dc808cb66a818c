"""One update queue per address: a bot's getUpdates and a user's inbox.

update_id is assigned here, in log order, from 1 per address, so a rebuild repeats it.
A message pushed on a user's live socket is queued too, but `in_flight`: inbox reads skip it
until the client acknowledges it (the row goes) or the push fails (the row shows, keeping
its place in the queue).
"""
from collections.abc import Collection
from functools import singledispatch
from typing import Any

import orjson
from sqlite_utils import Database

from domain.bots import Bot
from domain.callbacks import Callback
from domain.chats import ChatRooms
from domain.clock import millis
from domain.ids import ulid_of
from domain.messages import Message
from domain.updates import UpdateQueue
from domain.webhooks import Webhook
from projections.messages import COLUMNS, JOIN_SENDER, as_item

NAME = "updates"
VERSION = 6  # raise when the tables or their rows change: the projector replays it
TABLES = ("updates", "update_counters", "update_filters")
# The update types Botbus creates, and those a bot gets when it names none (Telegram's default)
PRODUCED = ("message", "callback_query")
NOT_BY_DEFAULT = ("chat_member", "message_reaction", "message_reaction_count")


def create(db: Database) -> None:
    # `kind`: message, edited, deleted (a recipient told of a bot's edit or delete),
    # callback_query (for a bot), callback_answer (for a user); `payload` what the message
    # row cannot say (a deleted message's chat, a press, an answer).
    db.table("updates").create(
        {"address": str, "update_id": int, "message_id": str, "position": int,
         "in_flight": int, "kind": str, "payload": str, "chat": str, "ms": int},
        pk=("address", "update_id"), if_not_exists=True,
        defaults={"kind": "message", "chat": "", "ms": 0})
    db.table("updates").create_index(["message_id"], if_not_exists=True)
    db.execute("CREATE INDEX IF NOT EXISTS updates_in_chat ON updates (chat) WHERE chat != ''")
    # `ms`: when the update was queued (unix ms), for the retention's sweep
    db.table("updates").create_index(["ms"], if_not_exists=True)
    db.table("update_counters").create({"address": str, "last": int}, pk="address",
                                       if_not_exists=True)
    # One row per update type an address has filtered out (`allowed_updates`)
    db.table("update_filters").create({"address": str, "type": str}, pk=("address", "type"),
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
    if not event.to:  # a channel's message (MaxChat): read from its channel, not a queue
        return
    db.execute(
        "INSERT INTO updates (address, update_id, message_id, position, in_flight, chat, ms)"
        " SELECT ?1, COALESCE((SELECT last FROM update_counters WHERE address = ?1), 0) + 1,"
        " ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1 FROM update_filters WHERE address = ?1"
        " AND type = 'message')",
        (event.to, str(event.originator_id), position, int(event.delivered), event.chat,
         millis(event.timestamp)))


@apply.register
def _(event: ChatRooms.Deleted, db: Database, position: int) -> None:
    """A deleted room's messages are no one's to read or be pushed any more."""
    db.execute("DELETE FROM updates WHERE chat = ?", (event.chat_id,))


@apply.register
def _(event: Bot.Deleted, db: Database, position: int) -> None:
    db.execute("DELETE FROM updates WHERE address = ?", (event.address,))


_NOTICE = ("INSERT INTO updates (address, update_id, message_id, position, in_flight, kind,"
           " payload, ms) SELECT ?1, COALESCE((SELECT last FROM update_counters WHERE"
           " address = ?1), 0) + 1, ?2, ?3, 0, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1 FROM"
           " update_filters WHERE address = ?1 AND type = ?4)")


def _notice(db: Database, event: Any, address: str, message_id: str, position: int, kind: str,
            payload: dict | None = None) -> None:
    db.execute(_NOTICE, (address, message_id, position, kind,
                         orjson.dumps(payload).decode() if payload is not None else None,
                         millis(event.timestamp)))


@apply.register
def _(event: Message.Edited, db: Database, position: int) -> None:
    """An edit of a message still queued changes what the queue shows; one already read is
    told as an `edited` item."""
    message_id = str(event.originator_id)
    if event.to and not _unseen(db, message_id):
        _notice(db, event, event.to, message_id, position, "edited")


@apply.register
def _(event: Message.Deleted, db: Database, position: int) -> None:
    """A message deleted before it was read is simply gone for its recipient; one already
    read is told. Its sender, if someone else deleted it, is told: they wrote it."""
    message_id = str(event.originator_id)
    seen = not _unseen(db, message_id)
    db.execute("DELETE FROM updates WHERE message_id = ? AND kind IN ('message', 'edited')",
               (message_id,))
    if seen and event.to:
        _notice(db, event, event.to, message_id, position, "deleted", {"by": event.by})
    if event.sender:  # the chat, as its sender sees it, is the one with the recipient
        _notice(db, event, event.sender, message_id, position, "deleted",
                {"by": event.by, "chat": event.to})


def _unseen(db: Database, message_id: str) -> bool:
    """Still waiting in its queue (not read, not pushed live)."""
    return db.execute("SELECT 1 FROM updates WHERE message_id = ? AND kind = 'message'"
                      " AND in_flight = 0", (message_id,)).fetchone() is not None


@apply.register
def _(event: Callback.Pressed, db: Database, position: int) -> None:
    _notice(db, event, event.bot_address, event.message_id, position, "callback_query",
            {"id": ulid_of(event.originator_id), "user_id": event.user_id, "data": event.data})


@apply.register
def _(event: Callback.Answered, db: Database, position: int) -> None:
    answer = {"callback_query_id": ulid_of(event.originator_id), "text": event.text,
              "show_alert": event.show_alert, "url": event.url}
    _notice(db, event, event.user_address, "", position, "callback_answer",
            {key: value for key, value in answer.items() if value != ""})


@apply.register
def _(event: Bot.UpdatesFiltered, db: Database, position: int) -> None:
    db.execute("DELETE FROM update_filters WHERE address = ?", (event.address,))
    db.conn.executemany("INSERT INTO update_filters (address, type) VALUES (?, ?)",
                        [(event.address, kind) for kind in blocking(event.allowed)])


def blocking(allowed: list[str]) -> set[str]:
    """The update types Botbus creates that `allowed_updates` leaves out ([]: the default)."""
    return {kind for kind in PRODUCED if kind not in allowed} if allowed else {
        kind for kind in PRODUCED if kind in NOT_BY_DEFAULT}


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
def _(event: Webhook.Delivered, db: Database, position: int) -> None:
    db.execute("DELETE FROM updates WHERE address = ? AND update_id = ?",
               (event.address, event.update_id))


@apply.register
def _(event: UpdateQueue.UpdatesReturned, db: Database, position: int) -> None:
    db.conn.executemany(
        "INSERT OR IGNORE INTO updates (address, update_id, message_id, position, in_flight,"
        " ms) VALUES (?, ?, ?, ?, 0, ?)",
        [(event.address, update_id, message_id, position, millis(event.timestamp))
         for update_id, message_id in event.updates])


@apply.register
def _(event: UpdateQueue.UpdatesExpired, db: Database, position: int) -> None:
    db.execute("DELETE FROM updates WHERE address = ? AND ms < ? AND in_flight = 0",
               (event.address, event.before))


# Queries

_ITEMS = (f"SELECT u.update_id, u.kind, u.payload, u.message_id AS id, {COLUMNS} FROM updates u"
          f" LEFT JOIN messages m ON m.id = u.message_id {JOIN_SENDER}")


def pending(db: Database, address: str, limit: int,
            skip: Collection[int] = (), after: int = 0) -> list[dict]:
    """What a read of the queue returns, oldest first: every row that is not in flight (outer
    joins: a row is never skipped, or a confirmation would remove what nobody saw), except
    the update ids in `skip` (handed out already, their confirmation on its way) and those
    up to `after` (confirmed by an offset whose event is on its way)."""
    skipping = f" AND u.update_id NOT IN ({', '.join('?' * len(skip))})" if skip else ""
    rows = db.execute(f"{_ITEMS} WHERE u.address = ? AND u.in_flight = 0 AND u.update_id > ?"
                      f"{skipping} ORDER BY u.update_id LIMIT ?",
                      (address, after, *skip, limit)).fetchall()
    return [as_item(row) for row in rows]


def blocked(db: Database, address: str) -> set[str]:
    return {row[0] for row in db.execute("SELECT type FROM update_filters WHERE address = ?",
                                         (address,))}


def item(db: Database, address: str, update_id: int) -> dict | None:
    row = db.execute(f"{_ITEMS} WHERE u.address = ? AND u.update_id = ?",
                     (address, update_id)).fetchone()
    return as_item(row) if row is not None else None


def in_flight_item(db: Database, message_id: str) -> dict | None:
    """A message being pushed live, with its place in the recipient's queue."""
    row = db.execute(f"{_ITEMS} WHERE u.message_id = ? AND u.in_flight = 1",
                     (message_id,)).fetchone()
    return as_item(row) if row is not None else None


def notices(db: Database, address: str, position: int) -> list[dict]:
    """What the event at `position` queued for `address` besides a message (an edit, a delete,
    an answer), to push live."""
    rows = db.execute(f"{_ITEMS} WHERE u.address = ? AND u.position = ? AND u.kind != 'message'",
                      (address, position)).fetchall()
    return [as_item(row) for row in rows]


def in_flight(db: Database) -> list[str]:
    """Every message pushed and not yet acknowledged or returned, in log order."""
    return [row[0] for row in db.execute(
        "SELECT message_id FROM updates WHERE in_flight = 1 ORDER BY position")]
