"""MaxChat's 15 bot routes (the seed's list, §3.3 bodies). Each checks in decision 4's order:
the token (401), the body (400, by its model), the server (404), the install (403), the other
ids (404), the permission (403); each is an event, dispatched on the gateway."""
from fastapi import APIRouter, Request

from api.deps import CurrentRuntime
from api.maxchat import render, servers
from api.maxchat.auth import BotCaller
from api.maxchat.errors import MaxChatRoute, ok
from api.maxchat.lookup import account_id
from api.maxchat.messages import change, post
from api.maxchat.objects import (
    MaxChatChannelAnswer,
    MaxChatInvite,
    MaxChatMessageAnswer,
    MaxChatOk,
    MaxChatServerAnswer,
    MaxChatUserAnswer,
)
from api.maxchat.pages import invite_url
from api.maxchat.schemas import (
    CreateChannel,
    CreateInvite,
    DeleteChannel,
    DeleteMessage,
    EditChannel,
    EditMessage,
    MemberRole,
    Nick,
    Presence,
    Profile,
    RemoveMember,
    RenameServer,
    SendMessage,
)
from api.params import Params, documented
from api.responses import JSON
from api.runtime import Runtime
from projections import apps

router = APIRouter(tags=["MaxChat: bot routes"], route_class=MaxChatRoute)
B = "/api/bot"


@router.post(B + "/messages/send", response_model=MaxChatMessageAnswer,
             openapi_extra=documented(SendMessage))
async def send(bot: BotCaller, body: Params[SendMessage], runtime: CurrentRuntime) -> JSON:
    return ok(message=await post(runtime, body.server_id, body.channel_id, bot["id"],
                                 body.content, is_bot=True))


@router.post(B + "/messages/edit", response_model=MaxChatMessageAnswer,
             openapi_extra=documented(EditMessage))
async def edit(bot: BotCaller, body: Params[EditMessage], runtime: CurrentRuntime) -> JSON:
    """Its own messages only."""
    return ok(message=await change(runtime, body.server_id, body.channel_id, body.message_id,
                                   bot["id"], body.content, is_bot=True))


@router.post(B + "/messages/delete", response_model=MaxChatOk,
             openapi_extra=documented(DeleteMessage))
async def delete(bot: BotCaller, body: Params[DeleteMessage], runtime: CurrentRuntime) -> JSON:
    """Its own messages, or any with `manage_messages`."""
    await change(runtime, body.server_id, body.channel_id, body.message_id, bot["id"], None,
                 is_bot=True)
    return ok()


@router.post(B + "/presence", response_model=MaxChatOk, openapi_extra=documented(Presence))
async def presence(bot: BotCaller, body: Params[Presence], runtime: CurrentRuntime) -> JSON:
    await runtime.writer.run(lambda unit: runtime.app.set_presence(
        unit, bot["id"], body.status, body.activity))
    return ok()


@router.post(B + "/profile", response_model=MaxChatUserAnswer, openapi_extra=documented(Profile))
async def profile(bot: BotCaller, body: Params[Profile], runtime: CurrentRuntime) -> JSON:
    """`username`, `avatarUrl`, `bio`: what is absent stays."""
    changes = [(field, value) for field, value in (
        ("name", body.username), ("avatar", body.avatar_url), ("bio", body.bio))
        if value is not None]
    def command(unit) -> None:
        for field, value in changes:
            runtime.app.change_profile(unit, bot["id"], field, "", value)

    await runtime.writer.run(command)
    return ok(user=render.user(apps.person(runtime.db, bot["id"])))


@router.post(B + "/roles/add", response_model=MaxChatOk, openapi_extra=documented(MemberRole))
async def add_role(bot: BotCaller, body: Params[MemberRole], runtime: CurrentRuntime) -> JSON:
    await _roles(runtime, bot["id"], body, True)
    return ok()


@router.post(B + "/roles/remove", response_model=MaxChatOk, openapi_extra=documented(MemberRole))
async def remove_role(bot: BotCaller, body: Params[MemberRole],
                      runtime: CurrentRuntime) -> JSON:
    await _roles(runtime, bot["id"], body, False)
    return ok()


