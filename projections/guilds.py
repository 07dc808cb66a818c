"""MaxChat servers as their members read them: servers, channels, roles, members, bans,
invites and installed apps. Membership here is also who the gateway sends a server's events
to (api/maxchat/fanout.py)."""
from functools import singledispatch

import orjson
from sqlite_utils import Database

from domain.clock import millis
from domain.guilds import Guild

NAME = "guilds"
VERSION = 2  # raise when the tables or their rows change: the projector replays it
TABLES = ("guilds", "channels", "roles", "members", "bans", "invites", "installs")


def create(db: Database) -> None:
    db.table("guilds").create({"id": str, "name": str, "owner_id": str, "position": int},
                              pk="id", if_not_exists=True)
    db.table("channels").create({"id": str, "guild_id": str, "name": str, "type": str,
                                 "topic": str, "position": int}, pk="id", if_not_exists=True)
    db.table("channels").create_index(["guild_id"], if_not_exists=True)
    db.table("roles").create({"id": str, "guild_id": str, "name": str, "color": int,
                              "permissions": str, "position": int}, pk="id", if_not_exists=True)
    db.table("roles").create_index(["guild_id"], if_not_exists=True)
    db.table("members").create({"guild_id": str, "user_id": str, "nick": str, "role_ids": str,
                                "joined": int, "position": int},
                               pk=("guild_id", "user_id"), if_not_exists=True)
    db.table("members").create_index(["user_id"], if_not_exists=True)
    db.table("bans").create({"guild_id": str, "user_id": str, "reason": str, "by": str,
                             "at": int}, pk=("guild_id", "user_id"), if_not_exists=True)
    db.table("invites").create({"code": str, "guild_id": str, "channel_id": str, "by": str,
                                "uses": int, "max_uses": int, "expires": int},
                               pk="code", if_not_exists=True)
    db.table("installs").create({"guild_id": str, "app_id": str, "bot_id": str,
                                 "role_id": str}, pk=("guild_id", "app_id"), if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: Guild.Created, db: Database, position: int) -> None:
    db.execute("INSERT INTO guilds (id, name, owner_id, position) VALUES (?, ?, ?, ?)",
               (event.guild_id, event.name, event.owner_id, position))


@apply.register
def _(event: Guild.Renamed, db: Database, position: int) -> None:
    db.execute("UPDATE guilds SET name = ? WHERE id = ?", (event.name, event.guild_id))


@apply.register
def _(event: Guild.ChannelSet, db: Database, position: int) -> None:
    db.execute("INSERT INTO channels (id, guild_id, name, type, topic, position)"
               " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
               " type = excluded.type, topic = excluded.topic",
               (event.channel_id, event.guild_id, event.name, event.type, event.topic,
                event.position))


@apply.register
def _(event: Guild.ChannelDeleted, db: Database, position: int) -> None:
    db.execute("DELETE FROM channels WHERE id = ?", (event.channel_id,))


@apply.register
def _(event: Guild.RoleCreated, db: Database, position: int) -> None:
    db.execute("INSERT INTO roles (id, guild_id, name, color, permissions, position)"
               " VALUES (?, ?, ?, ?, ?, ?)", (event.role_id, event.guild_id, event.name,
                                              event.color, orjson.dumps(event.permissions)
                                              .decode(), event.position))


@apply.register
def _(event: Guild.MemberJoined, db: Database, position: int) -> None:
    db.execute("INSERT INTO members (guild_id, user_id, nick, role_ids, joined, position)"
               " VALUES (?, ?, NULL, '[]', ?, ?)",
               (event.guild_id, event.user_id, millis(event.timestamp), position))
    db.execute("UPDATE invites SET uses = uses + 1 WHERE code = ?", (event.via,))


@apply.register
def _(event: Guild.MemberUpdated, db: Database, position: int) -> None:
    db.execute("UPDATE members SET nick = ?, role_ids = ? WHERE guild_id = ? AND user_id = ?",
               (event.nick, orjson.dumps(event.role_ids).decode(), event.guild_id,
                event.user_id))


@apply.register
def _(event: Guild.MemberLeft, db: Database, position: int) -> None:
    db.execute("DELETE FROM members WHERE guild_id = ? AND user_id = ?",
               (event.guild_id, event.user_id))
    db.execute("DELETE FROM installs WHERE guild_id = ? AND bot_id = ?",
               (event.guild_id, event.user_id))  # a bot kicked or banned: installable again


