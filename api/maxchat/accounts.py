"""MaxChat's local accounts (decision 2): register, login and logout with bearer sessions,
the caller's own user object, and presence. Passwords are hashed with argon2 off the event
loop (a hash takes tens of milliseconds) before the command records the hash."""
import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, HTTPException, Request

from api.deps import CurrentRuntime
from api.maxchat import render
from api.maxchat.auth import Human
from api.maxchat.errors import MaxChatError, MaxChatRoute, ok
from api.maxchat.objects import MaxChatOk, MaxChatSession, MaxChatUserAnswer
from api.maxchat.schemas import Credentials, Presence
from api.params import Params, documented
from api.responses import JSON
from api.runtime import Runtime
from projections import apps

router = APIRouter(tags=["MaxChat: accounts"], route_class=MaxChatRoute)
HASHER = PasswordHasher()
_DUMMY = HASHER.hash("not anyone's password")  # a failed login costs what a good one does
BAD_LOGIN = "invalid username or password"


def me(runtime: Runtime, account_id: str) -> dict:
    found = apps.person(runtime.db, account_id)
    if found is None:
        raise MaxChatError(404, "user not found")
    return render.user(found)


@router.post("/api/auth/register", status_code=201, response_model=MaxChatSession,
             openapi_extra=documented(Credentials))
async def register(body: Params[Credentials], runtime: CurrentRuntime) -> JSON:
    password_hash = await asyncio.to_thread(HASHER.hash, body.password)
    user_id, token = await runtime.writer.run(
        lambda unit: runtime.app.register_human(unit, body.username, password_hash))
    return ok(201, user=me(runtime, user_id), token=token)


@router.post("/api/auth/login", response_model=MaxChatSession,
             openapi_extra=documented(Credentials))
async def login(body: Params[Credentials], runtime: CurrentRuntime, request: Request) -> JSON:
    """A new bearer token; the earlier ones stay valid until their logout. Failures are
    throttled per username and address (api/logins.py) before anything is hashed."""
    throttle, address = runtime.limits.logins, request.client.host if request.client else ""
    wait = throttle.attempt(body.username, address)
    if wait is not None:
        raise HTTPException(429, f"too many failed logins: retry after {wait} seconds",
                            headers={"Retry-After": str(wait)})
    found = apps.login(runtime.db, body.username)
    try:
        await asyncio.to_thread(HASHER.verify, found["password_hash"] if found else _DUMMY,
                                body.password)
    except (VerificationError, InvalidHashError):
        raise MaxChatError(401, BAD_LOGIN) from None
    if found is None:
        raise MaxChatError(401, BAD_LOGIN)
    throttle.succeeded(body.username, address)
    account_id = found["account_id"]
    token = await runtime.writer.run(lambda unit: runtime.app.open_session(unit, account_id))
    return ok(user=me(runtime, account_id), token=token)


@router.post("/api/auth/logout", response_model=MaxChatOk)
async def logout(user: Human, runtime: CurrentRuntime) -> JSON:
    """Revokes the token of this very request."""
    await runtime.writer.run(lambda unit: runtime.app.close_session(
        unit, user["id"], user["token_hash"]))
    return ok()


@router.get("/api/users/@me", response_model=MaxChatUserAnswer)
async def whoami(user: Human, runtime: CurrentRuntime) -> JSON:
    return ok(user=me(runtime, user["id"]))


@router.post("/api/presence", response_model=MaxChatOk, openapi_extra=documented(Presence))
async def presence(user: Human, body: Params[Presence], runtime: CurrentRuntime) -> JSON:
    await runtime.writer.run(lambda unit: runtime.app.set_presence(
        unit, user["id"], body.status, body.activity))
    return ok()
