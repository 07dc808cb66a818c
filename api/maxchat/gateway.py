"""The gateway `/gateway` (decision 5, §3.2): one state machine per socket. HELLO, then
IDENTIFY (a bot's or a human's token) or RESUME; HEARTBEAT ↔ HEARTBEAT_ACK; DISPATCH frames
whose `s` is the event's log position, so RESUME replays what a session missed from the log
itself, after a dropped connection or a restart alike. Close codes as Discord's. An account
holds at most BOTBUS_SOCKETS_PER_ACCOUNT sockets (`Sockets.per_account`): a newer one closes
the oldest with 4008 (its session stays resumable)."""
import asyncio
import time
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket

from api import misses
from api.connections import OPENED, crowded
from api.maxchat import render
from api.maxchat.auth import caller
from api.maxchat.fanout import frame
from api.maxchat.gateway_config import heartbeat_interval, identify_limit
from api.maxchat.identifies import Identifies
from api.maxchat.replay import missed, too_far
from api.maxchat.wire import Wire
from api.runtime import Runtime
from domain.apps import SCHEME
from domain.errors import DomainError
from projections import apps, guilds

router = APIRouter(tags=["MaxChat: gateway"])
UNKNOWN_OP, DECODE, NOT_AUTHENTICATED, AUTH_FAILED, ALREADY = 4001, 4002, 4003, 4004, 4005
UNKNOWN_SESSION, INVALID_SEQ, RATE_LIMITED, TIMED_OUT = 4006, 4007, 4008, 4009
RESTARTING, SLOW_READER = 1012, 4000  # 4000: resumable (RESUME reads the log)
MAX_FRAME = 4096
RATE = (120, 60.0)  # client frames per seconds
IDENTIFIES = Identifies(identify_limit())  # per process: one server's accounts


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Session:
    def __init__(self, runtime: Runtime, websocket: WebSocket) -> None:
        self.runtime, self.websocket, self.wire = runtime, websocket, Wire(websocket)
        self.account_id = self.token_hash = self.session_id = ""
        self.buffer: list[tuple[bytes, int]] | None = None  # dispatches while READY is made
        self.interval = heartbeat_interval()
        self.received: list[float] = []
        self.opened = next(OPENED)  # which of an account's sockets is the oldest

    # what the fanout calls (api/maxchat/fanout.Socket)
    def push(self, data: bytes, position: int) -> None:
        if self.buffer is not None:
            self.buffer.append((data, position))
        elif not self.wire.write(data):  # gone, or reading too slowly: it may resume
            asyncio.ensure_future(self.wire.close(SLOW_READER))

    def revoke(self) -> None:
        self.send({"op": "INVALID_SESSION", "d": {"message": "token revoked"}})
        asyncio.ensure_future(self.wire.close(AUTH_FAILED))

    def reconnect(self) -> None:
        self.send({"op": "RECONNECT", "d": None})
        asyncio.ensure_future(self.wire.close(RESTARTING))

    def send(self, payload: dict) -> None:
        self.wire.write(orjson.dumps(payload))

    async def run(self) -> None:
        self.send({"op": "HELLO", "d": {"heartbeat_interval": self.interval}})
        loop = asyncio.get_running_loop()
        beat_by = identify_by = loop.time() + 1.5 * self.interval / 1000
        try:
            while True:
                deadline = beat_by if self.account_id else min(beat_by, identify_by)
                try:
                    message = await asyncio.wait_for(self.websocket.receive(),
                                                     max(deadline - loop.time(), 0))
                except TimeoutError:
                    raise Closed(TIMED_OUT) from None
                if message["type"] == "websocket.disconnect":
                    return await self._ended(message.get("code"))
                op, data = self._parse(message)
                if op == "HEARTBEAT":
                    beat_by = loop.time() + 1.5 * self.interval / 1000
                    self.send({"op": "HEARTBEAT_ACK", "d": data})
                elif op in ("IDENTIFY", "RESUME"):
                    if self.account_id:
                        raise Closed(ALREADY)
                    await (self._identify(data) if op == "IDENTIFY" else self._resume(data))
                elif not self.account_id:
                    raise Closed(NOT_AUTHENTICATED)
                else:
                    raise Closed(UNKNOWN_OP)
        except Closed as closed:
            await self.wire.close(closed.code)
        finally:
            self.runtime.gateway.remove(self)

    def _parse(self, message: Mapping[str, Any]) -> tuple[str, object]:
        now = time.monotonic()
        self.received = [t for t in self.received if t > now - RATE[1]] + [now]
        if len(self.received) > RATE[0]:
            raise Closed(RATE_LIMITED)
        raw = message.get("bytes")
        if raw is None:
            raw = (message.get("text") or "").encode()
        if not raw or len(raw) > MAX_FRAME:  # Discord's limit counts bytes
            raise Closed(DECODE)
        text = raw
        try:
            payload = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise Closed(DECODE) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("op"), str):
            raise Closed(DECODE)
        return payload["op"], payload.get("d")

    async def _authenticate(self, data: object) -> dict:
        token = data.get("token") if isinstance(data, dict) else None
        token = token.strip() if isinstance(token, str) else ""
        for prefix in ("Bot ", "Bearer "):
            token = token.removeprefix(prefix)
        found = await misses.found(self.runtime, lambda: caller(self.runtime, token, SCHEME)
                                   or caller(self.runtime, token, "session"))
        if found is None:
            self.send({"op": "INVALID_SESSION", "d": {"message": "Invalid bot token"}})
            raise Closed(AUTH_FAILED)
        return found

    def _join(self, account: dict) -> None:
        self.account_id, self.token_hash = account["id"], account["token_hash"]
        self.buffer = []
        gateway = self.runtime.gateway
        held = [other for other in gateway.sockets.get(self.account_id, ())
                if isinstance(other, Session)  # but the one a RESUME replaces
                and other.session_id != self.session_id]
        for oldest in crowded(held, self.runtime.sockets.per_account):
            gateway.remove(oldest)  # no more dispatches: it is closing
            asyncio.ensure_future(oldest.wire.close(RATE_LIMITED))
        gateway.add(self)

    async def _identify(self, data: object) -> None:
        account = await self._authenticate(data)
        if not IDENTIFIES.allow(account["id"]):
            self.send({"op": "INVALID_SESSION", "d": {"message": "too many IDENTIFYs today"}})
            raise Closed(RATE_LIMITED)
        self._join(account)
        runtime, account_id = self.runtime, account["id"]
        self.session_id = await runtime.writer.run(
            lambda unit: runtime.app.open_gateway_session(unit, account_id))
        opened = apps.gateway_session(runtime.db, self.session_id)
        position = opened["position"] if opened else runtime.writer.last_recorded
        self.send({"op": "DISPATCH", "t": "READY", "s": position, "d": self._ready(account)})
        self._flush(after=position)

    def _ready(self, account: dict) -> dict:
        db = self.runtime.db
        ready = {"user": render.user(apps.person(db, account["id"]) or {}),
                 "servers": [render.server(db, row) for row in guilds.guilds_of(db, account["id"])],
                 "session_id": self.session_id}
        app = apps.app_of_bot(db, account["id"])
        if app is not None:
            ready["application"] = {"id": app["id"], "name": app["name"]}
        return ready

    async def _resume(self, data: object) -> None:
        account = await self._authenticate(data)
        fields = data if isinstance(data, dict) else {}
        session_id, seq = str(fields.get("session_id") or ""), fields.get("seq")
        known = apps.gateway_session(self.runtime.db, session_id)
        if known is None or known["account_id"] != account["id"]:
            self.send({"op": "INVALID_SESSION", "d": {"message": "unknown session"}})
            raise Closed(UNKNOWN_SESSION)
        head = self.runtime.writer.last_recorded
        if type(seq) is not int or not known["position"] <= seq <= head:
            raise Closed(INVALID_SEQ)
        if too_far(seq, head):
            self.send({"op": "INVALID_SESSION", "d": {"message": "too far behind: identify"}})
            raise Closed(UNKNOWN_SESSION)
        self.session_id = session_id
        for other in list(self.runtime.gateway.sockets.get(account["id"], ())):
            if isinstance(other, Session) and other.session_id == session_id:
                asyncio.ensure_future(other.wire.close(4000))
        self._join(account)
        last = seq
        for dispatch, position in missed(self.runtime, account["id"], seq, head):
            self.wire.write(frame(dispatch, position))
            last = position
        self.send({"op": "RESUMED", "d": {"session_id": session_id}})
        self._flush(after=max(last, head))

    async def _ended(self, code: object) -> None:
        """A client that closes with 1000 or 1001 is done with its session: a RESUME of it
        gets INVALID_SESSION (research-compat §5). Any other close leaves it resumable."""
        if isinstance(code, int) and code in (1000, 1001) and self.session_id:
            runtime, session_id = self.runtime, self.session_id
            try:
                await runtime.writer.run(
                    lambda unit: runtime.app.end_gateway_session(unit, session_id, code))
            except DomainError:  # the writer stopped with the server: it stays resumable
                pass

    def _flush(self, after: int) -> None:
        buffered, self.buffer = self.buffer or [], None
        for data, position in buffered:
            if position > after:
                self.wire.write(data)


@router.websocket("/gateway")
async def gateway(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    if runtime.stopping:
        await websocket.close(RESTARTING)
        return
    await Session(runtime, websocket).run()