async def _roles(runtime: Runtime, actor: str, body: MemberRole, add: bool) -> None:
    app = runtime.app
    await runtime.writer.run(lambda unit: app.change_roles(
        unit, app.guild(unit, body.server_id, actor, True), actor,
        _target(runtime, unit, body.server_id, actor, body.user_id), body.role_id, add))


def _target(runtime: Runtime, unit, server_id: str, actor: str, user_id: str) -> str:
    """The member a user id names, looked up once the server and install are checked."""
    runtime.app.guild(unit, server_id, actor, True)
    return account_id(runtime, user_id)


@router.post(B + "/members/nick", response_model=MaxChatOk, openapi_extra=documented(Nick))
async def nick(bot: BotCaller, body: Params[Nick], runtime: CurrentRuntime) -> JSON:
    app, actor = runtime.app, bot["id"]
    await runtime.writer.run(lambda unit: app.set_nick(
        unit, app.guild(unit, body.server_id, actor, True), actor,
        _target(runtime, unit, body.server_id, actor, body.user_id), body.nick))
    return ok()


@router.post(B + "/members/kick", response_model=MaxChatOk, openapi_extra=documented(RemoveMember))
async def kick(bot: BotCaller, body: Params[RemoveMember], runtime: CurrentRuntime) -> JSON:
    await _remove(runtime, bot["id"], body, "kick")
    return ok()


@router.post(B + "/members/ban", response_model=MaxChatOk, openapi_extra=documented(RemoveMember))
async def ban(bot: BotCaller, body: Params[RemoveMember], runtime: CurrentRuntime) -> JSON:
    await _remove(runtime, bot["id"], body, "ban")
    return ok()


async def _remove(runtime: Runtime, actor: str, body: RemoveMember, why: str) -> None:
    app = runtime.app
    await runtime.writer.run(lambda unit: app.remove_member(
        unit, app.guild(unit, body.server_id, actor, True), actor,
        _target(runtime, unit, body.server_id, actor, body.user_id), why, body.reason))


@router.post(B + "/channels/create", response_model=MaxChatChannelAnswer,
             openapi_extra=documented(CreateChannel))
async def create_channel(bot: BotCaller, body: Params[CreateChannel],
                         runtime: CurrentRuntime) -> JSON:
    return ok(channel=await servers.set_channel(runtime, bot["id"], body.server_id, None,
                                                body.name, body.type, body.topic, True))


@router.post(B + "/channels/edit", response_model=MaxChatChannelAnswer,
             openapi_extra=documented(EditChannel))
async def edit_channel(bot: BotCaller, body: Params[EditChannel],
                       runtime: CurrentRuntime) -> JSON:
    return ok(channel=await servers.set_channel(runtime, bot["id"], body.server_id,
                                                body.channel_id, body.name, None, body.topic,
                                                True))


@router.post(B + "/channels/delete", response_model=MaxChatOk,
             openapi_extra=documented(DeleteChannel))
async def delete_channel(bot: BotCaller, body: Params[DeleteChannel],
                         runtime: CurrentRuntime) -> JSON:
    app, actor = runtime.app, bot["id"]
    await runtime.writer.run(lambda unit: app.delete_channel(
        unit, app.guild(unit, body.server_id, actor, True), actor, body.channel_id))
    return ok()


@router.post(B + "/servers/rename", response_model=MaxChatServerAnswer,
             openapi_extra=documented(RenameServer))
async def rename_server(bot: BotCaller, body: Params[RenameServer],
                        runtime: CurrentRuntime) -> JSON:
    app, actor = runtime.app, bot["id"]
    await runtime.writer.run(lambda unit: app.rename_server(
        unit, app.guild(unit, body.server_id, actor, True), actor, body.name))
    return ok(server=servers.shown(runtime, body.server_id))


@router.post(B + "/invites/create", response_model=MaxChatInvite,
             openapi_extra=documented(CreateInvite))
async def create_invite(bot: BotCaller, body: Params[CreateInvite], request: Request,
                        runtime: CurrentRuntime) -> JSON:
    code = await servers.invite(runtime, body.server_id, bot["id"], body, is_bot=True)
    return ok(code=code, url=invite_url(request, code))
