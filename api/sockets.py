"""Live user sockets (featherChat `/v1/ws`), keyed by the user's fingerprint, with acks.

A message sent while its recipient is online is recorded as delivered and pushed here when
the projector applies it; the frame is serialized once per message. It counts as received
only when a client acknowledges it (`{"ack": "<message_id>"}`). What is still unacknowledged
when its last socket closes, or `ack_timeout` after the push (the client stopped answering:
its socket is closed with 4008), goes back to the recipient's queue through `on_missed`,
under its original update id. A restart returns whatever was in flight (`Runtime.start`).
An account holds at most `per_account` sockets: a newer one closes the oldest (1008), as a
newer long poll ends an older one: one token cannot pin sockets (and a send of every push
on each) without end, and a client whose dead sockets the server has not noticed yet can
still connect.
"""
import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import orjson
from sqlite_utils import Database
from starlette.websockets import WebSocket

from api.connections import OPENED, crowded
from api.feather import render
from api.presence import Presence
from domain.callbacks import Callback
from domain.messages import Message
from projections import updates

log = logging.getLogger(__name__)
Report = Callable[[UUID, str], Awaitable[Any]]  # records an event through the writer
ACK_TIMEOUT_CLOSE = 4008
TOO_MANY = 1008  # policy violation: this account opened newer sockets
RESTARTING = 1012


class Live:
    """One open socket and what was pushed on it, unacknowledged, with its deadline."""

    def __init__(self, address: str, socket: WebSocket) -> None:
        self.address, self.socket = address, socket
        self.opened = next(OPENED)  # which of an account's sockets is the oldest
        self.pending: dict[str, float] = {}
        self.timer: asyncio.TimerHandle | None = None


