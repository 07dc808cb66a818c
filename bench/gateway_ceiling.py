"""The ceiling of bench.gateway, the bench's own websocket client, and its measuring loop.

Ceiling: a raw `websockets` server (websockets.asyncio.server, compression off, on uvloop like
uvicorn) in a subprocess (`python -m bench.gateway_ceiling --port P`); a control socket
(`/control`) sends it a frame's text, which it writes to every client socket with one
`broadcast()` call (limits.md: ~11.5 ms to the last of 1,000 clients). The bench sends it the
very frames Botbus dispatched. Client: a bare asyncio protocol speaking just enough RFC 6455
(handshake, frames in, masked frames out, pong, close) at a few µs per frame, several times
less than the `websockets` client: the bench shares the cores with the server it measures.
Each socket stamps `time.perf_counter()` when a chunk arrives and counts its MESSAGE_CREATEs.
"""
import argparse
import asyncio
import base64
import os
import sys
import time

import orjson

from bench.load import server_cpu_seconds
from tests.servers import ROOT, free_port

MARK = b'"MESSAGE_CREATE"'
TIMEOUT = 15.0  # seconds at most for a socket to open, or a frame the bench waits for


class Tally:
    """The message in flight: how many sockets still have to receive it, first and last times."""

    def __init__(self) -> None:
        self.remaining, self.first, self.last = 0, 0.0, 0.0
        self.done: asyncio.Future | None = None

    def arm(self, expected: int) -> asyncio.Future:
        self.remaining, self.first, self.last = expected, 0.0, 0.0
        self.done = asyncio.get_running_loop().create_future()
        return self.done

    def hit(self, now: float) -> None:
        if self.remaining <= 0:
            return  # not armed (bench.gateway part (b) counts per socket instead)
        self.first = self.first or now
        self.last, self.remaining = now, self.remaining - 1
        if not self.remaining and self.done is not None and not self.done.done():
            self.done.set_result(None)


class Client(asyncio.Protocol):
    def __init__(self, host: str, path: str, tally: Tally) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        f"Sec-WebSocket-Version: 13\r\n\r\n").encode()
        self.tally, self.buffer, self.upgraded = tally, bytearray(), False
        self.count, self.sample, self.close_code = 0, b"", 0
        self.inbox: asyncio.Queue[bytes] | None = asyncio.Queue()  # other frames, while set up
        loop = asyncio.get_running_loop()
        self.opened, self.lost = loop.create_future(), loop.create_future()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the handshake"))
        if not self.lost.done():
            self.lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end])
            del buffer[:end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
                self.transport.close()
                return
            self.upgraded = True
            self.opened.set_result(None)
        at, size = 0, len(buffer)
        while size - at >= 2:
            n, head = buffer[at + 1] & 0x7F, 2
            if n == 126:
                if size - at < 4:
                    break
                n, head = int.from_bytes(buffer[at + 2:at + 4], "big"), 4
            elif n == 127:
                if size - at < 10:
                    break
                n, head = int.from_bytes(buffer[at + 2:at + 10], "big"), 10
            if size - at < head + n:
                break
            self.frame(buffer[at] & 0x0F, bytes(buffer[at + head:at + head + n]), now)
            at += head + n
        del buffer[:at]

    def frame(self, opcode: int, payload: bytes, now: float) -> None:
        if opcode == 1:
            if MARK in payload:
                self.count += 1
                self.sample = payload
                self.tally.hit(now)
            elif self.inbox is not None:
                self.inbox.put_nowait(payload)
        elif opcode == 9:  # ping
            self.send(payload, 0xA)
        elif opcode == 8:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.send(payload[:2], 0x8)
            self.transport.close()

    def send(self, payload: bytes, opcode: int = 1) -> None:
        if self.transport.is_closing():
            return
        n = len(payload)
        head = bytes((0x80 | opcode, 0x80 | n)) if n < 126 else \
            bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
        mask = os.urandom(4)
        masked = int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        self.transport.write(head + mask + masked.to_bytes(n, "big"))

    def send_json(self, payload: dict) -> None:
        self.send(orjson.dumps(payload))

    async def receive(self) -> dict:
        """The next frame other than a MESSAGE_CREATE, while setting up."""
        assert self.inbox is not None
        return orjson.loads(await asyncio.wait_for(self.inbox.get(), TIMEOUT))

    async def close(self) -> None:
        self.send((1000).to_bytes(2, "big"), 0x8)
        try:
            await asyncio.wait_for(asyncio.shield(self.lost), 2)
        except TimeoutError:
            self.transport.close()


async def connect(port: int, path: str, tally: Tally) -> Client:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: Client(f"127.0.0.1:{port}", path, tally), "127.0.0.1", port)
    await asyncio.wait_for(asyncio.shield(client.opened), TIMEOUT)
    return client


async def open_many(n: int, opener, concurrency: int) -> list:
    """`opener(i)` for i in range(n), at most `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int):
        async with gate:
            return await opener(i)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def row() -> dict:
    return {"last": [], "first": [], "spread": [], "answer": [], "cpu": 0.0, "own": 0.0}


async def block(send, tally: Tally, sockets: int, count: int, pid: int, into: dict) -> None:
    """`count` messages, one at a time; their times (and the CPU used) added to `into`."""
    cpu, own = server_cpu_seconds(pid), time.process_time()
    for _ in range(count):
        done = tally.arm(sockets)
        begin = time.perf_counter()
        answered = await send()
        await asyncio.wait_for(done, TIMEOUT)
        into["last"].append(tally.last - begin)
        into["first"].append(tally.first - begin)
        into["spread"].append(tally.last - tally.first)
        if answered is not None:
            into["answer"].append(answered)
    into["cpu"] += server_cpu_seconds(pid) - cpu
    into["own"] += time.process_time() - own


class Ceiling:
    """The raw websockets server in a subprocess, its client sockets and its control socket."""

    async def start(self, sockets: int, concurrency: int, frame: bytes) -> "Ceiling":
        self.port, self.tally, self.frame = free_port(), Tally(), frame
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.gateway_ceiling", "--port", str(self.port),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT)
        if line.strip() != b"ready":
            raise RuntimeError(f"the ceiling server did not start: {line!r}")
        self.clients = await open_many(
            sockets, lambda _: connect(self.port, "/", self.tally), concurrency)
        self.control = await connect(self.port, "/control", Tally())
        return self

    async def broadcast(self) -> None:
        self.control.send(self.frame)

    async def stop(self) -> None:
        await asyncio.gather(*(client.close() for client in [*self.clients, self.control]))
        self.process.terminate()
        await self.process.wait()


async def serve(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast
    from websockets.asyncio.server import serve as websocket_server

    clients: set[ServerConnection] = set()

    async def handler(websocket: ServerConnection) -> None:
        if websocket.request is not None and websocket.request.path == "/control":
            async for frame in websocket:
                broadcast(clients, frame)
            return
        clients.add(websocket)
        try:
            await websocket.wait_closed()
        finally:
            clients.discard(websocket)

    async with websocket_server(handler, "127.0.0.1", port, compression=None,
                                max_size=1 << 16, backlog=4096) as server:
        print("ready", flush=True)
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="the raw websockets broadcast server")
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(serve(port))


if __name__ == "__main__":
    main()
