"""MaxChat's people and apps as the API shows them: developer apps and their bots, humans'
sign-in names (with their password hashes: argon2, never a password), profiles and presence,
and the gateway sessions RESUME may name."""
from functools import singledispatch

from sqlite_utils import Database

from domain.apps import App
from domain.bots import Bot
from domain.clock import millis
from domain.humans import GatewaySession
from domain.ids import ulid_of
from domain.users import User

NAME = "apps"
VERSION = 2  # raise when the tables or their rows change: the projector replays it
TABLES = ("apps", "logins", "profiles", "presence", "gateway_sessions")


def create(db: Database) -> None:
    db.table("apps").create({"id": str, "owner_id": str, "bot_id": str, "name": str,
                             "created": int, "position": int}, pk="id", if_not_exists=True)
    db.table("apps").create_index(["owner_id"], if_not_exists=True)
    db.table("apps").create_index(["bot_id"], unique=True, if_not_exists=True)
    db.table("logins").create({"username": str, "account_id": str, "password_hash": str},
                              pk="username", if_not_exists=True)
    db.table("logins").create_index(["account_id"], unique=True, if_not_exists=True)
    db.table("profiles").create({"account_id": str, "field": str, "value": str},
                                pk=("account_id", "field"), if_not_exists=True)
    db.table("presence").create({"account_id": str, "status": str, "activity": str,
                                 "at": int}, pk="account_id", if_not_exists=True)
    db.table("gateway_sessions").create({"id": str, "account_id": str, "position": int},
                                        pk="id", if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: App.Created, db: Database, position: int) -> None:
    db.execute("INSERT INTO apps (id, owner_id, bot_id, name, created, position)"
               " VALUES (?, ?, ?, ?, ?, ?)", (event.app_id, event.owner_id, event.bot_id,
                                              event.name, millis(event.timestamp), position))


@apply.register
def _(event: App.Renamed, db: Database, position: int) -> None:
    db.execute("UPDATE apps SET name = ? WHERE id = ?", (event.name, event.app_id))


@apply.register
def _(event: User.PasswordSet, db: Database, position: int) -> None:
    db.execute("INSERT INTO logins (username, account_id, password_hash) VALUES (?, ?, ?)"
               " ON CONFLICT (account_id) DO UPDATE SET password_hash = excluded.password_hash",
               (event.username.lower(), ulid_of(event.originator_id), event.password_hash))


@apply.register(User.ProfileChanged)
def _(event: User.ProfileChanged, db: Database, position: int) -> None:
    db.execute("INSERT OR REPLACE INTO profiles (account_id, field, value) VALUES (?, ?, ?)",
               (ulid_of(event.originator_id), event.field, event.value))


@apply.register(User.PresenceSet)
@apply.register(Bot.PresenceSet)
def _(event: User.PresenceSet | Bot.PresenceSet, db: Database, position: int) -> None:
    db.execute("INSERT OR REPLACE INTO presence (account_id, status, activity, at)"
               " VALUES (?, ?, ?, ?)", (ulid_of(event.originator_id), event.status,
                                        event.activity, millis(event.timestamp)))


@apply.register
def _(event: GatewaySession.Opened, db: Database, position: int) -> None:
    db.execute("INSERT INTO gateway_sessions (id, account_id, position) VALUES (?, ?, ?)",
               (event.session_id, event.account_id, position))


@apply.register
def _(event: GatewaySession.Ended, db: Database, position: int) -> None:
    db.execute("DELETE FROM gateway_sessions WHERE id = ?", (event.session_id,))


# Queries

def login(db: Database, username: str) -> dict | None:
    row = db.execute("SELECT * FROM logins WHERE username = ?", (username.lower(),)).fetchone()
    return dict(row) if row is not None else None


def app(db: Database, app_id: str) -> dict | None:
    row = db.execute("SELECT * FROM apps WHERE id = ?", (app_id,)).fetchone()
    return dict(row) if row is not None else None


def apps_of(db: Database, owner_id: str) -> list[dict]:
    return [dict(row) for row in db.execute(
        "SELECT * FROM apps WHERE owner_id = ? ORDER BY position", (owner_id,))]


def app_of_bot(db: Database, bot_id: str) -> dict | None:
    row = db.execute("SELECT * FROM apps WHERE bot_id = ?", (bot_id,)).fetchone()
    return dict(row) if row is not None else None


def gateway_session(db: Database, session_id: str) -> dict | None:
    row = db.execute("SELECT * FROM gateway_sessions WHERE id = ?", (session_id,)).fetchone()
    return dict(row) if row is not None else None


_PERSON = ("SELECT a.id, a.number, a.kind, COALESCE(u.value, n.value, a.name) AS name,"
           " COALESCE(v.value, va.value, '') AS avatar, COALESCE(b.value, bb.value, '') AS bio"
           " FROM accounts a"
           " LEFT JOIN profiles u ON u.account_id = a.id AND u.field = 'username'"
           " LEFT JOIN profiles v ON v.account_id = a.id AND v.field = 'avatarUrl'"
           " LEFT JOIN profiles b ON b.account_id = a.id AND b.field = 'bio'"
           " LEFT JOIN bot_profiles n ON n.account_id = a.id AND n.field = 'name'"
           " AND n.language_code = ''"
           " LEFT JOIN bot_profiles va ON va.account_id = a.id AND va.field = 'avatar'"
           " AND va.language_code = ''"
           " LEFT JOIN bot_profiles bb ON bb.account_id = a.id AND bb.field = 'bio'"
           " AND bb.language_code = ''")


def person(db: Database, account_id: str) -> dict | None:
    """An account as MaxChat shows it: its name, avatar and bio as set last."""
    row = db.execute(_PERSON + " WHERE a.id = ?", (account_id,)).fetchone()
    return dict(row) if row is not None else None


def person_by_number(db: Database, number: int) -> dict | None:
    row = db.execute(_PERSON + " WHERE a.number = ?", (number,)).fetchone()
    return dict(row) if row is not None else None
