"""Live user sockets (featherChat `/v1/ws`), keyed by the user's fingerprint.

A message sent while its recipient is online is recorded as delivered and pushed here when
the projector applies it; the frame is serialized once per message. If the recipient is gone
by then, or every push fails, `on_missed` records that, and the message waits in their queue.
"""
import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any
from uuid import UUID

import orjson
from sqlite_utils import Database
from starlette.websockets import WebSocket

from api.feather import render
from domain.messages import Message
from projections import messages

log = logging.getLogger(__name__)
Missed = Callable[[UUID, str], None]


class Sockets:
    def __init__(self, on_missed: Missed) -> None:
        self._open: dict[str, set[WebSocket]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._on_missed = on_missed

    def is_online(self, address: str) -> bool:
        return bool(self._open.get(address))

    def add(self, address: str, socket: WebSocket) -> None:
        self._open.setdefault(address, set()).add(socket)

    def remove(self, address: str, socket: WebSocket) -> None:
        sockets = self._open.get(address)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._open[address]

    def deliver(self, db: Database, events: Sequence[object]) -> None:
        for event in events:
            if not (isinstance(event, Message.Sent) and event.delivered):
                continue
            sockets = tuple(self._open.get(event.to, ()))
            item = messages.get(db, str(event.originator_id))
            if not sockets or item is None:
                self._on_missed(event.originator_id, "recipient went offline")
                continue
            frame = orjson.dumps(render.inbox_item(item)).decode()
            self.spawn(self._push(event.originator_id, sockets, frame))

    async def _push(self, message_id: UUID, sockets: tuple[WebSocket, ...], frame: str) -> None:
        results = await asyncio.gather(*(s.send_text(frame) for s in sockets),
                                       return_exceptions=True)
        if all(isinstance(result, BaseException) for result in results):
            self._on_missed(message_id, "socket closed")

    def close_all(self) -> None:
        for sockets in self._open.values():
            for socket in sockets:
                self.spawn(socket.close(1001))

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run in the background, kept referenced until done, failures logged."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background send failed", extra={"error": str(task.exception())})
