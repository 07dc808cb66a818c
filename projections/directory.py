"""The account registry every dialect reads: users and bots, their tokens and aliases."""
from functools import singledispatch

from sqlite_utils import Database

from domain.bots import Bot
from domain.claims import ALIAS, Claim
from domain.ids import ulid_of
from domain.users import User

NAME = "directory"
VERSION = 3  # raise when the tables or their rows change: the projector replays it
TABLES = ("accounts", "tokens", "aliases")


def create(db: Database) -> None:
    db.table("accounts").create(
        {"id": str, "kind": str, "number": int, "name": str, "fingerprint": str,
         "description": str, "avatar": str, "created": int, "position": int},
        pk="id", if_not_exists=True)
    db.table("accounts").create_index(["number"], unique=True, if_not_exists=True)
    db.table("accounts").create_index(["fingerprint"], unique=True, if_not_exists=True)
    # `salt`: what a Botyard key is derived from again (domain/botyard.py), never the key
    db.table("tokens").create({"hash": str, "account_id": str, "scheme": str, "salt": str},
                              pk="hash", if_not_exists=True)
    # one token per scheme, but as many MaxChat sessions as sign-ins
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS tokens_one_per_scheme ON tokens"
               " (account_id, scheme) WHERE scheme != 'session'")
    db.table("tokens").create_index(["account_id"], if_not_exists=True)
    db.table("aliases").create({"alias": str, "account_id": str}, pk="alias", if_not_exists=True)
    db.table("aliases").create_index(["account_id"], if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


_INSERT_ACCOUNT = (
    "INSERT INTO accounts (id, kind, number, name, fingerprint, description, avatar, created,"
    " position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


@apply.register
def _(event: Bot.Registered, db: Database, position: int) -> None:
    db.execute(_INSERT_ACCOUNT, (event.bot_id, "bot", event.number, event.name,
                                 event.fingerprint, event.description, event.avatar,
                                 int(event.timestamp.timestamp()), position))


@apply.register
def _(event: User.Registered, db: Database, position: int) -> None:
    db.execute(_INSERT_ACCOUNT, (event.user_id, "user", event.number, event.name,
                                 event.fingerprint, "", "", int(event.timestamp.timestamp()),
                                 position))
    _set_token(db, event.user_id, "user", event.token_hash)


@apply.register(Bot.TokenIssued)
@apply.register(Bot.TokenReset)
def _(event: Bot.TokenIssued | Bot.TokenReset, db: Database, position: int) -> None:
    _set_token(db, ulid_of(event.originator_id), event.scheme, event.token_hash, event.salt)


@apply.register
def _(event: Bot.Deleted, db: Database, position: int) -> None:
    """Its tokens and aliases go; the account row stays, naming the sender of old messages."""
    bot_id = ulid_of(event.originator_id)
    db.execute("DELETE FROM tokens WHERE account_id = ?", (bot_id,))
    db.execute("DELETE FROM aliases WHERE account_id = ?", (bot_id,))


@apply.register
def _(event: User.SessionOpened, db: Database, position: int) -> None:
    db.execute("INSERT INTO tokens (hash, account_id, scheme, salt) VALUES (?, ?, 'session', '')",
               (event.token_hash, ulid_of(event.originator_id)))


@apply.register
def _(event: User.SessionClosed, db: Database, position: int) -> None:
    db.execute("DELETE FROM tokens WHERE hash = ?", (event.token_hash,))


@apply.register
def _(event: Claim.Claimed, db: Database, position: int) -> None:
    if event.namespace == ALIAS:
        db.execute("INSERT INTO aliases (alias, account_id) VALUES (?, ?)",
                   (event.name, event.owner_id))


def _set_token(db: Database, account_id: str, scheme: str, token_hash: str,
               salt: str = "") -> None:
    """A reset revokes the old token of the same scheme at once."""
    db.execute("DELETE FROM tokens WHERE account_id = ? AND scheme = ?", (account_id, scheme))
    db.execute("INSERT INTO tokens (hash, account_id, scheme, salt) VALUES (?, ?, ?, ?)",
               (token_hash, account_id, scheme, salt))


# Queries

_ACCOUNT = ("SELECT a.*, (SELECT alias FROM aliases WHERE account_id = a.id LIMIT 1) AS alias"
            " FROM accounts a")


def account_by_token_hash(db: Database, token_hash: str) -> dict | None:
    row = db.execute(
        "SELECT a.*, t.hash AS token_hash, t.scheme AS token_scheme,"
        " (SELECT alias FROM aliases WHERE account_id = a.id LIMIT 1) AS alias FROM tokens t"
        " JOIN accounts a ON a.id = t.account_id WHERE t.hash = ?", (token_hash,)).fetchone()
    return _dict(row)


def account(db: Database, account_id: str) -> dict | None:
    return _dict(db.execute(_ACCOUNT + " WHERE a.id = ?", (account_id,)).fetchone())


def account_by_number(db: Database, number: int) -> dict | None:
    return _dict(db.execute(_ACCOUNT + " WHERE a.number = ?", (number,)).fetchone())


def account_by_fingerprint(db: Database, fingerprint: str) -> dict | None:
    return _dict(db.execute(_ACCOUNT + " WHERE a.fingerprint = ?", (fingerprint,)).fetchone())


def resolve_alias(db: Database, alias: str) -> dict | None:
    return _dict(db.execute(
        _ACCOUNT + " WHERE a.id = (SELECT account_id FROM aliases WHERE alias = ?)",
        (alias,)).fetchone())


def token_salt(db: Database, account_id: str, scheme: str) -> str | None:
    """The salt of an account's token of one scheme; None if it has none (or is deleted)."""
    row = db.execute("SELECT salt FROM tokens WHERE account_id = ? AND scheme = ?",
                     (account_id, scheme)).fetchone()
    return row[0] if row is not None else None


def highest_number(db: Database) -> int:
    """The highest account number projected: numbers handed out next go above it."""
    return db.execute("SELECT coalesce(max(number), 0) FROM accounts").fetchone()[0]


def _dict(row) -> dict | None:
    return dict(row) if row is not None else None
