"""What bots say about themselves: command menus by scope and language, names and
descriptions by language."""
from functools import singledispatch

import orjson
from sqlite_utils import Database

from domain.bots import Bot
from domain.ids import ulid_of

NAME = "bots"
VERSION = 1  # raise when the tables or their rows change: the projector replays it
TABLES = ("bot_commands", "bot_profiles")


def create(db: Database) -> None:
    db.table("bot_commands").create(
        {"account_id": str, "scope": str, "language_code": str, "commands": str},
        pk=("account_id", "scope", "language_code"), if_not_exists=True)
    db.table("bot_profiles").create(
        {"account_id": str, "field": str, "language_code": str, "value": str},
        pk=("account_id", "field", "language_code"), if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: Bot.CommandsSet, db: Database, position: int) -> None:
    _replace(db, "bot_commands", ("account_id", "scope", "language_code", "commands"),
             (ulid_of(event.originator_id), event.scope, event.language_code),
             orjson.dumps(event.commands).decode() if event.commands else None)


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


def profile(db: Database, account_id: str, field: str, language_code: str) -> str | None:
    """The value for a language, else the one for every language; None if neither is set."""
    row = db.execute("SELECT value FROM bot_profiles WHERE account_id = ? AND field = ?"
                     " AND language_code IN (?, '') ORDER BY language_code = '' LIMIT 1",
                     (account_id, field, language_code)).fetchone()
    return row[0] if row is not None else None
