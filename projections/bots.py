"""What bots say about themselves: command menus by scope and language, names and
descriptions by language."""
from functools import singledispatch

import orjson
from sqlite_utils import Database

from domain.bots import DEFAULT_SCOPE, Bot
from domain.ids import ulid_of

NAME = "bots"
VERSION = 2  # raise when the tables or their rows change: the projector replays it
TABLES = ("bot_commands", "bot_profiles", "command_ids")


def create(db: Database) -> None:
    db.table("bot_commands").create(
        {"account_id": str, "scope": str, "language_code": str, "commands": str},
        pk=("account_id", "scope", "language_code"), if_not_exists=True)
    db.table("bot_profiles").create(
        {"account_id": str, "field": str, "language_code": str, "value": str},
        pk=("account_id", "field", "language_code"), if_not_exists=True)
    # Whose command an id names (Botyard deletes a command by id, and tells another bot's)
    db.table("command_ids").create({"id": str, "account_id": str}, pk="id", if_not_exists=True)
    db.table("command_ids").create_index(["account_id"], if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: Bot.CommandsSet, db: Database, position: int) -> None:
    bot_id = ulid_of(event.originator_id)
    _replace(db, "bot_commands", ("account_id", "scope", "language_code", "commands"),
             (bot_id, event.scope, event.language_code),
             orjson.dumps(event.commands).decode() if event.commands else None)
    if event.scope == DEFAULT_SCOPE and not event.language_code:
        db.execute("DELETE FROM command_ids WHERE account_id = ?", (bot_id,))
        db.conn.executemany("INSERT OR REPLACE INTO command_ids (id, account_id) VALUES (?, ?)",
                            [(c["id"], bot_id) for c in event.commands if c.get("id")])


@apply.register
def _(event: Bot.Deleted, db: Database, position: int) -> None:
    bot_id = ulid_of(event.originator_id)
    for table in TABLES:
        db.execute(f"DELETE FROM {table} WHERE account_id = ?", (bot_id,))


@apply.register
def _(event: Bot.ProfileChanged, db: Database, position: int) -> None:
    _replace(db, "bot_profiles", ("account_id", "field", "language_code", "value"),
             (ulid_of(event.originator_id), event.field, event.language_code),
             event.value or None)


def _replace(db: Database, table: str, columns: tuple[str, ...], key: tuple, value: str | None
             ) -> None:
    """The row of `key` holds `value` now; None removes it. Names are this module's own."""
    where = " AND ".join(f"{column} = ?" for column in columns[:-1])
    db.execute(f"DELETE FROM {table} WHERE {where}", key)
    if value is not None:
        db.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
                   f" ({', '.join('?' * len(columns))})", (*key, value))


# Queries

def commands(db: Database, account_id: str, scope: str, language_code: str) -> list[dict]:
    row = db.execute("SELECT commands FROM bot_commands WHERE account_id = ? AND scope = ?"
                     " AND language_code = ?", (account_id, scope, language_code)).fetchone()
    return orjson.loads(row[0]) if row is not None else []


def command_owner(db: Database, command_id: str) -> str | None:
    row = db.execute("SELECT account_id FROM command_ids WHERE id = ?", (command_id,)).fetchone()
    return row[0] if row is not None else None


def profile(db: Database, account_id: str, field: str, language_code: str) -> str | None:
    """The value for a language, else the one for every language; None if neither is set."""
    row = db.execute("SELECT value FROM bot_profiles WHERE account_id = ? AND field = ?"
                     " AND language_code IN (?, '') ORDER BY language_code = '' LIMIT 1",
                     (account_id, field, language_code)).fetchone()
    return row[0] if row is not None else None


_SHOWN = ("SELECT a.id, a.fingerprint, COALESCE(n.value, a.name) AS name,"
          " COALESCE(d.value, a.description) AS description, COALESCE(v.value, a.avatar) AS avatar"
          " FROM accounts a JOIN tokens t ON t.account_id = a.id AND t.scheme = ?"
          " LEFT JOIN bot_profiles n ON n.account_id = a.id AND n.field = 'name'"
          " AND n.language_code = ''"
          " LEFT JOIN bot_profiles d ON d.account_id = a.id AND d.field = 'description'"
          " AND d.language_code = ''"
          " LEFT JOIN bot_profiles v ON v.account_id = a.id AND v.field = 'avatar'"
          " AND v.language_code = ''")


def shown(db: Database, scheme: str, bot_id: str | None = None) -> list[dict]:
    """The bots holding a token of `scheme` (deleted ones hold none), oldest first, with the
    name, description and avatar they show now (their own choice, else what they were
    registered with)."""
    if bot_id is None:
        return [dict(row) for row in db.execute(_SHOWN + " ORDER BY a.position", (scheme,))]
    return [dict(row) for row in db.execute(_SHOWN + " WHERE a.id = ?", (scheme, bot_id))]