class Sockets:
    def __init__(self, on_missed: Report, on_received: Report, ack_timeout: float,
                 per_account: int = 0) -> None:
        self._open: dict[str, set[Live]] = {}
        self._holders: dict[str, set[Live]] = {}  # message id → sockets it awaits an ack on
        self._tasks: set[asyncio.Task] = set()
        self._later: set[asyncio.Future] = set()  # checks due an ack timeout from now
        self._on_missed, self._on_received = on_missed, on_received
        self.ack_timeout = ack_timeout
        self.per_account = per_account  # 0: no limit; the gateway holds to it too
        self.presence: Presence | None = None  # on a shared log: the other nodes' sockets

    def is_online(self, address: str) -> bool:
        """A socket here, or on another node of a shared log."""
        return bool(self._open.get(address)) or (
            self.presence is not None and self.presence.elsewhere(address))

    def online_here(self) -> list[str]:
        return list(self._open)

    def add(self, address: str, socket: WebSocket) -> Live:
        for oldest in crowded(self._open.get(address, ()), self.per_account):
            self.spawn(self._evict(oldest, self._detach(oldest)))
        live = Live(address, socket)
        if address not in self._open and self.presence is not None:
            self.presence.opened(address)
        self._open.setdefault(address, set()).add(live)
        return live

    def remove(self, live: Live, reason: str = "socket closed before acknowledgement") -> None:
        """Closed: what it alone still held goes back to the queue."""
        orphans = self._detach(live)
        if orphans:  # most sockets close with nothing in flight: no task for nothing
            self.spawn(self._give_back(orphans, reason))

    def _detach(self, live: Live) -> list[UUID]:
        """Forget a socket; return the pushes that no other socket awaits an ack for."""
        sockets = self._open.get(live.address)
        if sockets is None or live not in sockets:
            return []
        sockets.discard(live)
        if not sockets:
            del self._open[live.address]
            if self.presence is not None:
                self.presence.closed(live.address)
        if live.timer is not None:
            live.timer.cancel()
        orphans = []
        for message_id in live.pending:
            holders = self._holders.get(message_id, set())
            holders.discard(live)
            if not holders:
                self._holders.pop(message_id, None)
                orphans.append(UUID(message_id))
        live.pending.clear()
        return orphans

    async def _give_back(self, message_ids: list[UUID], reason: str) -> None:
        await asyncio.gather(*(self._on_missed(m, reason) for m in message_ids))

    async def _evict(self, live: Live, orphans: list[UUID]) -> None:
        await self._give_back(orphans, "socket replaced by a newer one")
        await live.socket.close(TOO_MANY, "too many sockets for this account")

    async def _close(self, live: Live, code: int, reason: str) -> None:
        """Requeue first, then close: a client that reconnects finds its inbox complete."""
        await self._give_back(self._detach(live), reason)
        await live.socket.close(code)

    def acknowledge(self, live: Live, message_ids: Iterable[str]) -> None:
        """Only what was pushed on this very socket can be acknowledged on it."""
        for message_id in message_ids:
            if live.pending.pop(message_id, None) is None:
                continue
            for other in self._holders.pop(message_id, ()):
                other.pending.pop(message_id, None)
            self.spawn(self._on_received(UUID(message_id), live.address))

    def deliver(self, db: Database, batch: Sequence[tuple[object, int]],
                mine: Callable[[int], bool], ready: Mapping[str, str] | None = None) -> None:
        """Pushes messages recorded as delivered (their recipient had a socket somewhere when
        the command ran) to this node's sockets for them, their frames `ready` if read ahead
        (api/ahead.py). The node that recorded one gives it back to the queue if nobody could
        have it: at once if its own socket is gone, else if unacknowledged a timeout later."""
        for event, position in batch:
            if not (isinstance(event, Message.Sent) and event.delivered):
                continue
            message_id = str(event.originator_id)
            sockets = tuple(self._open.get(event.to, ()))
            frame = ((ready or {}).get(message_id) or inbox_frame(db, message_id)) \
                if sockets else None
            if frame is None:
                if mine(position):
                    self._missed_unless_elsewhere(db, event)
                continue
            deadline = time.monotonic() + self.ack_timeout
            for live in sockets:
                live.pending[message_id] = deadline
                if live.timer is None:
                    self._arm(live, self.ack_timeout)
            self._holders[message_id] = set(sockets)
            self.spawn(self._push(sockets, frame))

    def _missed_unless_elsewhere(self, db: Database, event: Message.Sent) -> None:
        if self.presence is None or not self.presence.elsewhere(event.to):
            self.spawn(self._on_missed(event.originator_id, "recipient went offline"))
        else:  # another node's socket has it: that node settles it, unless it dies
            self.return_unless_settled(db, [str(event.originator_id)],
                                       "not acknowledged in time")

    def return_unless_settled(self, db: Database, message_ids: Iterable[str],
                              reason: str) -> None:
        """Pushes whose ack or return is up to another node, or to a run that ended: those
        still in flight an ack timeout from now (their node died with them) go back to
        their queues. Cancelled when this server stops (the nodes that stay, or this one's
        restart, see to them)."""
        waiting = list(message_ids)

        async def unless_settled() -> None:
            await asyncio.sleep(self.ack_timeout + 1.0)
            for message_id in waiting:
                if updates.in_flight_item(db, message_id) is not None:
                    await self._on_missed(UUID(message_id), reason)

        if waiting:
            later = asyncio.ensure_future(unless_settled())
            self._later.add(later)
            later.add_done_callback(self._later.discard)

    def notify(self, db: Database, batch: Sequence[tuple[object, int]]) -> None:
        """A bot's edit, delete or answer told to a user online: pushed as it is queued, no
        ack awaited. The item stays in the inbox too (a client that saw it live may see it
        again there: an edit or delete applied twice changes nothing)."""
        for event, position in batch:
            if isinstance(event, Message.Deleted):
                addresses = event.told
            elif isinstance(event, Message.Edited):
                addresses = (event.to,)
            elif isinstance(event, Callback.Answered):
                addresses = (event.user_address,)
            else:
                continue
            for address in addresses:
                sockets = tuple(self._open.get(address, ()))
                for item in updates.notices(db, address, position) if sockets else ():
                    self.spawn(self._push(sockets, orjson.dumps(render.inbox_item(item)).decode()))

    async def _push(self, sockets: tuple[Live, ...], frame: str) -> None:
        if len(sockets) == 1:  # the usual case: no gather, no task per socket
            try:
                await sockets[0].socket.send_text(frame)
            except Exception:  # noqa: BLE001 - a closed socket: its pushes go back
                self.remove(sockets[0], "socket closed")
            return
        results = await asyncio.gather(*(live.socket.send_text(frame) for live in sockets),
                                       return_exceptions=True)
        for live, result in zip(sockets, results, strict=True):
            if isinstance(result, BaseException):
                self.remove(live, "socket closed")

    def _arm(self, live: Live, delay: float) -> None:
        live.timer = asyncio.get_running_loop().call_later(delay, self._expire, live)

    def _expire(self, live: Live) -> None:
        """A push unacknowledged past its deadline: the client stopped answering."""
        live.timer = None
        now = time.monotonic()
        if any(deadline <= now for deadline in live.pending.values()):
            self.spawn(self._close(live, ACK_TIMEOUT_CLOSE, "not acknowledged in time"))
        elif live.pending:
            self._arm(live, min(live.pending.values()) - now)

    def close_all(self, code: int = RESTARTING) -> None:
        """The server is stopping: every socket closes, its unacknowledged pushes requeued
        (the later checks are left to the nodes that stay, or this one's restart)."""
        for later in list(self._later):
            later.cancel()
        for sockets in list(self._open.values()):
            for live in list(sockets):
                self.spawn(self._close(live, code, "server stopping"))

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for background sends and the events they report (stop, tests)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run in the background, kept referenced until done, failures logged."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background send failed", extra={"error": str(task.exception())})


def inbox_frame(db: Database, message_id: str) -> str | None:
    """The frame pushing a message in flight, as the inbox shows it."""
    item = updates.in_flight_item(db, message_id)
    return orjson.dumps(render.inbox_item(item)).decode() if item is not None else None
