"""featherChat v1 bot routes: /v1/bot/register and /v1/bot/<token>/<method>.

Method names are case-insensitive and GET works as POST: the documented camelCase routes
serve the usual calls, and one catch-all route dispatches every other spelling. Both parse
parameters the same way (api/params.py).
"""
import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from api.auth import CurrentBot
from api.deps import CurrentRuntime
from api.disconnect import gone
from api.feather import render
from api.feather.errors import FeatherRoute
from api.feather.schemas import (
    GetUpdates,
    Me,
    Ok,
    RegisterBot,
    RegisteredBot,
    SendMessage,
    SentMessage,
    Update,
)
from api.longpoll import untaken
from api.params import Params, documented, documented_query, parse
from api.responses import JSON
from api.runtime import Runtime
from domain.errors import invalid
from domain.naming import normalize_chat_id
from projections import updates

router = APIRouter(tags=["featherChat v1: bots"], route_class=FeatherRoute)
MAX_TIMEOUT = 5  # seconds: featherChat v1 caps its long poll here
# long polls one bot may hold at once: a newer one ends the oldest, answered [] (a bot polls
# one at a time; one that leaks polls cannot pile up connections and tasks without end)
POLLS_PER_BOT = 8


def ok(result: Any) -> JSON:
    return JSON({"ok": True, "result": result})


@router.post("/v1/bot/register", response_model=Ok[RegisteredBot],
             openapi_extra=documented(RegisterBot))
async def register(body: Params[RegisterBot], runtime: CurrentRuntime) -> JSON:
    done = await runtime.writer.run(
        lambda unit: runtime.app.register_bot(unit, body.name, body.fingerprint))
    return ok({"token": done.token, "name": done.name, "fingerprint": done.fingerprint,
               "alias": "@" + done.alias, "bot_api_token": done.api_token})


@router.get("/v1/bot/{token}/getMe", response_model=Ok[Me], operation_id="featherchat_getMe_get")
@router.post("/v1/bot/{token}/getMe", response_model=Ok[Me], operation_id="featherchat_getMe")
async def get_me(bot: CurrentBot) -> JSON:
    return ok(me(bot))


@router.get("/v1/bot/{token}/getUpdates", response_model=Ok[list[Update]],
            operation_id="featherchat_getUpdates_get", openapi_extra=documented_query(GetUpdates))
@router.post("/v1/bot/{token}/getUpdates", response_model=Ok[list[Update]],
             operation_id="featherchat_getUpdates",
             openapi_extra=documented(GetUpdates, required=False))
async def get_updates(bot: CurrentBot, runtime: CurrentRuntime, body: Params[GetUpdates],
                      request: Request) -> JSON:
    return ok(await take_updates(runtime, bot, body, request))


@router.get("/v1/bot/{token}/sendMessage", response_model=Ok[SentMessage],
            operation_id="featherchat_sendMessage_get",
            openapi_extra=documented_query(SendMessage))
@router.post("/v1/bot/{token}/sendMessage", response_model=Ok[SentMessage],
             operation_id="featherchat_sendMessage", openapi_extra=documented(SendMessage))
async def send_message(bot: CurrentBot, runtime: CurrentRuntime,
                       body: Params[SendMessage]) -> JSON:
    return ok(await send(runtime, bot, body))


@router.api_route("/v1/bot/{token}/{method}", methods=["GET", "POST"], include_in_schema=False)
async def any_method(method: str, request: Request, bot: CurrentBot,
                     runtime: CurrentRuntime) -> JSON:
    """Other spellings of the methods above (`getupdates`, GET sendMessage, ...)."""
    name = method.lower()
    if name == "getme":
        return ok(me(bot))
    if name == "getupdates":
        return ok(await take_updates(runtime, bot, await parse(request, GetUpdates), request))
    if name == "sendmessage":
        return ok(await send(runtime, bot, await parse(request, SendMessage)))
    raise HTTPException(404, "method not found")


def me(bot: dict) -> dict:
    return {"id": bot["fingerprint"], "is_bot": True, "first_name": bot["name"],
            "username": bot["name"]}


async def take_updates(runtime: Runtime, bot: dict, params: GetUpdates,
                       request: Request) -> list[dict]:
    """Everything queued (up to `limit`), or wait up to `timeout` for the next append (a
    server stopping answers at once)."""
    address, limit = bot["fingerprint"], min(max(params.limit or 100, 1), 100)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(params.timeout, MAX_TIMEOUT)
    with runtime.waiters.watch(address, POLLS_PER_BOT) as woken:
        woken.reader = partial(read, runtime, address, limit, render.update)
        while True:
            if woken.ended:  # crowded out by newer polls: answered as if it timed out
                return []
            ready = woken.clear(runtime.writer.projector.position)
            shown = await take(runtime, address, limit, "featherchat.getUpdates", request,
                               render.update, ready)
            if shown:
                return shown
            remaining = deadline - loop.time()
            if runtime.stopping or remaining <= 0 or not await woken.wait(remaining):
                return []


Shown = list[tuple[dict, dict]]  # queued items, each with how it is shown


async def take(runtime: Runtime, address: str, limit: int, via: str, request: Request,
               show: Callable[[dict], dict], ready: Shown | None = None) -> list[dict]:
    """Read what is queued for an address and hand it out, shown by `show` (featherChat's
    delete-on-read), never to a reader that is gone, nor confirmed unless it could be shown.
    The confirmation (UpdatesConfirmed) is lazy: it rides with the next write, and no read
    returns these updates meanwhile (api/longpoll.Taken); a crash before it is recorded
    hands them out again: at least once. On a shared log, only the node holding the queue's
    reader lease hands them out (api/readers.py). `ready` is a read made ahead (`read`)."""
    if gone(request):
        return []
    if runtime.readers is not None and not await runtime.readers.hold(address):
        return []
    shown = untaken(ready, runtime.taken.held(address)) or read(runtime, address, limit, show)
    if shown:
        ids = [item["update_id"] for item, _ in shown]
        runtime.taken.hold(address, ids, runtime.writer.submit(
            lambda unit: runtime.app.confirm_updates(unit, address, ids[-1], via, ids),
            lazy=True))
    return [update for _, update in shown]


def read(runtime: Runtime, address: str, limit: int, show: Callable[[dict], dict]) -> Shown:
    """What is queued and not handed out yet, each item with how it is shown."""
    items = updates.pending(runtime.db, address, limit, skip=runtime.taken.held(address))
    return [(item, show(item)) for item in items]


async def send(runtime: Runtime, bot: dict, params: SendMessage) -> dict:
    """Held to the Telegram sending limits (telegram.md decision 9), which count per bot
    whichever family it calls through: both its tokens work on both (decision 2)."""
    to = normalize_chat_id(params.chat_id)
    if not to:
        raise invalid("chat_id is empty after removing non-hex characters")
    if runtime.limits.on and (wait := runtime.limits.retry_after(bot["id"], to)) is not None:
        raise HTTPException(429, f"Too Many Requests: retry after {wait}",
                            headers={"Retry-After": str(wait)})
    delivered = runtime.sockets.is_online(to)
    content = {"text": params.text}
    sent = await runtime.writer.run(
        lambda unit: runtime.app.send_message(unit, bot["id"], to, content, delivered))
    return {"message_id": str(sent.message_id), "chat": {"id": to, "type": "private"},
            "text": params.text, "date": sent.date, "delivered": delivered}
