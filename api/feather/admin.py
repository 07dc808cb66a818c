"""The server admin's routes (telegram.md decision 2): bots created BotFather-style with the
admin key, printed once on first start (only its hash is stored)."""
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header

from api.deps import CurrentRuntime
from api.feather.bots import ok
from api.feather.errors import FeatherRoute
from api.feather.schemas import CreateBot, CreatedBot, Ok
from api.params import Params, documented
from api.responses import JSON
from domain.errors import unauthorized
from domain.tokens import hash_token, same_digest

router = APIRouter(tags=["featherChat v1: admin"], route_class=FeatherRoute)
INVALID_ADMIN_KEY = "invalid admin key"


async def admin(runtime: CurrentRuntime,
                authorization: Annotated[str | None, Header()] = None) -> None:
    """`Authorization: <admin key>` (a `Bearer ` prefix is accepted too)."""
    key = (authorization or "").removeprefix("Bearer ").strip()
    if not key or len(key) > 256 or not same_digest(runtime.secrets.admin_key_hash,
                                                    hash_token(key)):
        raise unauthorized(INVALID_ADMIN_KEY)


Admin = Annotated[None, Depends(admin)]


@router.post("/v1/admin/bots", response_model=Ok[CreatedBot], openapi_extra=documented(CreateBot))
async def create_bot(_: Admin, body: Params[CreateBot], runtime: CurrentRuntime) -> JSON:
    """A new bot with both its tokens (shown once) and a fingerprint of its own."""
    fingerprint = secrets.token_hex(16)
    done = await runtime.writer.run(lambda unit: runtime.app.register_bot(
        unit, body.name, fingerprint, body.description, body.username))
    return ok({"token": done.token, "name": done.name, "fingerprint": done.fingerprint,
               "alias": "@" + done.alias, "bot_api_token": done.api_token, "id": done.number})
