"""The fast lane: a lean route's request, answered without the middleware stack.

Behind uvicorn, every request went through Starlette's error middleware, its exception
middleware and our body limit, each a coroutine per request and two of them wrapping every
`send`: about a tenth of the event loop's time on the echo bench (profiled). A request that a
lean route takes, and whose body is declared within the limit, comes here instead; its
errors meet the same handlers the middleware would have called, and a crash is answered
with the same 500 and raised on, as Starlette's error middleware does. Anything else (an
unknown path, a chunked or oversized body, a websocket) goes through the whole stack.
"""
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from api.lean import LeanRouter

Handler = Callable[[Request, Exception], Any]


class FastLane:
    def __init__(self, router: "LeanRouter", stack: ASGIApp,
                 handlers: Mapping[Any, Handler], crash: Handler | None,
                 max_body: int | None) -> None:
        self.router, self.stack, self.crash, self.max_body = router, stack, crash, max_body
        self.handlers = {key: handler for key, handler in handlers.items()
                         if isinstance(key, type)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.router.find(scope) if self._fits(scope) else None
        if route is None:
            return await self.stack(scope, receive, send)
        response: Response | None
        try:
            response = await route.answer(scope, receive, send)
        except Exception as error:  # noqa: BLE001 - handled as the middleware would
            handler = self._handler(error)
            response = await _call(handler or self.crash, scope, receive, send, error)
            if handler is None:  # a crash: answered with a 500, then raised for the server
                if response is not None:
                    await response(scope, receive, send)
                raise
        if response is not None:
            await response(scope, receive, send)

    def _fits(self, scope: Scope) -> bool:
        """An HTTP request whose body, if any, is declared and within the limit."""
        if scope["type"] != "http":
            return False
        length = chunked = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = value
        if chunked is not None:
            return False
        if length is None:
            return scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS")
        return length.isdigit() and (self.max_body is None or int(length) <= self.max_body)

    def _handler(self, error: Exception) -> Handler | None:
        for kind in type(error).__mro__:
            handler = self.handlers.get(kind)
            if handler is not None:
                return handler
        return None


async def _call(handler: Handler | None, scope: Scope, receive: Receive, send: Send,
                error: Exception) -> Response | None:
    if handler is None:
        return None
    request = Request(scope, receive, send)
    if inspect.iscoroutinefunction(handler):
        answered: Awaitable[Response] = handler(request, error)
        return await answered
    return await run_in_threadpool(handler, request, error)
