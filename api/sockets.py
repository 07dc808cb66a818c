"""Live user sockets (featherChat `/v1/ws`), keyed by the user's fingerprint.

A message sent while its recipient is online is recorded as delivered and pushed here when
the projector applies it; the frame is serialized once per message.
"""
import asyncio
import logging

import orjson
from sqlite_utils import Database
from starlette.websockets import WebSocket

from api.feather import render
from domain.messages import Message
from projections import messages

log = logging.getLogger("botbus.sockets")


class Sockets:
    def __init__(self) -> None:
        self._open: dict[str, set[WebSocket]] = {}
        self._tasks: set[asyncio.Task] = set()

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

    def deliver(self, db: Database, events: list) -> None:
        for event in events:
            if isinstance(event, Message.Sent) and event.delivered and event.to in self._open:
                item = messages.get(db, str(event.originator_id))
                if item is None:  # projected before this callback runs; never absent
                    continue
                frame = orjson.dumps(render.inbox_item(item)).decode()
                for socket in tuple(self._open[event.to]):
                    self._spawn(socket.send_text(frame))

    def close_all(self) -> None:
        for sockets in self._open.values():
            for socket in sockets:
                self._spawn(socket.close(1001))

    def _spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("socket send failed: %s", task.exception())
