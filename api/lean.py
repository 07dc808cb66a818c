"""The lean request path every dialect's route class builds on: `Lean` (the app, with only
the middleware Botbus uses, and `FastLane` in front of it), `LeanRouter` (lean routes found
in one lookup) and `LeanRoute`.

Routes keep FastAPI's signatures (`bot: CurrentBot, body: Params[SendMessage]`), so the
OpenAPI document is FastAPI's own. But FastAPI solves those dependencies anew on every
request, generically (a third of the event loop's time on the hot path, measured): here each
route's dependency tree is compiled once, when the route is built, into plain calls: path
parameters and optional headers read as strings, sub-dependencies awaited once per request.
A route that needs more (query or body fields, yield dependencies) keeps FastAPI's handler.
"""
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.routing import APIRoute
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api import misses
from api.bodylimit import BodyLimit
from api.lane import FastLane
from api.responses import JSON
from domain.errors import DomainError, Kind

Resolve = Callable[[Request, dict], Awaitable[Any]]
MISSES = (Kind.NOT_FOUND, Kind.UNAUTHORIZED, Kind.FORBIDDEN)


class Lean(FastAPI):
    """FastAPI with only the middleware Botbus uses: FastAPI's telemetry and body-limit
    layers pass every request through for nothing here (our BodyLimit answers in each
    dialect's envelope), and each layer is a coroutine per request on the hot path."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # FastAPI's own start and stop
            return await super().__call__(scope, receive, send)
        scope["app"] = self  # the rest of Starlette's __call__, without telemetry checks
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        handlers = dict(self.exception_handlers)
        crash = handlers.pop(Exception, None) or handlers.pop(500, None)
        router = LeanRouter(self.router.routes, AsyncExitStackMiddleware(self.router))
        app: ASGIApp = ExceptionMiddleware(router, handlers=handlers, debug=self.debug)
        for middleware in reversed(self.user_middleware):
            app = middleware.cls(app, *middleware.args, **middleware.kwargs)
        stack = ServerErrorMiddleware(app, handler=crash, debug=self.debug)
        limits = [cast(int, m.kwargs["max_bytes"]) for m in self.user_middleware
                  if m.cls is BodyLimit]
        return FastLane(router, stack, handlers, crash, max_body=min(limits, default=None))


class Unsupported(Exception):
    """A dependant the compiler does not handle: the route keeps FastAPI's handler."""


