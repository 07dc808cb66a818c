"""MaxChat's human routes for servers (the "Human routes" table): servers, channels, roles,
members, kicks, bans and invites. Each write is one command on the server's aggregate, which
checks membership and permissions against its own state."""
from fastapi import APIRouter, Request

from api.deps import CurrentRuntime
from api.maxchat import render
from api.maxchat.auth import Human
from api.maxchat.errors import MaxChatError, MaxChatRoute, ok
from api.maxchat.lookup import account_id, readable_guild
from api.maxchat.objects import (
    MaxChatChannelAnswer,
    MaxChatChannels,
    MaxChatInvite,
    MaxChatMembers,
    MaxChatOk,
    MaxChatRoleAnswer,
    MaxChatRoles,
    MaxChatServerAnswer,
    MaxChatServers,
)
from api.maxchat.pages import invite_url
from api.maxchat.schemas import Named, NewChannel, NewInvite, NewRole, Reason, RoleRef
from api.params import Params, documented
from api.responses import JSON
from api.runtime import Runtime
from projections import guilds

router = APIRouter(tags=["MaxChat: servers"], route_class=MaxChatRoute)
P = "/api/servers/{server_id}"


def shown(runtime: Runtime, guild_id: str) -> dict:
    found = guilds.guild(runtime.db, guild_id)
    if found is None:
        raise MaxChatError(404, "server not found")
    return render.server(runtime.db, found)


@router.post("/api/servers", status_code=201, response_model=MaxChatServerAnswer,
             openapi_extra=documented(Named))
async def create(user: Human, body: Params[Named], runtime: CurrentRuntime) -> JSON:
    """The caller owns it; it has a `general` text channel and an `@everyone` role."""
    guild_id = await runtime.writer.run(
        lambda unit: runtime.app.create_server(unit, user["id"], body.name))
    return ok(201, server=shown(runtime, guild_id))


@router.get("/api/servers", response_model=MaxChatServers)
async def mine(user: Human, runtime: CurrentRuntime) -> JSON:
    return ok(servers=[render.server(runtime.db, row)
                       for row in guilds.guilds_of(runtime.db, user["id"])])


@router.get(P, response_model=MaxChatServerAnswer)
async def one(server_id: str, user: Human, runtime: CurrentRuntime) -> JSON:
    return ok(server=render.server(runtime.db, readable_guild(runtime, server_id, user["id"])))


@router.post(P + "/name", response_model=MaxChatServerAnswer, openapi_extra=documented(Named))
async def rename(server_id: str, user: Human, body: Params[Named],
                 runtime: CurrentRuntime) -> JSON:
    app = runtime.app
    await runtime.writer.run(lambda unit: app.rename_server(
        unit, app.guild(unit, server_id, user["id"]), user["id"], body.name))
    return ok(server=shown(runtime, server_id))


@router.get(P + "/channels", response_model=MaxChatChannels)
async def channels(server_id: str, user: Human, runtime: CurrentRuntime) -> JSON:
    readable_guild(runtime, server_id, user["id"])
    return ok(channels=[render.channel(c) for c in guilds.channels(runtime.db, server_id)])


@router.post(P + "/channels", status_code=201, response_model=MaxChatChannelAnswer,
             openapi_extra=documented(NewChannel))
async def create_channel(server_id: str, user: Human, body: Params[NewChannel],
                         runtime: CurrentRuntime) -> JSON:
    return ok(201, channel=await set_channel(runtime, user["id"], server_id, None, body.name,
                                             body.type, body.topic))


async def set_channel(runtime: Runtime, actor: str, server_id: str, channel_id: str | None,
                      name: str | None, kind: str | None, topic: str | None,
                      is_bot: bool = False) -> dict:
    """Creates (no `channel_id`) or edits a channel; answers it as it is now."""
    app = runtime.app
    made = await runtime.writer.run(lambda unit: app.set_channel(
        unit, app.guild(unit, server_id, actor, is_bot), actor, channel_id, name, kind, topic))
    return render.channel(guilds.channel(runtime.db, made) or {})


@router.get(P + "/members", response_model=MaxChatMembers)
async def members(server_id: str, user: Human, runtime: CurrentRuntime) -> JSON:
    readable_guild(runtime, server_id, user["id"])
    return ok(members=[render.member(m) for m in guilds.members(runtime.db, server_id)])


@router.get(P + "/roles", response_model=MaxChatRoles)
async def roles(server_id: str, user: Human, runtime: CurrentRuntime) -> JSON:
    readable_guild(runtime, server_id, user["id"])
    return ok(roles=[render.role(r) for r in guilds.roles(runtime.db, server_id)])


