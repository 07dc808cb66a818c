"""MaxChat's answers, as render.py and the routes build them (the "Human routes" table, §3.3):
`{"ok": true, ...}` around its objects. Ids are strings of digits, times unix milliseconds.
These only document the routes (`response_model`): each route answers its JSON itself."""
from typing import Annotated, Literal

from pydantic import BaseModel, Field

Id = Annotated[str, Field(description="a string of digits")]
Ms = Annotated[int, Field(description="unix milliseconds")]


class MaxChatUser(BaseModel):
    id: Id
    username: str
    avatarUrl: str | None
    bio: str
    bot: bool


class MaxChatChannel(BaseModel):
    id: Id
    serverId: Id
    name: str
    type: str = Field(description="`text` unless created otherwise")
    topic: str
    position: int


class MaxChatRole(BaseModel):
    id: Id
    serverId: Id
    name: str
    color: int
    permissions: list[str] = Field(description="permission names, e.g. `manage_messages`")
    position: int


class MaxChatServer(BaseModel):
    id: Id
    name: str
    ownerId: Id
    channels: list[MaxChatChannel]
    roles: list[MaxChatRole]


class MaxChatMember(BaseModel):
    userId: Id
    username: str
    nick: str | None
    roleIds: list[Id]
    joinedAt: Ms
    bot: bool


class MaxChatMessage(BaseModel):
    id: Id = Field(description="a string of digits: the message's position in the log")
    serverId: Id
    channelId: Id
    author: MaxChatUser
    content: str
    createdAt: Ms
    editedAt: int | None = Field(description="unix milliseconds; null until edited")


class MaxChatApp(BaseModel):
    id: Id
    name: str
    ownerId: Id
    botUserId: Id
    createdAt: Ms


class MaxChatOk(BaseModel):
    """A success with nothing more to say."""

    ok: Literal[True]


class MaxChatSession(MaxChatOk):
    user: MaxChatUser
    token: str = Field(description="a bearer token for `Authorization: Bearer <token>`")


class MaxChatUserAnswer(MaxChatOk):
    user: MaxChatUser


class MaxChatServerAnswer(MaxChatOk):
    server: MaxChatServer


class MaxChatServers(MaxChatOk):
    servers: list[MaxChatServer]


class MaxChatChannelAnswer(MaxChatOk):
    channel: MaxChatChannel


class MaxChatChannels(MaxChatOk):
    channels: list[MaxChatChannel]


class MaxChatRoleAnswer(MaxChatOk):
    role: MaxChatRole


class MaxChatRoles(MaxChatOk):
    roles: list[MaxChatRole]


class MaxChatMembers(MaxChatOk):
    members: list[MaxChatMember]


class MaxChatMessageAnswer(MaxChatOk):
    message: MaxChatMessage


class MaxChatMessages(MaxChatOk):
    messages: list[MaxChatMessage] = Field(description="newest first")


class MaxChatInvite(MaxChatOk):
    code: str
    url: str = Field(description="the invite's page, `<base>/invite/<code>`")


class MaxChatAppAnswer(MaxChatOk):
    app: MaxChatApp


class MaxChatNewApp(MaxChatOk):
    app: MaxChatApp
    token: str = Field(description="the bot's `mbt_` token, shown here only")


class MaxChatApps(MaxChatOk):
    apps: list[MaxChatApp]


class MaxChatToken(MaxChatOk):
    token: str = Field(description="the bot's new `mbt_` token; the old one is revoked")


class MaxChatInstall(MaxChatOk):
    serverId: Id
    appId: Id
    installed: bool


class MaxChatAppInvite(MaxChatOk):
    url: str = Field(description="the install page, `<base>/bot-invite/<appId>`")


class MaxChatBootstrap(BaseModel):
    """`GET /api?bot=1`: what a bot needs to connect (no `ok`)."""

    name: str
    version: str
    gateway: str = Field(description="the gateway's path, on the same host (ws or wss)")
    heartbeatInterval: int = Field(description="milliseconds")
    auth: list[str] = Field(description="the accepted `Authorization` schemes")
