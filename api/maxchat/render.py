"""MaxChat's objects (the "Human routes" table): ids are strings of digits: an account's
number for users and bots, a message's log position, the snowflakes its commands decided for
servers, channels and roles. Times are unix milliseconds."""
from sqlite_utils import Database

from projections import directory, guilds


def user(person: dict | None) -> dict:
    """From projections.apps.person; an account no longer known shows empty."""
    if person is None:
        return {"id": "", "username": "", "avatarUrl": None, "bio": "", "bot": False}
    return {"id": str(person["number"]), "username": person["name"],
            "avatarUrl": person["avatar"] or None, "bio": person["bio"],
            "bot": person["kind"] == "bot"}


def channel(row: dict) -> dict:
    return {"id": row["id"], "serverId": row["guild_id"], "name": row["name"],
            "type": row["type"], "topic": row["topic"] or "", "position": row["position"]}


def role(row: dict) -> dict:
    return {"id": row["id"], "serverId": row["guild_id"], "name": row["name"],
            "color": row["color"], "permissions": row["permissions"],
            "position": row["position"]}


def server(db: Database, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "ownerId": number_of(db, row["owner_id"]),
            "channels": [channel(c) for c in guilds.channels(db, row["id"])],
            "roles": [role(r) for r in guilds.roles(db, row["id"])]}


def number_of(db: Database, account_id: str) -> str:
    """An account's MaxChat id: its number, as digits."""
    account = directory.account(db, account_id)
    return str(account["number"]) if account is not None else ""


def member(row: dict) -> dict:
    return {"userId": str(row["number"]), "username": row["username"], "nick": row["nick"],
            "roleIds": row["role_ids"], "joinedAt": row["joined"], "bot": bool(row["bot"])}


def message(item: dict, author: dict) -> dict:
    """A channel message from its `messages` row (as_item'd) and its author's user object."""
    content = item["content"]
    return {"id": str(item["position"]), "serverId": content.get("server", ""),
            "channelId": item["chat"], "author": author, "content": content.get("text", ""),
            "createdAt": item["ms"], "editedAt": content.get("edited_ms")}
