"""Writing frames to a gateway socket without a task or an await per frame: uvicorn's
sans-I/O websocket protocol writes a frame synchronously once it is found behind the ASGI
`send` (Starlette wraps it in closures). Where it is not found (another server), frames go
through an ordered queue and one sender task. A client that stops reading is closed rather
than buffered without end."""
import asyncio
import logging
from typing import Any

from starlette.websockets import WebSocket

log = logging.getLogger(__name__)
MAX_BUFFERED = 4 << 20  # bytes waiting in the kernel's send path before a slow reader is cut


def protocol_of(send: Any, depth: int = 4) -> Any:
    """uvicorn's protocol object behind an ASGI `send` (through wrapping closures)."""
    owner = getattr(send, "__self__", None)
    if owner is not None and hasattr(owner, "conn") and hasattr(owner, "transport"):
        return owner
    for cell in getattr(send, "__closure__", None) or ():
        try:
            inner = cell.cell_contents
        except ValueError:
            continue
        if callable(inner) and depth > 0:
            found = protocol_of(inner, depth - 1)
            if found is not None:
                return found
    return None


class Wire:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.protocol = protocol_of(websocket._send)  # noqa: SLF001 - see the docstring
        self.queue: asyncio.Queue[bytes] | None = None
        self.task: asyncio.Task | None = None
        self.closed = False
        if self.protocol is None:
            self.queue = asyncio.Queue()
            self.task = asyncio.ensure_future(self._drain())

    @property
    def fast(self) -> bool:
        return self.protocol is not None

    def write(self, frame: bytes) -> bool:
        """False if the socket is gone or too far behind."""
        if self.closed:
            return False
        protocol = self.protocol
        if protocol is None:
            assert self.queue is not None
            self.queue.put_nowait(frame)
            return True
        if protocol.close_sent or protocol.disconnected or protocol.transport.is_closing():
            return False
        if protocol.transport.get_write_buffer_size() > MAX_BUFFERED:
            return False
        protocol.conn.send_text(frame)
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))
        return True

    async def _drain(self) -> None:
        assert self.queue is not None
        while True:
            frame = await self.queue.get()
            try:
                await self.websocket.send_text(frame.decode())
            except Exception:  # noqa: BLE001 - the socket closed: the session ends
                self.closed = True
                return

    async def close(self, code: int) -> None:
        if self.closed:
            return
        self.closed = True
        if self.task is not None:
            self.task.cancel()
        try:
            await self.websocket.close(code)
        except Exception:  # noqa: BLE001 - closed already
            log.debug("gateway socket closed already", extra={"code": code})
