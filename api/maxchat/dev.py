"""MaxChat's developer routes (the seed's owner routes, decision 8): apps with a bot each,
the token shown once (a reset revokes it everywhere, gateway sockets included), installs
into servers, the invite helper; and `GET /api?bot=1`, the bootstrap info."""
from fastapi import APIRouter, Request

from api.deps import CurrentRuntime
from api.maxchat.auth import Human
from api.maxchat.errors import MaxChatError, MaxChatRoute, ok
from api.maxchat.gateway_config import heartbeat_interval
from api.maxchat.objects import (
    MaxChatAppAnswer,
    MaxChatAppInvite,
    MaxChatApps,
    MaxChatBootstrap,
    MaxChatInstall,
    MaxChatNewApp,
    MaxChatToken,
)
from api.maxchat.pages import base_url
from api.maxchat.render import number_of
from api.maxchat.schemas import Install, Named
from api.params import Params, documented
from api.responses import JSON
from api.runtime import Runtime
from projections import apps, guilds

router = APIRouter(tags=["MaxChat: developer apps"], route_class=MaxChatRoute)
P = "/api/dev/apps/{app_id}"


def app_object(row: dict, db) -> dict:
    return {"id": row["id"], "name": row["name"], "ownerId": number_of(db, row["owner_id"]),
            "botUserId": number_of(db, row["bot_id"]), "createdAt": row["created"]}


def owned(runtime: Runtime, app_id: str, owner_id: str) -> dict:
    row = apps.app(runtime.db, app_id)
    if row is None or row["owner_id"] != owner_id:
        raise MaxChatError(404, "app not found")
    return row


@router.get("/api/dev/apps", response_model=MaxChatApps)
async def list_apps(user: Human, runtime: CurrentRuntime) -> JSON:
    """The caller's apps (never their tokens)."""
    return ok(apps=[app_object(row, runtime.db) for row in apps.apps_of(runtime.db, user["id"])])


@router.post("/api/dev/apps", response_model=MaxChatNewApp, openapi_extra=documented(Named))
async def create_app(user: Human, body: Params[Named], runtime: CurrentRuntime) -> JSON:
    """The app and its bot; the `mbt_` token is shown here only."""
    made = await runtime.writer.run(lambda unit: runtime.app.create_app(unit, user["id"],
                                                                        body.name))
    return ok(app=app_object(owned(runtime, made.app_id, user["id"]), runtime.db),
              token=made.token)


@router.post(P + "/name", response_model=MaxChatAppAnswer, openapi_extra=documented(Named))
async def rename_app(app_id: str, user: Human, body: Params[Named],
                     runtime: CurrentRuntime) -> JSON:
    app = runtime.app
    await runtime.writer.run(lambda unit: app.rename_app(
        unit, app.owned_app(unit, app_id, user["id"]), body.name))
    return ok(app=app_object(owned(runtime, app_id, user["id"]), runtime.db))


@router.post(P + "/reset-token", response_model=MaxChatToken)
async def reset_token(app_id: str, user: Human, runtime: CurrentRuntime) -> JSON:
    app = runtime.app
    token = await runtime.writer.run(lambda unit: app.reset_app_token(
        unit, app.owned_app(unit, app_id, user["id"])))
    return ok(token=token)


@router.post(P + "/install", response_model=MaxChatInstall, openapi_extra=documented(Install))
async def install(app_id: str, user: Human, body: Params[Install],
                  runtime: CurrentRuntime) -> JSON:
    """The bot joins the server with a role of its own (default: every permission but
    administrator); the caller must own or administer the server (any app: the invite
    page's way)."""
    app = runtime.app
    await runtime.writer.run(lambda unit: app.install_app(
        unit, app.owned_app(unit, app_id, None),
        app.guild(unit, body.server_id, user["id"]), user["id"], body.permissions))
    found = guilds.guild(runtime.db, body.server_id)
    return ok(serverId=body.server_id, appId=app_id, installed=found is not None)


@router.get(P + "/invite", response_model=MaxChatAppInvite)
async def invite(app_id: str, user: Human, request: Request, runtime: CurrentRuntime) -> JSON:
    owned(runtime, app_id, user["id"])
    return ok(url=f"{base_url(request)}/bot-invite/{app_id}")


@router.get("/api", response_model=MaxChatBootstrap)
async def bootstrap(request: Request) -> JSON:
    """`GET /api?bot=1`: what a bot needs to connect."""
    return JSON({"name": "MaxChat", "version": "1", "gateway": "/gateway",
                 "heartbeatInterval": heartbeat_interval(), "auth": ["Bearer", "Bot"]})
