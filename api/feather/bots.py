"""featherChat v1 bot routes: /v1/bot/register and /v1/bot/<token>/<method>.

Method names are case-insensitive and GET works as POST: the documented camelCase routes
serve the usual calls, and one catch-all route dispatches every other spelling.
"""
import asyncio
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ValidationError

from api.auth import account_for_token
from api.deps import CurrentRuntime
from api.errors import ApiError, describe_validation
from api.feather import render
from api.feather.schemas import (
    GetUpdates, Me, Ok, RegisterBot, RegisteredBot, SendMessage, SentMessage, Update,
)
from api.longpoll import wait
from api.responses import JSON
from api.runtime import Runtime
from domain.naming import normalize_chat_id
from projections import updates

router = APIRouter(tags=["featherChat v1: bots"])
MAX_TIMEOUT = 5
INVALID_TOKEN = "invalid token"


def current_bot(token: str, runtime: CurrentRuntime) -> dict:
    bot = account_for_token(runtime.db, token, ("bot",))
    if bot is None:
        raise ApiError(INVALID_TOKEN)
    return bot


CurrentBot = Annotated[dict, Depends(current_bot)]


def ok(result: Any) -> JSON:
    return JSON({"ok": True, "result": result})


@router.post("/v1/bot/register", response_model=Ok[RegisteredBot])
async def register(body: RegisterBot, runtime: CurrentRuntime) -> JSON:
    done = await runtime.writer.run(
        lambda unit: runtime.app.register_bot(unit, body.name, body.fingerprint))
    return ok({"token": done.token, "name": done.name, "fingerprint": done.fingerprint,
               "alias": "@" + done.alias, "bot_api_token": done.api_token})


@router.get("/v1/bot/{token}/getMe", response_model=Ok[Me], operation_id="featherchat_getMe_get")
@router.post("/v1/bot/{token}/getMe", response_model=Ok[Me], operation_id="featherchat_getMe")
async def get_me(bot: CurrentBot) -> JSON:
    return ok(me(bot))


@router.post("/v1/bot/{token}/getUpdates", response_model=Ok[list[Update]])
async def get_updates(bot: CurrentBot, runtime: CurrentRuntime,
                      body: Annotated[GetUpdates | None, Body()] = None) -> JSON:
    return ok(await take_updates(runtime, bot, body or GetUpdates()))


@router.post("/v1/bot/{token}/sendMessage", response_model=Ok[SentMessage])
async def send_message(bot: CurrentBot, runtime: CurrentRuntime, body: SendMessage) -> JSON:
    return ok(await send(runtime, bot, body))


@router.api_route("/v1/bot/{token}/{method}", methods=["GET", "POST"], include_in_schema=False)
async def any_method(method: str, request: Request, bot: CurrentBot,
                     runtime: CurrentRuntime) -> JSON:
    """Other spellings of the methods above (`getupdates`, GET sendMessage, ...)."""
    name = method.lower()
    if name == "getme":
        return ok(me(bot))
    if name == "getupdates":
        return ok(await take_updates(runtime, bot, await parameters(request, GetUpdates)))
    if name == "sendmessage":
        return ok(await send(runtime, bot, await parameters(request, SendMessage)))
    raise ApiError("method not found", 404)


def me(bot: dict) -> dict:
    return {"id": bot["fingerprint"], "is_bot": True, "first_name": bot["name"],
            "username": bot["name"]}


async def take_updates(runtime: Runtime, bot: dict, params: GetUpdates) -> list[dict]:
    """Everything queued (up to `limit`), or wait up to `timeout` for the next append."""
    address, limit = bot["fingerprint"], min(max(params.limit or 100, 1), 100)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(params.timeout, MAX_TIMEOUT)
    with runtime.waiters.watch(address) as woken:
        while True:
            woken.clear()
            items = await take(runtime, address, limit, via="featherchat.getUpdates")
            if items:
                return [render.update(item) for item in items]
            remaining = deadline - loop.time()
            if remaining <= 0 or not await wait(woken, remaining):
                return []


async def take(runtime: Runtime, address: str, limit: int, via: str) -> list[dict]:
    """Read what is queued for an address and remove it (featherChat's delete-on-read),
    recorded as UpdatesConfirmed before the caller answers. One reader per queue at a time."""
    async with runtime.waiters.reading(address):
        items = updates.pending(runtime.db, address, limit)
        if items:
            up_to = items[-1]["update_id"]
            await runtime.writer.run(
                lambda unit: runtime.app.confirm_updates(unit, address, up_to, via))
    return items


async def send(runtime: Runtime, bot: dict, params: SendMessage) -> dict:
    to = normalize_chat_id(str(params.chat_id))
    if not to:
        raise ApiError("chat_id is empty after removing non-hex characters")
    delivered = runtime.sockets.is_online(to)
    content = {"text": params.text}
    sent = await runtime.writer.run(
        lambda unit: runtime.app.send_message(unit, bot["id"], to, content, delivered))
    return {"message_id": str(sent.message_id), "chat": {"id": to, "type": "private"},
            "text": params.text, "date": sent.date, "delivered": delivered}


async def parameters(request: Request, model: type[BaseModel]) -> Any:
    """The query string merged with a JSON or form body, validated by the method's model."""
    values: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        body = await request.body()
        if body.strip():
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError as error:
                raise ApiError(f"malformed JSON: {error}") from None
            if not isinstance(parsed, dict):
                raise ApiError("request body must be a JSON object")
            values.update(parsed)
    elif "form" in content_type:
        values.update((await request.form()).items())
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ApiError(describe_validation(error)) from None