@router.post(P + "/roles", status_code=201, response_model=MaxChatRoleAnswer,
             openapi_extra=documented(NewRole))
async def create_role(server_id: str, user: Human, body: Params[NewRole],
                      runtime: CurrentRuntime) -> JSON:
    app = runtime.app
    role_id = await runtime.writer.run(lambda unit: app.create_role(
        unit, app.guild(unit, server_id, user["id"]), user["id"], body.name, body.color,
        body.permissions))
    found = next(r for r in guilds.roles(runtime.db, server_id) if r["id"] == role_id)
    return ok(201, role=render.role(found))


@router.post(P + "/members/{user_id}/roles", response_model=MaxChatOk,
             openapi_extra=documented(RoleRef))
async def add_role(server_id: str, user_id: str, user: Human, body: Params[RoleRef],
                   runtime: CurrentRuntime) -> JSON:
    await _roles(runtime, server_id, user["id"], user_id, body.role_id, True)
    return ok()


@router.delete(P + "/members/{user_id}/roles/{role_id}", response_model=MaxChatOk)
async def remove_role(server_id: str, user_id: str, role_id: str, user: Human,
                      runtime: CurrentRuntime) -> JSON:
    await _roles(runtime, server_id, user["id"], user_id, role_id, False)
    return ok()


async def _roles(runtime: Runtime, server_id: str, actor: str, user_id: str, role_id: str,
                 add: bool) -> None:
    app, target = runtime.app, account_id(runtime, user_id)
    await runtime.writer.run(lambda unit: app.change_roles(
        unit, app.guild(unit, server_id, actor), actor, target, role_id, add))


@router.post(P + "/members/{user_id}/kick", response_model=MaxChatOk,
             openapi_extra=documented(Reason, required=False))
async def kick(server_id: str, user_id: str, user: Human, body: Params[Reason],
               runtime: CurrentRuntime) -> JSON:
    await remove(runtime, server_id, user["id"], account_id(runtime, user_id), "kick",
                 body.reason)
    return ok()


@router.post(P + "/members/{user_id}/ban", response_model=MaxChatOk,
             openapi_extra=documented(Reason, required=False))
async def ban(server_id: str, user_id: str, user: Human, body: Params[Reason],
              runtime: CurrentRuntime) -> JSON:
    await remove(runtime, server_id, user["id"], account_id(runtime, user_id), "ban",
                 body.reason)
    return ok()


@router.post(P + "/leave", response_model=MaxChatOk)
async def leave(server_id: str, user: Human, runtime: CurrentRuntime) -> JSON:
    await remove(runtime, server_id, user["id"], user["id"], "leave", "")
    return ok()


async def remove(runtime: Runtime, server_id: str, actor: str, target: str, why: str,
                 reason: str) -> None:
    app = runtime.app
    await runtime.writer.run(lambda unit: app.remove_member(
        unit, app.guild(unit, server_id, actor), actor, target, why, reason))


@router.delete(P + "/bans/{user_id}", response_model=MaxChatOk)
async def lift_ban(server_id: str, user_id: str, user: Human, runtime: CurrentRuntime) -> JSON:
    app, target = runtime.app, account_id(runtime, user_id, "ban not found")
    await runtime.writer.run(lambda unit: app.lift_ban(
        unit, app.guild(unit, server_id, user["id"]), user["id"], target))
    return ok()


@router.post(P + "/invites", status_code=201, response_model=MaxChatInvite,
             openapi_extra=documented(NewInvite, required=False))
async def create_invite(server_id: str, user: Human, body: Params[NewInvite],
                        request: Request, runtime: CurrentRuntime) -> JSON:
    code = await invite(runtime, server_id, user["id"], body)
    return ok(201, code=code, url=invite_url(request, code))


async def invite(runtime: Runtime, server_id: str, actor: str, body: NewInvite,
                 is_bot: bool = False) -> str:
    app = runtime.app
    return await runtime.writer.run(lambda unit: app.create_invite(
        unit, app.guild(unit, server_id, actor, is_bot), actor, body.channel_id, body.max_uses,
        body.expires_in_sec))


@router.post("/api/invites/{code}/accept", response_model=MaxChatServerAnswer)
async def accept(code: str, user: Human, runtime: CurrentRuntime) -> JSON:
    """Joins the server (already a member: 200 too); unknown, used up or expired: 404."""
    found = guilds.invite(runtime.db, code)
    if found is None:
        raise MaxChatError(404, "invite not found")
    app, guild_id = runtime.app, found["guild_id"]
    await runtime.writer.run(lambda unit: app.accept_invite(
        unit, app.load_guild(unit, guild_id), code, user["id"]))
    return ok(server=shown(runtime, guild_id))
