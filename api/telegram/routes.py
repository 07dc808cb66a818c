"""The Telegram router: `/bot<token>/<method>` and `/bot<token>/test/<method>`, any verb of GET
and POST, method names in any case, parameters from the query string and any body merged
(api/params.py), every answer in Telegram's envelope."""
from fastapi import APIRouter, Request

from api.deps import CurrentRuntime
from api.params import parse
from api.responses import JSON
from api.runtime import Runtime
from api.telegram import files, polling, profile, sending, webhooks  # noqa: F401 - they register
from api.telegram.auth import authenticate
from api.telegram.errors import TelegramError, TelegramRoute
from api.telegram.methods import METHODS, Call, Described

router = APIRouter(tags=["Telegram Bot API"], route_class=TelegramRoute)

async def dispatch(runtime: Runtime, token: str, name: str, request: Request) -> JSON:
    bot = authenticate(runtime, token)
    found = METHODS.get(name.lower())
    if found is None:
        raise TelegramError(404, "Not Found: method not found")
    params = await parse(request, found.params)
    result = await found.run(Call(runtime, bot, request), params)
    if isinstance(result, Described):
        return JSON({"ok": True, "result": result.result, "description": result.description})
    return JSON({"ok": True, "result": result})


@router.api_route("/bot{token}/{method}", methods=["GET", "POST"], include_in_schema=False)
async def call(token: str, method: str, request: Request, runtime: CurrentRuntime) -> JSON:
    return await dispatch(runtime, token, method, request)


@router.api_route("/bot{token}/test/{method}", methods=["GET", "POST"], include_in_schema=False)
async def call_test(token: str, method: str, request: Request, runtime: CurrentRuntime) -> JSON:
    """Telegram's test environment path: the same bot and methods here."""
    return await dispatch(runtime, token, method, request)


router.routes.extend(files.router.routes)  # /file/bot<token>/<file_path>
