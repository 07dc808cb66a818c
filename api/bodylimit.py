"""Bounded request size, in the caller's dialect: refused at once by Content-Length, or
counted as a chunked body streams in (BodyTooLarge, which the app renders as 413)."""
import re
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import JSON

# The paths that take files (a multipart part stored in the file store): Telegram's methods
# (either token has a colon), featherChat's user send and Botyard's two upload routes
UPLOADS = re.compile(
    r"/bot[^/]*:[^/]*/(?:test/)?[^/]+|/v1/messages/send|/v1/(?:bot|client)-api/files")


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """`max_bytes` for every body; `max_upload_bytes` only for a multipart one to a path that
    takes files (`uploads`), so no other route, unauthenticated ones included, lets a
    gigabyte spool to disk before it can refuse it."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 envelope: Callable[[Scope], Callable[[str, int], JSON]],
                 max_upload_bytes: int | None = None,
                 uploads: re.Pattern[str] | None = None) -> None:
        self.app, self.max_bytes, self.envelope = app, max_bytes, envelope
        self.max_upload_bytes = max(max_upload_bytes or max_bytes, max_bytes)
        self.uploads = uploads

    @staticmethod
    def description(limit: int) -> str:
        return f"request body is larger than {limit} bytes"

    def limit(self, scope: Scope, headers: dict[bytes, bytes]) -> int:
        if self.uploads is None or not headers.get(b"content-type", b"").lower().startswith(
                b"multipart/form-data"):
            return self.max_bytes
        return self.max_upload_bytes if self.uploads.fullmatch(scope["path"]) else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        limit = self.limit(scope, headers)
        length = headers.get(b"content-length")
        if length is not None:  # uvicorn never reads past a declared length
            if not length.isdigit() or int(length) > limit:
                response = self.envelope(scope)(self.description(limit), 413)
                return await response(scope, receive, send)
            return await self.app(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(self.description(limit))
            return message

        await self.app(scope, counted, send)
