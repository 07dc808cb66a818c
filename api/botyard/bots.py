"""Botyard's bot API (`Authorization: <bot id>:<token>`): the bot's profile, commands and
webhook, its chats and their messages. Sending never triggers a webhook: only a user's
message reaches a bot's (webhooks go through the shared outbox, api/botyard/webhooks.py)."""
from urllib.parse import urlsplit

from fastapi import APIRouter, Request

from api.botyard import chats, render
from api.botyard.auth import CurrentBot
from api.botyard.errors import BotyardError, BotyardNotice, BotyardRoute, said
from api.botyard.schemas import (
    BotyardBot,
    BotyardChat,
    BotyardChatMessage,
    BotyardCommand,
    BotyardCommandIn,
    BotyardNewBot,
    BotyardNewMessage,
    BotyardNewWebhook,
    BotyardPage,
    BotyardRawMessage,
    BotyardWebhook,
)
from api.deps import CurrentRuntime
from api.params import DOCUMENTED, Params, ParamsError, documented, loads, read_body
from api.responses import JSON
from api.runtime import Runtime
from domain.bots import DEFAULT_SCOPE
from domain.errors import invalid
from domain.ids import aggregate_id
from projections import backlog, bots, outbox
from projections import chats as rooms

router = APIRouter(tags=["Botyard: bot API"], route_class=BotyardRoute)
DOCUMENTED[BotyardCommandIn.__name__] = BotyardCommandIn  # the array items' schema
WEBHOOK_NOT_FOUND = "Webhook not found."


def shown(runtime: Runtime, bot_id: str) -> dict:
    return render.bot(chats.botyard_bot(runtime, bot_id))


@router.get("/v1/bot-api/bot", response_model=BotyardBot)
async def get_bot(bot: CurrentBot, runtime: CurrentRuntime) -> JSON:
    return JSON(shown(runtime, bot["id"]))


@router.put("/v1/bot-api/bot", response_model=BotyardBot, openapi_extra=documented(BotyardNewBot))
async def edit_bot(bot: CurrentBot, body: Params[BotyardNewBot], runtime: CurrentRuntime) -> JSON:
    """Empty or absent fields stay as they are."""
    await runtime.writer.run(lambda unit: runtime.app.edit_botyard_bot(
        unit, bot["id"], body.name, body.description, body.avatar))
    return JSON(shown(runtime, bot["id"]))


@router.post("/v1/bot-api/bot/commands", status_code=201, response_model=BotyardNotice,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "array", "items": {
                     "$ref": "#/components/schemas/BotyardCommandIn"}}}}}})
async def add_commands(bot: CurrentBot, request: Request, runtime: CurrentRuntime) -> JSON:
    """Upserted by alias; the whole list is checked before anything is recorded."""
    commands = await _command_list(request)
    await runtime.writer.run(lambda unit: runtime.app.add_botyard_commands(
        unit, bot["id"], commands))
    return JSON({"message": "Commands added."}, status_code=201)


async def _command_list(request: Request) -> list[dict]:
    """A JSON array of `{alias, description?}` objects (checked by the domain)."""
    try:
        parsed = loads(await read_body(request))
    except ValueError as error:
        raise ParamsError(f"malformed JSON: {error}") from None
    if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
        raise ParamsError("request body must be a JSON array of commands")
    return parsed


@router.get("/v1/bot-api/bot/commands", response_model=list[BotyardCommand])
async def list_commands(bot: CurrentBot, runtime: CurrentRuntime) -> JSON:
    return JSON(commands(runtime, bot["id"]))


def commands(runtime: Runtime, bot_id: str) -> list[dict]:
    shown_commands = []
    for command in bots.commands(runtime.db, bot_id, DEFAULT_SCOPE, ""):
        item = {"id": command["id"], "alias": command["command"]}
        if command.get("description"):
            item["description"] = command["description"]
        shown_commands.append(item)
    return shown_commands


@router.delete("/v1/bot-api/bot/command/{command_id}", response_model=BotyardNotice)
async def remove_command(command_id: str, bot: CurrentBot, runtime: CurrentRuntime) -> JSON:
    owner = bots.command_owner(runtime.db, command_id)
    if owner is None:
        raise BotyardError(404, "Command not found.")
    if owner != bot["id"]:
        raise BotyardError(403, "Can't delete a command that belongs to another bot.")
    await runtime.writer.run(lambda unit: runtime.app.remove_botyard_command(
        unit, bot["id"], command_id))
    return said("Command removed.")


