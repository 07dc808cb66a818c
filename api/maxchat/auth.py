"""MaxChat's callers: a human by `Authorization: Bearer <session token>` (from register or
login, revoked by logout), a bot by `Authorization: Bearer <mbt_ token>` or `Bot <token>`
(decision 1). Both are found by their token's sha256, held in memory (api/callers.py), so a
reset or a logout is refused from the very next request."""
from typing import Annotated

from fastapi import Depends, Header

from api.deps import CurrentRuntime
from api.maxchat.errors import MaxChatError
from api.runtime import Runtime
from domain.apps import SCHEME
from domain.tokens import hash_token, same_digest

MAX_TOKEN = 256


def token_of(authorization: str | None, schemes: tuple[str, ...]) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() if scheme.lower() in schemes else ""


def caller(runtime: Runtime, token: str, scheme: str) -> dict | None:
    """The account whose token of `scheme` this is (`session`: a human's sign-in)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    token_hash = hash_token(token)
    found = runtime.callers.by_token_hash(token_hash)
    if found is None or found["token_scheme"] != scheme:
        return None
    return found if same_digest(found["token_hash"], token_hash) else None


async def human(runtime: CurrentRuntime,
                authorization: Annotated[str | None, Header()] = None) -> dict:
    found = caller(runtime, token_of(authorization, ("bearer",)), "session")
    if found is None:
        raise MaxChatError(401, "invalid or missing user token")
    return found


async def bot(runtime: CurrentRuntime,
              authorization: Annotated[str | None, Header()] = None) -> dict:
    found = caller(runtime, token_of(authorization, ("bearer", "bot")), SCHEME)
    if found is None:
        raise MaxChatError(401, "invalid or missing bot token")
    return found


Human = Annotated[dict, Depends(human)]
BotCaller = Annotated[dict, Depends(bot)]
