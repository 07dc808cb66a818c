"""Botyard's admin API (`Authorization: <admin key>`): bots made and deleted, their keys
shown and reset, the config file read again."""
from fastapi import APIRouter

from api.botyard import config, render
from api.botyard.auth import Admin
from api.botyard.chats import botyard_bot
from api.botyard.errors import BotyardError, BotyardNotice, BotyardRoute, said
from api.botyard.schemas import BotyardCreatedBot, BotyardKey, BotyardNewBot
from api.deps import CurrentRuntime
from api.params import Params, documented
from api.responses import JSON
from domain.botyard import SCHEME
from domain.ids import AccountId
from projections import bots, directory

router = APIRouter(tags=["Botyard: admin API"], route_class=BotyardRoute)


@router.post("/v1/admin-api/bot", status_code=201, response_model=BotyardCreatedBot,
             openapi_extra=documented(BotyardNewBot))
async def create_bot(_: Admin, body: Params[BotyardNewBot], runtime: CurrentRuntime) -> JSON:
    made = await runtime.writer.run(lambda unit: runtime.app.create_botyard_bot(
        unit, body.name, body.description, body.avatar))
    shown, = bots.shown(runtime.db, SCHEME, made.bot_id)
    return JSON({"bot": render.bot(shown), "key": made.key}, status_code=201)


@router.delete("/v1/admin-api/bot/{bot_id}", response_model=BotyardNotice)
async def delete_bot(bot_id: str, _: Admin, runtime: CurrentRuntime) -> JSON:
    """Also revokes its key (every token of the bot), commands and webhook (decision 5)."""
    botyard_bot(runtime, bot_id)
    await runtime.writer.run(lambda unit: runtime.app.delete_bot(unit, AccountId(bot_id)))
    return said("Bot deleted.")


@router.get("/v1/admin-api/bot/{bot_id}/key", response_model=BotyardKey)
async def get_key(bot_id: str, _: Admin, runtime: CurrentRuntime) -> JSON:
    salt = directory.token_salt(runtime.db, bot_id, SCHEME)
    if not salt:
        raise BotyardError(404, "Key not found.")
    return JSON({"key": runtime.app.botyard_key(AccountId(bot_id), salt)})


@router.put("/v1/admin-api/bot/{bot_id}/key", response_model=BotyardKey)
async def reset_key(bot_id: str, _: Admin, runtime: CurrentRuntime) -> JSON:
    """A new key; the old one is refused from the next request on."""
    botyard_bot(runtime, bot_id)
    key = await runtime.writer.run(
        lambda unit: runtime.app.reset_botyard_key(unit, AccountId(bot_id)))
    return JSON({"key": key})


@router.put("/v1/admin-api/config", response_model=BotyardNotice)
async def reload_config(_: Admin, runtime: CurrentRuntime) -> JSON:
    """Reads `config/botyard.config.json` again; a broken file leaves the old config."""
    try:
        runtime.botyard = config.load()
    except config.ConfigError as error:
        raise BotyardError(500, str(error)) from None
    return said("Config reloaded.")
