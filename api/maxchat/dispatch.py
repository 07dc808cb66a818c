"""What the gateway dispatches for an event of the log (§3.2): its `t`, its `d`, and who
may see it (a server's members, or some accounts). The same function serves live pushes and
RESUME's replay, so a resumed session gets what a connected one got, `s` being the event's
log position in both."""
from collections.abc import Iterator
from dataclasses import dataclass

from sqlite_utils import Database

from api.maxchat import render
from domain.bots import Bot
from domain.clock import millis
from domain.guilds import Guild
from domain.ids import ulid_of
from domain.messages import Message
from domain.users import User
from projections import apps, guilds, messages


@dataclass(frozen=True)
class Dispatch:
    t: str
    d: dict
    guild: str = ""  # every member of this server sees it
    accounts: tuple[str, ...] = ()  # and these accounts too


def dispatches(db: Database, event: object) -> Iterator[Dispatch]:
    if isinstance(event, Guild.Change):
        yield from _guild(db, event)
    elif isinstance(event, (Message.Sent, Message.Edited, Message.Deleted)):
        yield from _message(db, event)
    elif isinstance(event, (User.PresenceSet, Bot.PresenceSet)):
        yield from _everywhere(db, ulid_of(event.originator_id), "PRESENCE_UPDATE", {
            "status": event.status, "activity": event.activity or None})
    elif isinstance(event, (User.ProfileChanged, Bot.ProfileChanged)):
        yield from _everywhere(db, ulid_of(event.originator_id), "USER_UPDATE", {})
    elif isinstance(event, Guild.Created):
        yield Dispatch("SERVER_CREATE", _server(db, event.guild_id), accounts=(event.owner_id,))


def _user(db: Database, account_id: str) -> dict:
    return render.user(apps.person(db, account_id))


def _server(db: Database, guild_id: str) -> dict:
    found = guilds.guild(db, guild_id)
    return render.server(db, found) if found else {"id": guild_id}


def _everywhere(db: Database, account_id: str, t: str, d: dict) -> Iterator[Dispatch]:
    """To every server the account is in (and to itself)."""
    shown = {**d, "user": _user(db, account_id)} if t == "PRESENCE_UPDATE" else _user(
        db, account_id)
    servers = guilds.guilds_of(db, account_id)
    for found in servers:
        yield Dispatch(t, {**shown, "serverId": found["id"]} if t == "PRESENCE_UPDATE"
                       else shown, guild=found["id"])
    if not servers:
        yield Dispatch(t, shown, accounts=(account_id,))


def _message(db: Database, event: Message.Sent | Message.Edited | Message.Deleted
             ) -> Iterator[Dispatch]:
    item = messages.chat_item(db, str(event.originator_id))
    if item is None:
        return
    server = item["content"].get("server")
    if not server:
        return  # a Botyard room's message: no gateway sees it
    if isinstance(event, Message.Deleted):
        yield Dispatch("MESSAGE_DELETE", {"id": str(item["position"]), "serverId": server,
                                          "channelId": item["chat"]}, guild=server)
        return
    if item["content"].get("deleted"):
        return  # replayed after its delete: the delete's own dispatch tells it
    t = "MESSAGE_CREATE" if isinstance(event, Message.Sent) else "MESSAGE_UPDATE"
    as_then = {**item, "content": event.content}  # a RESUME after an edit replays both as sent
    yield Dispatch(t, render.message(as_then, _user(db, item["sender_id"])), guild=server)


def _guild(db: Database, event: Guild.Change) -> Iterator[Dispatch]:
    server = event.guild_id
    if isinstance(event, Guild.Renamed):
        yield Dispatch("SERVER_UPDATE", _server(db, server), guild=server)
    elif isinstance(event, Guild.ChannelSet):
        yield Dispatch("CHANNEL_CREATE" if event.created else "CHANNEL_UPDATE", render.channel({
            "id": event.channel_id, "guild_id": server, "name": event.name, "type": event.type,
            "topic": event.topic, "position": event.position}), guild=server)
    elif isinstance(event, Guild.ChannelDeleted):
        yield Dispatch("CHANNEL_DELETE", {"id": event.channel_id, "serverId": server},
                       guild=server)
    elif isinstance(event, Guild.MemberJoined):
        yield Dispatch("MEMBER_JOIN", _member(db, server, event.user_id, event), guild=server)
    elif isinstance(event, Guild.MemberUpdated):
        yield Dispatch("MEMBER_UPDATE", {**_member(db, server, event.user_id, event),
                                         "nick": event.nick, "roleIds": event.role_ids},
                       guild=server)
    elif isinstance(event, Guild.MemberLeft):
        who = _user(db, event.user_id)
        yield Dispatch("MEMBER_LEAVE", {"serverId": server, "user": who, "reason": event.why},
                       guild=server, accounts=(event.user_id,))
        yield Dispatch("SERVER_DELETE", {"id": server}, accounts=(event.user_id,))
    elif isinstance(event, Guild.MemberBanned):
        yield Dispatch("MEMBER_BAN", {"serverId": server, "user": _user(db, event.user_id)},
                       guild=server, accounts=(event.user_id,))
    elif isinstance(event, Guild.InviteCreated):
        yield Dispatch("INVITE_CREATE", {"code": event.code, "serverId": server,
                                         "channelId": event.channel_id or None,
                                         "maxUses": event.max_uses,
                                         "expiresAt": event.expires_ms or None}, guild=server)
    elif isinstance(event, Guild.AppInstalled):
        yield Dispatch("SERVER_CREATE", _server(db, server), accounts=(event.bot_id,))


def _member(db: Database, server: str, account_id: str, event: Guild.Change) -> dict:
    """A member as a join or an update shows it: `joinedAt` is when they joined (an update's
    own time only if they have left since)."""
    user = _user(db, account_id)
    joined = guilds.joined_at(db, server, account_id)
    return {"serverId": server, "userId": user["id"], "user": user, "nick": None,
            "roleIds": [], "joinedAt": millis(event.timestamp) if joined is None else joined}


def revoked(event: object) -> tuple[str, str] | None:
    """(account, token hash or "" for all) whose gateway sockets must close now (4004): a
    bot's token reset, a human's logout."""
    if isinstance(event, Bot.TokenReset) and event.scheme == "maxchat":
        return ulid_of(event.originator_id), ""
    if isinstance(event, User.SessionClosed):
        return ulid_of(event.originator_id), event.token_hash
    return None