@router.post("/v1/bot-api/bot/webhook", response_model=BotyardWebhook,
             openapi_extra=documented(BotyardNewWebhook))
async def set_webhook(bot: CurrentBot, body: Params[BotyardNewWebhook],
                      runtime: CurrentRuntime) -> JSON:
    """Users' messages from now on are pushed to `url` (one webhook per bot), with the
    secret, if any, as `Authorization`, retried until delivered."""
    _check_webhook(body.url, body.secret)
    address = bot["fingerprint"]
    waiting = [] if runtime.webhooks.active(address) else backlog.pending_ids(runtime.db,
                                                                                address)

    def command(unit):
        if waiting:  # what came while no webhook was set is not pushed later
            runtime.app.confirm_updates(unit, address, waiting[-1], "botyard.webhook")
        runtime.app.set_webhook(unit, address, body.url, body.secret, 40, "botyard")

    await runtime.writer.run(command)
    return JSON(_webhook(bot["id"], body.url, body.secret))


def _check_webhook(url: str, secret: str) -> None:
    if not url:
        raise invalid("webhook url must not be empty")
    if len(url) > 128:
        raise invalid("webhook url should not be longer than 128 characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("specified url is not valid")
    if len(secret) > 64:
        raise invalid("webhook secret should not be longer than 64 characters")


def _webhook(bot_id: str, url: str, secret: str) -> dict:
    shown_hook = {"botId": bot_id, "url": url}
    if secret:
        shown_hook["secret"] = secret
    return shown_hook


@router.get("/v1/bot-api/bot/webhook", response_model=BotyardWebhook)
async def get_webhook(bot: CurrentBot, runtime: CurrentRuntime) -> JSON:
    hook = outbox.webhook(runtime.db, bot["fingerprint"])
    if hook is None:
        raise BotyardError(404, WEBHOOK_NOT_FOUND)
    return JSON(_webhook(bot["id"], hook["url"], hook["secret"]))


@router.delete("/v1/bot-api/bot/webhook", response_model=BotyardNotice)
async def delete_webhook(bot: CurrentBot, runtime: CurrentRuntime) -> JSON:
    address = bot["fingerprint"]
    if outbox.webhook(runtime.db, address) is None:
        raise BotyardError(404, WEBHOOK_NOT_FOUND)
    await runtime.writer.run(lambda unit: runtime.app.delete_webhook(unit, address))
    return said("Webhook deleted.")


@router.get("/v1/bot-api/chats", response_model=list[BotyardChat],
            openapi_extra=chats.required_query("user_id"))
async def list_chats(bot: CurrentBot, request: Request, runtime: CurrentRuntime) -> JSON:
    user_id = chats.required(request, "user_id", "User ID is required.")
    return JSON([render.chat(row) for row in rooms.rooms(runtime.db, user_id, bot["id"])])


PAGE_QUERY = {"parameters": [
    {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
    for name, kind in (("page", "integer"), ("limit", "integer"), ("sender_id", "string"),
                       ("since", "integer"))]}


@router.get("/v1/bot-api/chat/{chat_id}/messages", response_model=BotyardPage,
            openapi_extra=PAGE_QUERY)
async def messages(chat_id: str, bot: CurrentBot, request: Request,
                   runtime: CurrentRuntime) -> JSON:
    return JSON(chats.page(runtime, chats.room(runtime, chat_id, "bot", bot["id"]), request))


@router.get("/v1/bot-api/chat/message/{message_id}", response_model=BotyardRawMessage)
async def message(message_id: str, bot: CurrentBot, runtime: CurrentRuntime) -> JSON:
    try:
        found = rooms.message(runtime.db, str(aggregate_id(message_id)))
    except ValueError:
        found = None
    if found is None:
        raise BotyardError(404, "Message not found.")
    if found["bot_id"] != bot["id"]:
        raise BotyardError(403, "Chat is not related to current bot.")
    return JSON(render.raw(found))


@router.post("/v1/bot-api/chat/message", status_code=201, response_model=BotyardChatMessage,
             openapi_extra=documented(BotyardNewMessage))
async def send(bot: CurrentBot, body: Params[BotyardNewMessage], runtime: CurrentRuntime) -> JSON:
    found = chats.room(runtime, body.chat_id, "bot", bot["id"])
    return JSON(await chats.send(runtime, found, bot["id"], body), status_code=201)