class LeanRoute(APIRoute):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compiled = False
        try:
            resolve = compile_dependant(self.dependant)
        except Unsupported:
            return  # FastAPI's own handler, set by APIRoute
        self.resolve, self.compiled = resolve, True
        self.app = self._lean_app()

    def render(self, error: Exception) -> Response | None:
        """The dialect's envelope for an error it owns; None lets it propagate to the app's
        handlers (unknown paths, bad bodies, crashes)."""
        return None

    def missed(self, error: Exception, response: Response) -> bool:
        """Whether a refusal says something the request names was not found (api/misses.py):
        a token, an object or a permission another node may have just written."""
        if isinstance(error, DomainError):
            return error.kind in MISSES
        return response.status_code in (401, 403, 404)

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Response:
        """The route's response, not sent yet; an error the dialect does not own raises."""
        request = Request(scope, receive, send)
        response, missed = await self._run(request)
        if missed and await misses.behind(request):  # only ever on a shared log
            response, _ = await self._run(request)  # its body and form kept on the request
        return response

    async def _run(self, request: Request) -> tuple[Response, bool]:
        try:
            response = await self.resolve(request, {})
        except Exception as error:  # noqa: BLE001 - the dialect renders what it owns
            rendered = self.render(error)
            if rendered is None:
                raise
            return rendered, self.missed(error, rendered)
        return response if isinstance(response, Response) else JSON(response), False

    def _lean_app(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            response = await self.answer(scope, receive, send)
            await response(scope, receive, send)

        return app


def compile_dependant(dependant: Dependant) -> Resolve:
    """`resolve(request, cache)`: the dependant's call, awaited with its arguments."""
    call = dependant.call
    if call is None or not inspect.iscoroutinefunction(call):
        raise Unsupported("only async functions")
    if (dependant.query_params or dependant.cookie_params or dependant.body_params
            or dependant.response_param_name or dependant.background_tasks_param_name
            or dependant.websocket_param_name or dependant.security_scopes_param_name):
        raise Unsupported("parameters FastAPI must validate")
    readers: list[tuple[str, Callable[[Request], Any]]] = []
    for field in dependant.path_params:
        if field.field_info.annotation is not str:
            raise Unsupported("a path parameter other than str")
        readers.append((field.name, _path_reader(field.alias)))
    for field in dependant.header_params:
        if field.field_info.is_required() or field.field_info.annotation not in (str, str | None):
            raise Unsupported("a required or non-string header")
        converts = getattr(field.field_info, "convert_underscores", True)
        alias = field.alias.replace("_", "-") if converts else field.alias
        readers.append((field.name, _header_reader(alias.lower(), field.default)))
    for name in (dependant.request_param_name, dependant.http_connection_param_name):
        if name is not None:
            readers.append((name, _itself))
    subs = [(sub.name or "", sub.call, compile_dependant(sub)) for sub in dependant.dependencies]

    async def resolve(request: Request, cache: dict) -> Any:
        values = {name: read(request) for name, read in readers}
        for name, key, sub in subs:
            if key not in cache:
                cache[key] = await sub(request, cache)
            values[name] = cache[key]
        return await call(**values)

    return resolve


def _path_reader(alias: str) -> Callable[[Request], Any]:
    return lambda request: request.path_params[alias]


def _header_reader(alias: str, default: Any) -> Callable[[Request], Any]:
    return lambda request: request.headers.get(alias, default)


def _itself(request: Request) -> Request:
    return request


class LeanRouter:
    """Finds a lean route by its method and path depth, in one dict lookup: the router itself
    tries every route's regex in turn (a tenth of a request, profiled). Only where no route
    the lean one could shadow comes first: anything else, and every miss, goes to `rest`."""

    def __init__(self, routes: list, rest: Callable[[Scope, Receive, Send], Awaitable[None]]):
        self.rest = rest
        self.table: dict[tuple[str, int], list[LeanRoute]] = {}  # by method and depth
        shadowed: set[int] = set()  # depths at which another kind of route came first
        for route in routes:
            depth = _depth(getattr(route, "path", ""))
            if depth is None:
                continue
            if isinstance(route, LeanRoute) and route.compiled and depth not in shadowed:
                for method in route.methods or ():
                    self.table.setdefault((method, depth), []).append(route)
            else:
                shadowed.add(depth)

    def find(self, scope: Scope) -> LeanRoute | None:
        """The lean route for this request, its path parameters set in the scope; or None."""
        if scope["type"] == "http" and not scope.get("root_path"):
            path = scope["path"]
            for route in self.table.get((scope["method"], path.count("/")), ()):
                match = route.path_regex.match(path)  # a few candidates, in the router's order
                if match is not None:
                    scope["path_params"] = match.groupdict()  # plain `{name}`: strings as-is
                    scope["route"], scope["endpoint"] = route, route.endpoint
                    return route
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.find(scope)
        if route is not None:
            return await route.app(scope, receive, send)
        await self.rest(scope, receive, send)


def _depth(path: str) -> int | None:
    """How many segments a route's path has, as `path.count("/")` counts a request's; None
    for a path with a converter (`{p:path}`), whose requests need not have that depth. A
    plain parameter matches within one segment, also inside one (`/bot{token}`)."""
    if not path.startswith("/") or ":" in "".join(re.findall(r"{[^}]*}", path)):
        return None
    return path.count("/")
