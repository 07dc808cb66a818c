"""Bounded request size: refuse by Content-Length at once, or count a streamed body.

A streamed body that grows too large raises BodyTooLarge inside the app, whose exception
handler answers 413 in the caller's dialect."""
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import JSON

Envelope = Callable[[str, int], JSON]


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, envelope: Callable[[Scope], Envelope]):
        self.app, self.max_bytes, self.envelope = app, max_bytes, envelope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes
        headers = dict(scope.get("headers", ()))
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await self._refuse(scope, receive, send)
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.envelope(scope)(f"request body is larger than {self.max_bytes} bytes", 413)
        await response(scope, receive, send)

