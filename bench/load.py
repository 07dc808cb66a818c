"""What every bench's load generator shares: a hand-written HTTP/1.1 client, a server's CPU
from /proc, and a `botbus serve` on a fresh data directory.

The client speaks HTTP/1.1 keep-alive by hand on one asyncio loop (uvloop when installed):
an httpx.AsyncClient measured 0.9-2 ms of client CPU per request here (1 to 50 concurrent),
4-10x what the server spends on a plain route, so it would have benchmarked itself; this
client costs ~50-100 µs per request.
"""
import asyncio
import os
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import orjson

from tests.servers import Server, child_pids

T = TypeVar("T")


class Http:
    """One keep-alive HTTP/1.1 connection; JSON in, JSON out, one request at a time."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.auth = f"Authorization: Bearer {token}\r\n".encode() if token else b""

    async def open(self) -> "Http":
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def exchange(self, request: bytes) -> tuple[bytes, bytes]:
        """One request written whole; the answer's head and its Content-Length body."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        at = head.lower().index(b"\r\ncontent-length:") + 17
        return head, await self.reader.readexactly(int(head[at:head.index(b"\r\n", at)]))

    async def post(self, path: str, body: dict) -> dict:
        data = orjson.dumps(body)
        head, payload = await self.exchange(
            b"POST %s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n%s\r\n%s" % (path.encode(), len(data), self.auth, data))
        answer = orjson.loads(payload)
        if not answer.get("ok"):
            raise RuntimeError(f"{path}: {head[:12]!r} {answer}")
        return answer["result"]

    def close(self) -> None:
        self.writer.close()


def server_cpu_seconds(pid: int) -> float:
    """utime + stime of the server process and its live children (Botbus's log appender,
    domain/appender.py), from /proc (Linux)."""
    return _cpu_seconds(Path(f"/proc/{pid}/stat")) + sum(
        _child_seconds(child) for child in child_pids(pid))


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """utime + stime of the server's first thread (`main`: Botbus's event loop, where a
    saturated core shows first), of all its other threads together, and of its child
    processes."""
    seconds = {"main": 0.0, "other threads": 0.0}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            used = _cpu_seconds(task / "stat")
        except OSError:
            continue  # a thread that ended in between
        seconds["main" if task.name == str(pid) else "other threads"] += used
    children = child_pids(pid)
    if children:
        seconds["child processes"] = sum(_child_seconds(child) for child in children)
    return seconds


def _child_seconds(pid: int) -> float:
    try:
        return _cpu_seconds(Path(f"/proc/{pid}/stat"))
    except OSError:  # it ended in between
        return 0.0


def _cpu_seconds(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def on_fresh_server(prefix: str, load: Callable[[Server], Coroutine[Any, Any, T]]) -> T:
    """Run a load generator (on uvloop when installed, so its own overhead stays small)
    against a `botbus serve` on a fresh data directory, stopped afterwards."""
    try:
        import uvloop
        runner: Callable[[Coroutine[Any, Any, T]], T] = uvloop.run
    except ImportError:
        runner = asyncio.run
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        server = Server(Path(tmp) / "data").start()
        try:
            return runner(load(server))
        finally:
            server.stop()
