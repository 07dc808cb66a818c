"""Bounded request size, in the caller's dialect: refused at once by Content-Length, or
counted as a chunked body streams in (BodyTooLarge, which the app renders as 413)."""
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import JSON


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int,
                 envelope: Callable[[Scope], Callable[[str, int], JSON]]) -> None:
        self.app, self.max_bytes, self.envelope = app, max_bytes, envelope

    def description(self) -> str:
        return f"request body is larger than {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:  # uvicorn never reads past a declared length
            if not length.isdigit() or int(length) > self.max_bytes:
                response = self.envelope(scope)(self.description(), 413)
                return await response(scope, receive, send)
            return await self.app(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise BodyTooLarge(self.description())
            return message

        await self.app(scope, counted, send)
