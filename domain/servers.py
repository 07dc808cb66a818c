"""MaxChat's server commands, for humans and bots alike: each checks in decision 4's order
(the server exists → the actor is in it (a bot: installed) → the other ids exist → the
permission), then records events on the server's one aggregate. Nobody acts above their rank:
no permission granted that the actor lacks, the owner untouchable, an administrator touched
only by another."""

from domain.clock import Clock, millis
from domain.errors import forbidden, invalid, not_found
from domain.guilds import EVERYONE, PERMISSIONS, Guild, guild_aggregate_id
from domain.ids import Ids
from domain.unit import Unit

NOT_INSTALLED = "bot is not installed in this server"
OWNER = "cannot act on the server owner"
ADMINISTRATOR = "cannot act on an administrator"


def snowflake(ids: Ids) -> str:
    """A time-ordered id of digits (decision 7)."""
    return str(ids.number())


def check_name(name: str, what: str, longest: int = 100) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= longest:
        raise invalid(f"{what} must be 1-{longest} characters")
    return name.strip()


def check_permissions(permissions: list[str]) -> list[str]:
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise invalid(f"unknown permission: {unknown[0]}")
    return sorted(set(permissions), key=PERMISSIONS.index)


class ServerCommands:
    clock: Clock
    ids: Ids

    def create_server(self, unit: Unit, owner_id: str, name: str) -> str:
        name = check_name(name, "name")
        guild_id, now = snowflake(self.ids), self.clock()
        everyone, general = snowflake(self.ids), snowflake(self.ids)
        guild = Guild(guild_id=guild_id, name=name, owner_id=owner_id, everyone_role_id=everyone,
                      general_channel_id=general, timestamp=now)
        guild.record(Guild.RoleCreated, now, role_id=everyone, name="@everyone", color=0,
                     permissions=list(EVERYONE), position=0)
        guild.record(Guild.ChannelSet, now, channel_id=general, name="general", type="text",
                     topic="", position=0, created=True)
        guild.record(Guild.MemberJoined, now, user_id=owner_id, via="create")
        unit.add(guild)
        return guild_id

    def guild(self, unit: Unit, guild_id: str, actor: str, is_bot: bool = False) -> Guild:
        """The server, if it exists and the actor is in it (decision 4's first checks)."""
        guild = self.load_guild(unit, guild_id)
        if guild is None:
            raise not_found("server not found")
        if actor not in guild.members:
            raise forbidden(NOT_INSTALLED if is_bot else "not a member of this server")
        return guild

    @staticmethod
    def load_guild(unit: Unit, guild_id: str) -> Guild | None:
        guild = unit.get(guild_aggregate_id(guild_id)) if guild_id else None
        return guild if isinstance(guild, Guild) else None

    @staticmethod
    def allowed(guild: Guild, actor: str, permission: str) -> None:
        if not guild.may(actor, permission):
            raise forbidden(f"missing permission: {permission}")

    @staticmethod
    def grantable(guild: Guild, actor: str, permissions: list[str]) -> None:
        """Nobody hands out, or takes back, a permission they lack: otherwise `manage_roles`
        alone would let a member (or an installed bot) make itself an administrator."""
        lacking = [p for p in permissions if not guild.may(actor, p)]
        if lacking:
            raise forbidden(f"the role carries a permission you do not have: {lacking[0]}")

    @staticmethod
    def outranks(guild: Guild, actor: str, user_id: str) -> None:
        """Acting on another member: never on the owner, and on an administrator only as one
        (Discord's role hierarchy, reduced to the two ranks MaxChat has)."""
        if user_id == actor:
            return
        if user_id == guild.owner_id:
            raise forbidden(OWNER)
        if guild.may(user_id, "administrator") and not guild.may(actor, "administrator"):
            raise forbidden(ADMINISTRATOR)

    @staticmethod
    def channel(guild: Guild, channel_id: str) -> dict:
        found = guild.channels.get(channel_id)
        if found is None:
            raise not_found("channel not found")
        return found

    @staticmethod
    def member(guild: Guild, user_id: str) -> dict:
        found = guild.members.get(user_id)
        if found is None:
            raise not_found("member not found")
        return found

    def rename_server(self, unit: Unit, guild: Guild, actor: str, name: str) -> None:
        name = check_name(name, "name")
        self.allowed(guild, actor, "manage_server")
        guild.record(Guild.Renamed, self.clock(), name=name)

    def set_channel(self, unit: Unit, guild: Guild, actor: str, channel_id: str | None,
                    name: str | None, kind: str | None, topic: str | None) -> str:
        """Creates a channel (no `channel_id`) or edits one; what is None stays."""
        current = self.channel(guild, channel_id) if channel_id else None
        if name is not None or current is None:
            name = check_name(name or "", "channel name")
        if kind not in (None, "text", "voice", "announcement"):
            raise invalid("type must be text, voice or announcement")
        if topic is not None and len(topic) > 1024:
            raise invalid("topic must be at most 1024 characters")
        self.allowed(guild, actor, "manage_channels")
        base = current or {"name": "", "type": "text", "topic": "", "position": len(guild.channels)}
        channel_id = channel_id or snowflake(self.ids)
        guild.record(Guild.ChannelSet, self.clock(), channel_id=channel_id,
                     name=name or base["name"], type=kind or base["type"],
                     topic=base["topic"] if topic is None else topic, position=base["position"],
                     created=current is None)
        return channel_id

    def delete_channel(self, unit: Unit, guild: Guild, actor: str, channel_id: str) -> None:
        self.channel(guild, channel_id)
        self.allowed(guild, actor, "manage_channels")
        guild.record(Guild.ChannelDeleted, self.clock(), channel_id=channel_id)

    def create_role(self, unit: Unit, guild: Guild, actor: str, name: str, color: int,
                    permissions: list[str]) -> str:
        name, permissions = check_name(name, "role name"), check_permissions(permissions)
        self.allowed(guild, actor, "manage_roles")
        self.grantable(guild, actor, permissions)
        role_id = snowflake(self.ids)
        guild.record(Guild.RoleCreated, self.clock(), role_id=role_id, name=name, color=color,
                     permissions=permissions, position=len(guild.roles))
        return role_id

    def change_roles(self, unit: Unit, guild: Guild, actor: str, user_id: str, role_id: str,
                     add: bool) -> None:
        member = self.member(guild, user_id)
        if role_id not in guild.roles or role_id == guild.everyone_role_id:
            raise not_found("role not found")
        self.allowed(guild, actor, "manage_roles")
        self.grantable(guild, actor, guild.roles[role_id]["permissions"])
        self.outranks(guild, actor, user_id)
        roles = [r for r in member["roles"] if r != role_id] + ([role_id] if add else [])
        if roles != member["roles"]:
            guild.record(Guild.MemberUpdated, self.clock(), user_id=user_id,
                         nick=member["nick"], role_ids=roles)

    def set_nick(self, unit: Unit, guild: Guild, actor: str, user_id: str,
                 nick: str | None) -> None:
        member = self.member(guild, user_id)
        if nick is not None and len(nick) > 32:
            raise invalid("nick must be at most 32 characters")
        if user_id != actor:  # one's own nickname is one's own to choose
            self.allowed(guild, actor, "manage_nicknames")
        self.outranks(guild, actor, user_id)
        guild.record(Guild.MemberUpdated, self.clock(), user_id=user_id, nick=nick or None,
                     role_ids=member["roles"])

    def remove_member(self, unit: Unit, guild: Guild, actor: str, user_id: str, why: str,
                      reason: str) -> None:
        """`why`: `kick` or `ban` (by someone allowed), or `leave` (the member itself)."""
        if len(reason) > 512:
            raise invalid("reason must be at most 512 characters")
        if why != "ban":
            self.member(guild, user_id)
        if why == "leave":
            if user_id == guild.owner_id:
                raise invalid("the owner cannot leave the server")
        else:
            self.allowed(guild, actor, "kick_members" if why == "kick" else "ban_members")
            if user_id == guild.owner_id:  # the owner included: a server always has one
                raise forbidden(OWNER)
            self.outranks(guild, actor, user_id)
        now = self.clock()
        if user_id in guild.members:
            guild.record(Guild.MemberLeft, now, user_id=user_id, why=why, by=actor, reason=reason)
        if why == "ban":
            guild.record(Guild.MemberBanned, now, user_id=user_id, by=actor, reason=reason)

    def lift_ban(self, unit: Unit, guild: Guild, actor: str, user_id: str) -> None:
        if user_id not in guild.bans:
            raise not_found("ban not found")
        self.allowed(guild, actor, "ban_members")
        guild.record(Guild.BanLifted, self.clock(), user_id=user_id)

    def create_invite(self, unit: Unit, guild: Guild, actor: str, channel_id: str,
                      max_uses: int, expires_in: int) -> str:
        if channel_id:
            self.channel(guild, channel_id)
        if max_uses < 0 or expires_in < 0:
            raise invalid("maxUses and expiresInSec must not be negative")
        self.allowed(guild, actor, "create_invites")
        now, code = self.clock(), self.ids.secret(6).replace("-", "x").replace("_", "y")
        guild.record(Guild.InviteCreated, now, code=code, channel_id=channel_id,
                     max_uses=max_uses, expires_ms=millis(now) + expires_in * 1000
                     if expires_in else 0, by=actor)
        return code

    def accept_invite(self, unit: Unit, guild: Guild | None, code: str, user_id: str) -> bool:
        """Joins (True), or is a member already (False)."""
        invite = guild.invites.get(code) if guild is not None else None
        now = self.clock()
        if guild is None or invite is None or (invite["max_uses"] and invite["uses"] >=
                                               invite["max_uses"]) or (
                invite["expires_ms"] and invite["expires_ms"] <= millis(now)):
            raise not_found("invite not found")
        if user_id in guild.members:
            return False
        if user_id in guild.bans:
            raise forbidden("you are banned from this server")
        guild.record(Guild.MemberJoined, now, user_id=user_id, via=code)
        return True
