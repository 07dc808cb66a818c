"""Bounded request size, in the caller's dialect: refused at once by Content-Length, or
counted as a chunked body streams in (BodyTooLarge, which the app renders as 413).

A multipart body that reaches this layer (over the ordinary limit: an upload) is also held
to MAX_PARTS parts, counted as it streams in. The form parser keeps up to 1 MB of each part
in memory (Starlette's defaults: 1000 files and 1000 fields of 1 MB each), so one upload of
parts just under 1 MB held about a gigabyte per thousand parts (measured); at MAX_PARTS,
at most ~64 MB. A smaller body goes by the fast lane (api/lane.py), its size its bound."""
import re
from collections.abc import Callable

from python_multipart.multipart import parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import JSON

# The paths that take files (a multipart part stored in the file store): Telegram's methods
# (either token has a colon), featherChat's user send and Botyard's two upload routes
UPLOADS = re.compile(
    r"/bot[^/]*:[^/]*/(?:test/)?[^/]+|/v1/messages/send|/v1/(?:bot|client)-api/files")


MAX_PARTS = 64  # Telegram's largest call, an album of 10 files, takes about 25


class BodyTooLarge(Exception):
    pass


class Parts:
    """Counts a multipart body's delimiters as it streams, across the edges of chunks."""

    def __init__(self, boundary: bytes) -> None:
        self.delimiter, self.tail, self.seen = b"--" + boundary, b"", 0

    def feed(self, chunk: bytes) -> int:
        """How many parts have begun so far (the closing delimiter counts as one more)."""
        data = self.tail + chunk
        self.seen += data.count(self.delimiter)
        self.tail = data[len(data) - len(self.delimiter) + 1:]  # a delimiter cut in two
        return self.seen


def parts_of(headers: dict[bytes, bytes]) -> Parts | None:
    kind, options = parse_options_header(headers.get(b"content-type", b""))
    boundary = options.get(b"boundary")
    return Parts(boundary) if kind == b"multipart/form-data" and boundary else None


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
        parts = parts_of(headers)
        if length is not None:  # uvicorn never reads past a declared length
            if not length.isdigit() or int(length) > limit:
                response = self.envelope(scope)(self.description(limit), 413)
                return await response(scope, receive, send)
            if parts is None:
                return await self.app(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            body = message.get("body", b"")
            seen += len(body)
            if seen > limit:
                raise BodyTooLarge(self.description(limit))
            if parts is not None and parts.feed(body) > MAX_PARTS + 1:
                raise BodyTooLarge(f"multipart body has more than {MAX_PARTS} parts")
            return message

        await self.app(scope, counted, send)
