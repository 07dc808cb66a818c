"""Botyard's three callers (botyard.md §1.3): the admin by its key, a bot by
`Authorization: <bot id>:<token>`, a web user by the `token` cookie (an HS256 JWT), renewed on
every request (the sliding session). Keys are looked up by their sha256 and compared in
constant time; an unknown bot id is refused like a wrong token (decision 2).
Verifying and signing a JWT is a third of a user request's CPU: the tokens this server issued
are remembered (api/botyard/sessions.py)."""
import time
from email.utils import formatdate
from typing import Annotated

import jwt
from fastapi import Depends, Header, Request

from api.botyard.errors import COOKIE, BotyardError
from api.botyard.sessions import Session
from api.deps import CurrentRuntime
from api.runtime import Runtime
from domain.botyard import SCHEME
from domain.tokens import hash_token, same_digest
from projections import directory

MAX_KEY = 256
UNAUTHORIZED = "User is unauthorized."


async def admin(runtime: CurrentRuntime,
                authorization: Annotated[str | None, Header()] = None) -> None:
    if not authorization:
        raise BotyardError(403, "Admin key is required.")
    if len(authorization) > MAX_KEY or not same_digest(runtime.secrets.admin_key_hash,
                                                       hash_token(authorization)):
        raise BotyardError(403, "Access denied.")


async def bot(runtime: CurrentRuntime,
              authorization: Annotated[str | None, Header()] = None) -> dict:
    """The bot whose key this is, if it has not been reset or the bot deleted since."""
    if not authorization:
        raise BotyardError(403, "Bot key is required.")
    bot_id, colon, token = authorization.partition(":")
    if not colon or not token or len(authorization) > MAX_KEY:
        raise BotyardError(403, "Invalid bot key.")
    key_hash = hash_token(authorization)
    found = runtime.callers.by_token_hash(key_hash)
    if (found is None or found["token_scheme"] != SCHEME or found["id"] != bot_id
            or not same_digest(found["token_hash"], key_hash)):
        raise BotyardError(403, "Invalid bot key.")
    return found


async def user(request: Request, runtime: CurrentRuntime) -> dict:
    """The web user of the cookie, whose cookie is renewed with this answer."""
    token, now = request.cookies.get("token"), int(time.time())
    if not token:
        raise BotyardError(401, UNAUTHORIZED)
    session = runtime.sessions.get(token, now)
    if session is not None:
        user_id = session.user_id
    else:
        try:
            claims = jwt.decode(token, runtime.secrets.jwt_key.encode(), algorithms=["HS256"],
                                options={"require": ["exp", "id"]})
        except jwt.PyJWTError:
            raise BotyardError(401, UNAUTHORIZED) from None
        user_id = str(claims["id"])
    account = directory.account(runtime.db, user_id)
    if account is None or account["kind"] != "user":
        raise BotyardError(401, UNAUTHORIZED)
    if session is None or now - session.issued >= runtime.sessions.reissue_after:
        session = issue(runtime, account["id"], account["name"], now)
    request.scope[COOKIE] = set_cookie(session)
    return account


def issue(runtime: Runtime, user_id: str, nickname: str, now: int | None = None) -> Session:
    """A new session token, valid for the config's lifetime from now."""
    now = int(time.time()) if now is None else now
    expires = now + runtime.botyard.token_lifetime_minutes * 60
    token = jwt.encode({"id": user_id, "nickname": nickname, "exp": expires, "iat": now},
                       runtime.secrets.jwt_key.encode(), algorithm="HS256")
    session = Session(token, user_id, now, expires)
    runtime.sessions.hold(session)
    return session


def set_cookie(session: Session) -> str:
    """`Set-Cookie` for a session (decision 10: HttpOnly, SameSite=Lax, Path=/)."""
    return (f"token={session.token}; Expires={formatdate(session.expires, usegmt=True)};"
            " Path=/; HttpOnly; SameSite=Lax")


Admin = Annotated[None, Depends(admin)]
CurrentBot = Annotated[dict, Depends(bot)]
CurrentUser = Annotated[dict, Depends(user)]
