"""MaxChat channel messages, for humans (the "Human routes" table) and bots (§3.3): each is a
`Message` of the one message path in its channel; sends, edits and deletes are dispatched on
the gateway from the log. Lists are newest first, `before` a message id, from an index."""
from fastapi import APIRouter, Request

from api.deps import CurrentRuntime
from api.maxchat import render
from api.maxchat.auth import Human
from api.maxchat.errors import MaxChatError, MaxChatRoute, ok
from api.maxchat.lookup import message_id, readable_guild
from api.maxchat.objects import MaxChatMessageAnswer, MaxChatMessages, MaxChatOk
from api.maxchat.schemas import Content
from api.params import Params, decimal, documented
from api.responses import JSON
from api.runtime import Runtime
from projections import apps, guilds, messages

router = APIRouter(tags=["MaxChat: messages"], route_class=MaxChatRoute)
P = "/api/servers/{server_id}/channels/{channel_id}/messages"
LIST_QUERY = {"parameters": [
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
    {"name": "before", "in": "query", "required": False, "schema": {"type": "string"}}]}


def shown(runtime: Runtime, item: dict, authors: dict[str, dict]) -> dict:
    sender = item["sender_id"]
    if sender not in authors:
        authors[sender] = render.user(apps.person(runtime.db, sender))
    return render.message(item, authors[sender])


def by_id(runtime: Runtime, message_uuid) -> dict:
    found = messages.chat_item(runtime.db, str(message_uuid))
    if found is None:  # deleted since, by someone else
        raise MaxChatError(404, "message not found")
    return shown(runtime, found, {})


@router.get(P, response_model=MaxChatMessages, openapi_extra=LIST_QUERY)
async def history(server_id: str, channel_id: str, user: Human, request: Request,
                  runtime: CurrentRuntime) -> JSON:
    readable_guild(runtime, server_id, user["id"])
    query = request.query_params
    limit = decimal(query.get("limit", "50"), longest=3)
    if limit is None or not 1 <= limit <= 100:
        raise MaxChatError(400, "limit must be 1-100")
    before = query.get("before")
    before_id = decimal(before) if before is not None else None
    if before is not None and before_id is None:
        raise MaxChatError(400, "before must be a message id")
    if not any(c["id"] == channel_id for c in guilds.channels(runtime.db, server_id)):
        raise MaxChatError(404, "channel not found")
    authors: dict[str, dict] = {}
    return ok(messages=[shown(runtime, item, authors) for item in messages.in_channel(
        runtime.db, channel_id, limit, before_id)])


@router.post(P, status_code=201, response_model=MaxChatMessageAnswer,
             openapi_extra=documented(Content))
async def send(server_id: str, channel_id: str, user: Human, body: Params[Content],
               runtime: CurrentRuntime) -> JSON:
    return ok(201, message=await post(runtime, server_id, channel_id, user["id"], body.content))


async def post(runtime: Runtime, server_id: str, channel_id: str, actor: str, content: str,
               is_bot: bool = False) -> dict:
    app = runtime.app
    sent, _ = await runtime.writer.run(lambda unit: app.send_to_channel(
        unit, app.guild(unit, server_id, actor, is_bot), actor, channel_id, content))
    return by_id(runtime, sent)


@router.patch(P + "/{message}", response_model=MaxChatMessageAnswer,
              openapi_extra=documented(Content))
async def edit(server_id: str, channel_id: str, message: str, user: Human,
               body: Params[Content], runtime: CurrentRuntime) -> JSON:
    return ok(message=await change(runtime, server_id, channel_id, message, user["id"],
                                   body.content))


async def change(runtime: Runtime, server_id: str, channel_id: str, message: str, actor: str,
                 content: str | None, is_bot: bool = False) -> dict | None:
    """An edit (`content`) or, with None, a delete."""
    app, target = runtime.app, message_id(runtime, message)
    if content is None:
        await runtime.writer.run(lambda unit: app.delete_in_channel(
            unit, app.guild(unit, server_id, actor, is_bot), actor, channel_id, target))
        return None
    await runtime.writer.run(lambda unit: app.edit_in_channel(
        unit, app.guild(unit, server_id, actor, is_bot), actor, channel_id, target, content))
    return by_id(runtime, target)


@router.delete(P + "/{message}", response_model=MaxChatOk)
async def delete(server_id: str, channel_id: str, message: str, user: Human,
                 runtime: CurrentRuntime) -> JSON:
    await change(runtime, server_id, channel_id, message, user["id"], None)
    return ok()
