"""MaxChat's request bodies (camelCase, ids as strings). Types and lengths are checked here,
so a malformed body is a 400 before any id is looked at (decision 4's order)."""
from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Credentials(Body):
    username: str = Field(pattern=r"^[A-Za-z0-9_.\-]{2,32}$")
    password: str = Field(min_length=8, max_length=128)


class Named(Body):
    name: str = Field(min_length=1, max_length=100)


class NewChannel(Body):
    name: str = Field(min_length=1, max_length=100)
    type: str = "text"
    topic: str = Field("", max_length=1024)


class Content(Body):
    content: str = Field(min_length=1, max_length=4000)


class NewRole(Body):
    name: str = Field(min_length=1, max_length=100)
    color: int = Field(0, ge=0, le=0xFFFFFF, description="an RGB value")
    permissions: list[str] = Field(default_factory=list)


class RoleRef(Body):
    role_id: str = Field(alias="roleId", min_length=1)


class Reason(Body):
    reason: str = Field("", max_length=512)


class NewInvite(Body):
    channel_id: str = Field("", alias="channelId")
    max_uses: int = Field(0, alias="maxUses", ge=0, le=2**31 - 1)
    expires_in_sec: int = Field(0, alias="expiresInSec", ge=0, le=10**9)  # about 31 years


class Presence(Body):
    status: str = Field(pattern=r"^(online|idle|dnd|invisible)$")
    activity: str = Field("", max_length=128)


class Install(Body):
    server_id: str = Field(alias="serverId", min_length=1)
    permissions: list[str] | None = None


# Bot routes (§3.3)

class InServer(Body):
    server_id: str = Field(alias="serverId", min_length=1)


class SendMessage(InServer):
    channel_id: str = Field(alias="channelId", min_length=1)
    content: str = Field(min_length=1, max_length=4000)


class EditMessage(SendMessage):
    message_id: str = Field(alias="messageId", min_length=1)


class DeleteMessage(InServer):
    channel_id: str = Field(alias="channelId", min_length=1)
    message_id: str = Field(alias="messageId", min_length=1)


class Profile(Body):
    username: str | None = Field(None, pattern=r"^[A-Za-z0-9_.\- ]{2,32}$")
    avatar_url: str | None = Field(None, alias="avatarUrl", max_length=512)
    bio: str | None = Field(None, max_length=512)


class MemberRole(InServer):
    user_id: str = Field(alias="userId", min_length=1)
    role_id: str = Field(alias="roleId", min_length=1)


class Nick(InServer):
    user_id: str = Field(alias="userId", min_length=1)
    nick: str | None = Field(None, max_length=32)


class CreateChannel(InServer, NewChannel):
    pass


class EditChannel(InServer):
    channel_id: str = Field(alias="channelId", min_length=1)
    name: str | None = Field(None, min_length=1, max_length=100)
    topic: str | None = Field(None, max_length=1024)


class DeleteChannel(InServer):
    channel_id: str = Field(alias="channelId", min_length=1)


class RemoveMember(InServer):
    user_id: str = Field(alias="userId", min_length=1)
    reason: str = Field("", max_length=512)


class RenameServer(InServer):
    name: str = Field(min_length=1, max_length=100)


class CreateInvite(InServer, NewInvite):
    pass