@apply.register
def _(event: Guild.MemberBanned, db: Database, position: int) -> None:
    db.execute("INSERT OR REPLACE INTO bans (guild_id, user_id, reason, by, at)"
               " VALUES (?, ?, ?, ?, ?)", (event.guild_id, event.user_id, event.reason,
                                           event.by, millis(event.timestamp)))


@apply.register
def _(event: Guild.BanLifted, db: Database, position: int) -> None:
    db.execute("DELETE FROM bans WHERE guild_id = ? AND user_id = ?",
               (event.guild_id, event.user_id))


@apply.register
def _(event: Guild.InviteCreated, db: Database, position: int) -> None:
    db.execute("INSERT INTO invites (code, guild_id, channel_id, by, uses, max_uses, expires)"
               " VALUES (?, ?, ?, ?, 0, ?, ?)", (event.code, event.guild_id, event.channel_id,
                                                 event.by, event.max_uses, event.expires_ms))


@apply.register
def _(event: Guild.AppInstalled, db: Database, position: int) -> None:
    db.execute("INSERT INTO installs (guild_id, app_id, bot_id, role_id) VALUES (?, ?, ?, ?)",
               (event.guild_id, event.app_id, event.bot_id, event.role_id))


# Queries

def guild(db: Database, guild_id: str) -> dict | None:
    row = db.execute("SELECT * FROM guilds WHERE id = ?", (guild_id,)).fetchone()
    return dict(row) if row is not None else None


def guilds_of(db: Database, account_id: str) -> list[dict]:
    return [dict(row) for row in db.execute(
        "SELECT g.* FROM members m JOIN guilds g ON g.id = m.guild_id WHERE m.user_id = ?"
        " ORDER BY g.position", (account_id,))]


def channels(db: Database, guild_id: str) -> list[dict]:
    return [dict(row) for row in db.execute(
        "SELECT * FROM channels WHERE guild_id = ? ORDER BY position, id", (guild_id,))]


def channel(db: Database, channel_id: str) -> dict | None:
    row = db.execute("SELECT * FROM channels WHERE id = ?", (channel_id,)).fetchone()
    return dict(row) if row is not None else None


def roles(db: Database, guild_id: str) -> list[dict]:
    return [{**dict(row), "permissions": orjson.loads(row["permissions"])} for row in db.execute(
        "SELECT * FROM roles WHERE guild_id = ? ORDER BY position, id", (guild_id,))]


def members(db: Database, guild_id: str) -> list[dict]:
    return [{**dict(row), "role_ids": orjson.loads(row["role_ids"])} for row in db.execute(
        "SELECT m.*, COALESCE(u.value, n.value, a.name) AS username, a.kind = 'bot' AS bot,"
        " a.number FROM members m JOIN accounts a ON a.id = m.user_id"
        " LEFT JOIN profiles u ON u.account_id = a.id AND u.field = 'username'"
        " LEFT JOIN bot_profiles n ON n.account_id = a.id AND n.field = 'name'"
        " AND n.language_code = '' WHERE m.guild_id = ? ORDER BY m.position",
        (guild_id,))]


def member_ids(db: Database, guild_id: str) -> list[str]:
    return [row[0] for row in db.execute("SELECT user_id FROM members WHERE guild_id = ?",
                                         (guild_id,))]


def joined_at(db: Database, guild_id: str, user_id: str) -> int | None:
    """When a member joined (unix ms), or None if they are not one."""
    row = db.execute("SELECT joined FROM members WHERE guild_id = ? AND user_id = ?",
                     (guild_id, user_id)).fetchone()
    return row[0] if row is not None else None


def joined_by(db: Database, account_id: str, position: int) -> set[str]:
    """The servers an account is in now and had joined by that log position."""
    return {row[0] for row in db.execute(
        "SELECT guild_id FROM members WHERE user_id = ? AND position <= ?",
        (account_id, position))}


def invite(db: Database, code: str) -> dict | None:
    row = db.execute("SELECT * FROM invites WHERE code = ?", (code,)).fetchone()
    return dict(row) if row is not None else None
