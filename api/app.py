"""create_app(): the composition root. Picks the real clock, ids and persistence."""
import logging
import sys
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from api import logs, openapi, redact
from api.bodylimit import BodyLimit, BodyTooLarge
from api.errors import envelope_for
from api.feather import bots as feather_bots
from api.feather import users as feather_users
from api.params import describe
from api.responses import JSON
from api.runtime import Runtime
from api.settings import Settings

log = logging.getLogger(__name__)
DESCRIPTION = """One event log behind featherChat, Telegram, Botyard and MaxChat.

**WebSocket `/v1/ws?token=<user token>`** (featherChat users; not listable below): while it is
open, each bot message for the user arrives as one JSON text frame `{"message": {...}}`, the
shape of a `GET /v1/messages/inbox` item (which also carries its `update_id`), and the bot's
`sendMessage` answers `delivered: true`. A bad token gets
`{"ok": false, "description": "invalid token"}` and close code 4003. Frames the client sends
are ignored (use them as keep-alives).
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
        runtime, new_admin_key = Runtime.start(settings.data)
        if new_admin_key:
            print(f"botbus: generated admin key (shown once, keep it): {new_admin_key}",
                  file=sys.stdout, flush=True)
        app.state.runtime = runtime
        print(f"botbus: serving http://{settings.host}:{settings.port}/ (API reference at /docs),"
              f" data in {settings.data}", file=sys.stdout, flush=True)
        yield
        runtime.stop()

    app = FastAPI(title="Botbus", version="0.1.0", lifespan=lifespan,
                  default_response_class=JSON,
                  description=DESCRIPTION)
    serve(app, feather_bots.router, feather_users.router)

    @app.get("/health", tags=["server"])
    async def health() -> dict:
        return {"ok": True}

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
    async def http_error(request: Request, error: HTTPException) -> JSON:
        response = reply(request, str(error.detail), error.status_code)
        response.headers.update(error.headers or {})
        if error.status_code == 405:  # every route of this path counts, not only the first
            response.headers["Allow"] = ", ".join(allowed_methods(app, request))
        return response

    @app.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> JSON:
        log.exception("unhandled error", extra={"path": redact.path(request.url.path)})
        return reply(request, "internal server error", 500)

    openapi.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       envelope=lambda scope: envelope_for(scope["path"]))
    return app
