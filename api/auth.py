"""Who is calling. Accounts are found by the sha256 of their token, so a token never reaches
the database or a log, and the stored hash is compared in constant time."""
from typing import Annotated

from fastapi import Depends, Header

from api.callers import Callers
from api.deps import CurrentRuntime
from domain.errors import unauthorized
from domain.tokens import hash_token, same_digest

INVALID_TOKEN = "invalid token"
MAX_TOKEN = 256


def account_for_token(callers: Callers, token: str, kinds: tuple[str, ...]) -> dict | None:
    if not token or len(token) > MAX_TOKEN:
        return None
    token_hash = hash_token(token)
    account = callers.by_token_hash(token_hash)
    if account is None or account["kind"] not in kinds:
        return None
    return account if same_digest(account["token_hash"], token_hash) else None


def bearer(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def current_bot(token: str, runtime: CurrentRuntime) -> dict:
    """A bot named by the token in its path (`/v1/bot/<token>/...`); either token form."""
    bot = account_for_token(runtime.callers, token, ("bot",))
    if bot is None:
        raise unauthorized(INVALID_TOKEN)
    return bot


async def current_user(runtime: CurrentRuntime,
                 authorization: Annotated[str | None, Header()] = None) -> dict:
    """A user named by `Authorization: Bearer <user token>`."""
    user = account_for_token(runtime.callers, bearer(authorization), ("user",))
    if user is None:
        raise unauthorized(INVALID_TOKEN)
    return user


CurrentBot = Annotated[dict, Depends(current_bot)]
CurrentUser = Annotated[dict, Depends(current_user)]
