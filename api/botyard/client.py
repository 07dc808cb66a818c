"""Botyard's client API, the one its React web client calls: service info, anonymous users
with a sliding cookie session, bots and their commands, chat rooms and their messages. A
user's message is queued for the bot's webhook (the shared outbox), never posted inline."""
from fastapi import APIRouter, Request

from api.botyard import chats, render
from api.botyard.auth import CurrentUser, issue, set_cookie
from api.botyard.bots import PAGE_QUERY, commands
from api.botyard.errors import BotyardError, BotyardNotice, BotyardRoute, said
from api.botyard.schemas import (
    BotyardBot,
    BotyardChat,
    BotyardChatMessage,
    BotyardCommand,
    BotyardNewChat,
    BotyardNewMessage,
    BotyardNewUser,
    BotyardPage,
    BotyardService,
    BotyardUser,
)
from api.deps import CurrentRuntime
from api.params import Params, documented
from api.responses import JSON
from domain.botyard import SCHEME
from projections import bots
from projections import chats as rooms

router = APIRouter(tags=["Botyard: client API"], route_class=BotyardRoute)


@router.get("/v1/client-api/service-info", response_model=BotyardService)
async def service_info(runtime: CurrentRuntime) -> JSON:
    """The config file's `service`, always with `description` and `socials`."""
    service = dict(runtime.botyard.service)
    if not service.get("avatar"):
        service.pop("avatar", None)
    return JSON(service)


@router.post("/v1/client-api/user", status_code=201, response_model=BotyardUser,
             openapi_extra=documented(BotyardNewUser))
async def create_user(body: Params[BotyardNewUser], runtime: CurrentRuntime) -> JSON:
    """A new anonymous user, signed in by the `token` cookie of this answer."""
    config = runtime.botyard
    user_id = await runtime.writer.run(lambda unit: runtime.app.register_web_user(
        unit, body.nickname, config.min_nickname, config.max_nickname))
    return JSON({"id": user_id, "nickname": body.nickname}, status_code=201,
                headers={"set-cookie": set_cookie(issue(runtime, user_id, body.nickname))})


@router.get("/v1/client-api/user", response_model=BotyardUser)
async def current_user(user: CurrentUser) -> JSON:
    return JSON({"id": user["id"], "nickname": user["name"]})


@router.get("/v1/client-api/bots", response_model=list[BotyardBot])
async def list_bots(runtime: CurrentRuntime) -> JSON:
    return JSON([render.bot(row) for row in bots.shown(runtime.db, SCHEME)])


@router.get("/v1/client-api/bot/{bot_id}", response_model=BotyardBot)
async def get_bot(bot_id: str, runtime: CurrentRuntime) -> JSON:
    return JSON(render.bot(chats.botyard_bot(runtime, bot_id)))


@router.get("/v1/client-api/bot/{bot_id}/commands", response_model=list[BotyardCommand])
async def bot_commands(bot_id: str, _: CurrentUser, runtime: CurrentRuntime) -> JSON:
    return JSON(commands(runtime, chats.botyard_bot(runtime, bot_id)["id"]))


@router.post("/v1/client-api/chat", status_code=201, response_model=BotyardChat,
             openapi_extra=documented(BotyardNewChat))
async def open_chat(user: CurrentUser, body: Params[BotyardNewChat],
                    runtime: CurrentRuntime) -> JSON:
    """At most 10 rooms per user and bot, counted in the log."""
    if not body.bot_id:
        raise BotyardError(400, "bot id must not be empty")
    bot_id = chats.botyard_bot(runtime, body.bot_id)["id"]
    chat_id = await runtime.writer.run(lambda unit: runtime.app.open_chat(unit, user["id"],
                                                                         bot_id))
    return JSON({"id": chat_id, "userId": user["id"], "botId": bot_id}, status_code=201)


@router.get("/v1/client-api/chats", response_model=list[BotyardChat],
            openapi_extra=chats.required_query("bot_id"))
async def list_chats(user: CurrentUser, request: Request, runtime: CurrentRuntime) -> JSON:
    bot_id = chats.required(request, "bot_id", "Bot ID is required.")
    chats.botyard_bot(runtime, bot_id)
    return JSON([render.chat(row) for row in rooms.rooms(runtime.db, user["id"], bot_id)])


@router.delete("/v1/client-api/chat/{chat_id}", response_model=BotyardNotice)
async def delete_chat(chat_id: str, user: CurrentUser, runtime: CurrentRuntime) -> JSON:
    """The room and its messages leave every read model (their events stay in the log)."""
    found = chats.room(runtime, chat_id, "user", user["id"])
    await runtime.writer.run(lambda unit: runtime.app.delete_chat(
        unit, user["id"], found["bot_id"], chat_id))
    return said("Chat deleted.")


@router.post("/v1/client-api/chat/message", status_code=201, response_model=BotyardChatMessage,
             openapi_extra=documented(BotyardNewMessage))
async def send(user: CurrentUser, body: Params[BotyardNewMessage],
               runtime: CurrentRuntime) -> JSON:
    found = chats.room(runtime, body.chat_id, "user", user["id"])
    return JSON(await chats.send(runtime, found, user["id"], body), status_code=201)


@router.get("/v1/client-api/chat/{chat_id}/messages", response_model=BotyardPage,
            openapi_extra=PAGE_QUERY)
async def messages(chat_id: str, user: CurrentUser, request: Request,
                   runtime: CurrentRuntime) -> JSON:
    return JSON(chats.page(runtime, chats.room(runtime, chat_id, "user", user["id"]), request))
