"""uvicorn's HTTP and WebSocket protocols, with the limits a server facing the internet keeps
on its connections (nginx's large_client_header_buffers, client_header_timeout,
client_body_timeout and send_timeout have the same aims). uvicorn with httptools bounds none
of them: a request head was read into memory without end (300 MB of headers on one
connection, measured), a connection that sent nothing, or half a request, stayed open for
good, and a peer that stopped reading held its connection, its task and every frame queued
for it as long as its TCP stack kept answering.

- A request head (request line and headers) over `max_head` bytes: 431, and closed.
- A head not complete `timeout` seconds after the connection opened (or the request's first
  byte, on a kept-alive connection), or a body that pauses for `timeout`: closed.
- Writes that wait on a peer not reading (the transport's buffer above its high-water mark)
  for `timeout` seconds: the connection is aborted. HTTP and WebSocket alike, so a socket
  whose client never reads frees what was queued for it (api/sockets.py requeues its pushes).

Pauses of our own making (reading paused while the app catches up) never count.

An account holds at most BOTBUS_SOCKETS_PER_ACCOUNT sockets on `/v1/ws` and on `/gateway`
each (`crowded`): a newer one closes the oldest, so one token cannot pin sockets without end
and a client whose dead sockets the server has not noticed yet can still connect."""
import asyncio
import itertools
import logging
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

log = logging.getLogger(__name__)
HEAD, BODY, ANSWERING, REFUSED = "head", "body", "answering", "refused"
OPENED = itertools.count()  # the order sockets were opened in, every kind alike


class Opened(Protocol):
    opened: int  # from OPENED


S = TypeVar("S", bound=Opened)
TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
             b"content-type: text/plain; charset=utf-8\r\ncontent-length: 26\r\n"
             b"connection: close\r\n\r\nrequest head is too large\n")


class StallGuard(asyncio.Protocol):
    """Aborts the connection once writes have waited `timeout` seconds on a peer that does
    not read: closing it politely would wait for that very buffer to drain."""

    timeout = 60.0
    transport: Any
    _stalled: asyncio.TimerHandle | None = None

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stalled is None and self.timeout > 0:
            self._stalled = asyncio.get_running_loop().call_later(self.timeout, self._abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._unstall()

    def connection_lost(self, exc: Exception | None) -> None:
        self._unstall()
        super().connection_lost(exc)

    def _unstall(self) -> None:
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None

    def _abort(self) -> None:
        self._stalled = None
        log.info("aborted a connection whose peer stopped reading",
                 extra={"seconds": self.timeout})
        self.transport.abort()


class Http(StallGuard, HttpToolsProtocol):
    max_head = 1 << 16
    _stage, _head = HEAD, 0  # where the connection stands; the bytes of an unfinished head
    _timer: asyncio.TimerHandle | None = None  # the head's deadline, or the body's pause

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()  # the first request's head is due from now

    def data_received(self, data: bytes) -> None:
        if self._stage == REFUSED:
            return
        super().data_received(data)  # a request in one piece never touches a timer
        if self._stage == HEAD:  # unfinished, held by httptools
            self._head += len(data)
            if self.max_head > 0 and self._head > self.max_head:
                return self._refuse_head()
            if self._timer is None:  # a kept-alive connection's next head: due from now
                self._arm()
        elif self._stage == BODY:
            self._arm()  # a body may take long, but not pause for long

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._stage == ANSWERING:  # the next request on a kept-alive connection
            self._stage, self._head = HEAD, 0

    def on_headers_complete(self) -> None:
        if self.max_head > 0 and len(self.url) + sum(
                len(name) + len(value) + 4 for name, value in self.headers) > self.max_head:
            return self._refuse_head()  # a head that came in one piece: no request made
        self._stage = BODY
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._stage != REFUSED:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._stage == REFUSED:
            return
        super().on_message_complete()
        self._stage = ANSWERING  # the client waits for us now: no deadline of ours
        self._disarm()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the WebSocket protocol takes the connection over
        self._stage = ANSWERING
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        if self.timeout > 0:
            self._timer = self.loop.call_later(self.timeout, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self._stage not in (HEAD, BODY) or self.transport.is_closing():
            return
        if self.flow is not None and self.flow.read_paused:  # we stopped reading, not they
            return self._arm()
        log.info("closed a connection whose request stalled",
                 extra={"stage": self._stage, "seconds": self.timeout})
        self.transport.close()

    def _refuse_head(self) -> None:
        self._disarm()
        self._stage = REFUSED
        self.transport.write(TOO_LARGE)
        self.transport.close()


class WebSocket(StallGuard, WebSocketsSansIOProtocol):
    pass


def protocols(timeout: float, max_head: int) -> tuple[type[Http], type[WebSocket]]:
    """The classes uvicorn is given (`http=`, `ws=`), set to these limits."""
    limits: dict[str, object] = {"timeout": timeout}
    return (type("Http", (Http,), {**limits, "max_head": max_head}),
            type("WebSocket", (WebSocket,), limits))


def crowded(held: Iterable[S], most: int) -> list[S]:
    """An account's oldest sockets to close so that one more fits under `most` (0: none)."""
    if not most:
        return []
    oldest_first = sorted(held, key=lambda socket: socket.opened)
    return oldest_first[:max(0, len(oldest_first) + 1 - most)]
