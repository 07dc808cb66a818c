"""create_app(): the composition root. Picks the real clock, ids and persistence."""
import asyncio
import logging
import sys
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from api import logs, openapi, redact
from api.bodylimit import UPLOADS, BodyLimit, BodyTooLarge
from api.botyard import admin as botyard_admin
from api.botyard import bots as botyard_bots
from api.botyard import client as botyard_client
from api.botyard import files as botyard_files
from api.botyard import webhooks as botyard_webhooks  # noqa: F401 - registers its shape
from api.botyard.cors import preflight
from api.errors import envelope_for
from api.feather import admin as feather_admin
from api.feather import bots as feather_bots
from api.feather import files as feather_files
from api.feather import users as feather_users
from api.lean import Lean
from api.maxchat import accounts as maxchat_accounts
from api.maxchat import bot as maxchat_bot
from api.maxchat import dev as maxchat_dev
from api.maxchat import gateway as maxchat_gateway
from api.maxchat import messages as maxchat_messages
from api.maxchat import pages as maxchat_pages
from api.maxchat import servers as maxchat_servers
from api.params import describe
from api.responses import JSON
from api.runtime import Runtime
from api.settings import Settings
from api.stalls import Stalls
from api.telegram import routes as telegram
from domain.logstore import shown

log = logging.getLogger(__name__)
DESCRIPTION = """One event log behind featherChat, Telegram, Botyard and MaxChat.

**WebSocket `/v1/ws`** (featherChat users; not listable below). The user token goes in
`Authorization: Bearer <token>`, or as the subprotocol `bearer.<token>` offered together with
`botbus` (which the server selects; for browsers), or in the query `?token=<token>`. While
the socket is open, each bot message for the user arrives as one JSON text frame
`{"update_id": N, "message": {...}}`, exactly a `GET /v1/messages/inbox` item, and the bot's
`sendMessage` answers `delivered: true`.

**Acknowledge every frame** with the text frame `{"ack": "<message.message_id>"}` (or
`{"ack": [ids...]}`): only then is the message the client's. What is not acknowledged when
the socket closes, within the ack timeout (`BOTBUS_ACK_TIMEOUT`, 30 s: the socket is then
closed with code 4008), or before the server restarts, goes back to the user's inbox under
its original `update_id`, so a client that reconnects reads the inbox first. Other frames
(text keep-alives, binary) are ignored; a frame over 64 KiB closes the socket with 1009. A bad
token gets `{"ok": false, "description": "invalid token"}` and close code 4003; a server
stopping closes sockets with 1012 (reconnect).

**WebSocket `/gateway`** (MaxChat bots and humans; not listable below). The server sends
`{"op": "HELLO", "d": {"heartbeat_interval": N}}`; the client sends `{"op": "IDENTIFY", "d":
{"token": "<mbt_ bot token or user token>"}}` and gets `{"op": "DISPATCH", "t": "READY", "s":
S, "d": {user, servers, session_id, application?}}`, then heartbeats `{"op": "HEARTBEAT"}`
every N ms (answered with HEARTBEAT_ACK). Events arrive as `{"op": "DISPATCH", "t": EVENT,
"s": S, "d": {...}}`, `s` being the event's position in the log. `{"op": "RESUME", "d":
{token, session_id, seq}}` on a new socket replays what came after `seq`, then RESUMED.
Close codes: 4001 unknown op, 4002 decode error, 4003 not identified, 4004 bad or revoked
token, 4005 identified twice, 4006 unknown session, 4007 bad seq, 4008 rate limited, 4009
no heartbeat for 1.5 intervals; RECONNECT before a shutdown.
"""


def serve(app: FastAPI, *routers: APIRouter) -> None:
    """Each router's routes join the app's own list. `include_router` would keep the routers
    as live sub-routers, matched anew on every request: a fifth of the app's own time spent
    per request on a hot path like getUpdates."""
    for router in routers:
        app.router.routes.extend(router.routes)


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    logs.configure(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runtime, new_admin_key = Runtime.start(settings)
        stalls = Stalls(asyncio.get_running_loop(), settings.stall_warning).start()
        await runtime.return_in_flight()
        runtime.webhooks.start()
        runtime.retention.start()
        runtime.files.sweep_in_background()
        if new_admin_key:
            print(f"botbus: generated admin key (shown once, keep it): {new_admin_key}",
                  file=sys.stdout, flush=True)
        app.state.runtime = runtime
        print(f"botbus: serving http://{settings.host}:{settings.port}/ (API reference at /docs),"
              f" data in {settings.data}"
              + (f", log in {shown(settings.log_url)}" if settings.log_url else ""),
              file=sys.stdout, flush=True)
        yield
        await runtime.stop()
        stalls.stop()

    app = Lean(title="Botbus", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  default_response_class=JSON,
                  description=DESCRIPTION)
    # MaxChat's `/bot-invite/<app>` before Telegram's `/bot<token>/<method>`, which it matches
    serve(app, maxchat_pages.router, maxchat_dev.router, telegram.router, feather_bots.router,
          feather_users.router, feather_files.router, feather_admin.router, botyard_admin.router,
          botyard_bots.router, botyard_client.router, botyard_files.router, maxchat_accounts.router,
          maxchat_servers.router, maxchat_messages.router, maxchat_bot.router,
          maxchat_gateway.router)

    @app.get("/health", tags=["server"])
    async def health(request: Request) -> JSON:
        """200 `{"ok": true}`; 503 with the read models' positions and faults when they
        are behind the log or have set an event aside, or the writer stopped."""
        status, body = request.app.state.runtime.health()
        return JSON(body, status_code=status)

    # What no dialect's route class rendered: unknown paths, oversized bodies, crashes.
    def reply(request: Request, description: str, status: int) -> JSON:
        return envelope_for(request.url.path)(description, status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSON:
        return reply(request, describe(list(error.errors())), 400)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, error: BodyTooLarge) -> JSON:
        return reply(request, str(error), 413)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 405 and (allowed := preflight(request)) is not None:
            return allowed
        response = reply(request, str(error.detail), error.status_code)
        response.headers.update(error.headers or {})
        if error.status_code == 405:  # every route of this path counts, not only the first
            response.headers["Allow"] = ", ".join(allowed_methods(app, request))
        return response

    @app.exception_handler(ClientDisconnect)
    async def went_away(request: Request, error: ClientDisconnect) -> JSON:
        """The client left mid-body (or was cut off, api/connections.py): no fault of ours,
        and nobody to answer."""
        log.info("client went away mid-request", extra={"path": redact.path(request.url.path)})
        return reply(request, "client went away", 400)

    @app.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> JSON:
        log.exception("unhandled error", extra={"path": redact.path(request.url.path)})
        return reply(request, "internal server error", 500)

    openapi.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes, uploads=UPLOADS,
                       envelope=lambda scope: envelope_for(scope["path"]))
    return app
