"""MaxChat servers (Discord's guilds): structure and membership, never messages. Channels,
roles, members, bans, invites and installed apps live in one aggregate per server, so every
rule about them (who may, who is the owner, who is banned) is checked against one state."""
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.ids import named_id

PERMISSIONS = ("manage_messages", "manage_channels", "manage_roles", "manage_nicknames",
               "kick_members", "ban_members", "manage_server", "create_invites",
               "administrator")
EVERYONE = ("create_invites",)


class Guild(Aggregate):
    class Change(Aggregate.Event):
        """Every later event names its server, so a reader (a read model, the gateway) needs
        nothing else to place it."""

        guild_id: str

    class Created(Aggregate.Created):
        guild_id: str
        name: str
        owner_id: str
        everyone_role_id: str
        general_channel_id: str

    class Renamed(Change):
        name: str

        def apply(self, guild: "Guild") -> None:
            guild.name = self.name

    class ChannelSet(Change):
        """Created or edited: the channel as it is now."""

        channel_id: str
        name: str
        type: str
        topic: str
        position: int
        created: bool

        def apply(self, guild: "Guild") -> None:
            guild.channels[self.channel_id] = {"name": self.name, "type": self.type,
                                               "topic": self.topic, "position": self.position}

    class ChannelDeleted(Change):
        channel_id: str

        def apply(self, guild: "Guild") -> None:
            guild.channels.pop(self.channel_id, None)

    class RoleCreated(Change):
        role_id: str
        name: str
        color: int
        permissions: list[str]
        position: int

        def apply(self, guild: "Guild") -> None:
            guild.roles[self.role_id] = {"name": self.name, "permissions": self.permissions}

    class MemberJoined(Change):
        """`via`: `create` (the owner), an invite's code, or `install` (a bot)."""

        user_id: str
        via: str

        def apply(self, guild: "Guild") -> None:
            guild.members[self.user_id] = {"nick": None, "roles": []}
            if self.via in guild.invites:
                guild.invites[self.via]["uses"] += 1

    class MemberUpdated(Change):
        """A nickname (None: none) or the role ids, as they are now."""

        user_id: str
        nick: str | None
        role_ids: list[str]

        def apply(self, guild: "Guild") -> None:
            guild.members[self.user_id] = {"nick": self.nick, "roles": self.role_ids}

    class MemberLeft(Change):
        """`why`: `leave`, `kick` or `ban` (with MemberBanned next to it)."""

        user_id: str
        why: str
        by: str
        reason: str

        def apply(self, guild: "Guild") -> None:
            guild.members.pop(self.user_id, None)
            for app_id, bot_id in list(guild.installs.items()):  # a bot kicked or banned:
                if bot_id == self.user_id:  # its app is installed no more
                    del guild.installs[app_id]

    class MemberBanned(Change):
        user_id: str
        by: str
        reason: str

        def apply(self, guild: "Guild") -> None:
            guild.bans[self.user_id] = self.reason

    class BanLifted(Change):
        user_id: str

        def apply(self, guild: "Guild") -> None:
            guild.bans.pop(self.user_id, None)

    class InviteCreated(Change):
        code: str
        channel_id: str
        max_uses: int  # 0: no limit
        expires_ms: int  # 0: never
        by: str

        def apply(self, guild: "Guild") -> None:
            guild.invites[self.code] = {"uses": 0, "max_uses": self.max_uses,
                                        "expires_ms": self.expires_ms}

    class AppInstalled(Change):
        app_id: str
        bot_id: str
        role_id: str
        by: str

        def apply(self, guild: "Guild") -> None:
            guild.installs[self.app_id] = self.bot_id

    @staticmethod
    def create_id(guild_id: str, **_: object) -> Any:
        return guild_aggregate_id(guild_id)

    @event(Created)
    def __init__(self, guild_id: str, name: str, owner_id: str, everyone_role_id: str,
                 general_channel_id: str, timestamp: datetime) -> None:
        self.guild_id, self.name, self.owner_id = guild_id, name, owner_id
        self.everyone_role_id = everyone_role_id
        self.channels: dict[str, dict] = {}
        self.roles: dict[str, dict] = {}
        self.members: dict[str, dict] = {}
        self.bans: dict[str, str] = {}  # user id → reason (a dict: snapshots are JSON)
        self.invites: dict[str, dict] = {}
        self.installs: dict[str, str] = {}  # app id → its bot's account id

    def permissions(self, user_id: str) -> set[str]:
        """What a member may do: the owner and administrators everything."""
        member = self.members.get(user_id)
        if member is None:
            return set()
        if user_id == self.owner_id:
            return set(PERMISSIONS)
        granted = set(self.roles.get(self.everyone_role_id, {}).get("permissions", ()))
        for role_id in member["roles"]:
            granted |= set(self.roles.get(role_id, {}).get("permissions", ()))
        return set(PERMISSIONS) if "administrator" in granted else granted

    def may(self, user_id: str, permission: str) -> bool:
        return permission in self.permissions(user_id)

    def record(self, event_class: type, timestamp: datetime, **fields: Any) -> None:
        self.trigger_event(event_class, timestamp=timestamp, guild_id=self.guild_id, **fields)


def guild_aggregate_id(guild_id: str) -> Any:
    return named_id("guild", guild_id)
