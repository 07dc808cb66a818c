"""examples/ping_bot.py, run as its author would run it (a subprocess with MAXBOT_API_BASE and
MAXBOT_TOKEN), against a real server whose gateway closes a socket silent for 1.5 s: a human
says `!ping` and sees `Pong!` in the channel's messages and on its own gateway socket, says
`hello` and gets no answer, and the bot, having heartbeated through it all, stops on Ctrl-C."""
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from tests.maxchat.conftest import Human, gateway_url, start_server
from tests.servers import ROOT, Server

pytestmark = pytest.mark.slow
HEARTBEAT_MS = 1000  # short: the bot outlives several heartbeat timeouts (1.5 s) in the test
WAIT = 15.0  # seconds at most for anything the test waits for


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    running = start_server(tmp_path / "data",
                           BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS=str(HEARTBEAT_MS))
    yield running
    running.stop()


def _interruptible() -> None:
    """Ctrl-C works on the example even when the tests run where SIGINT is ignored (a
    background job), which its children would inherit: Python then never raises
    KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class BotProcess:
    """The example in a subprocess, its log in a file."""

    def __init__(self, server: Server, token: str, log: Path) -> None:
        self.log = log
        with open(log, "wb") as output:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "examples" / "ping_bot.py")],
                env={**os.environ, "MAXBOT_API_BASE": server.url, "MAXBOT_TOKEN": token},
                stdout=output, stderr=subprocess.STDOUT, preexec_fn=_interruptible)

    def text(self) -> str:
        return self.log.read_text()

    async def wait_for_log(self, part: str) -> None:
        deadline = time.monotonic() + WAIT
        while part not in self.text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"no {part!r} in the bot's log: {self.text()}"
            await asyncio.sleep(0.05)

    def stop(self) -> int:
        """Ctrl-C, as its author would stop it; killed if it does not exit in time (a send in
        flight holds its exit for as long as the example's own 15 s request timeout)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(2 * WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


class Gateway:
    """A human's gateway socket, heartbeating in the background."""

    async def open(self, server: Server, token: str) -> "Gateway":
        self.ws = await websockets.connect(gateway_url(server))
        hello = json.loads(await self.ws.recv())
        assert hello == {"op": "HELLO", "d": {"heartbeat_interval": HEARTBEAT_MS}}
        await self.ws.send(json.dumps({"op": "IDENTIFY", "d": {"token": token}}))
        self.beats = asyncio.create_task(self._heartbeat())
        ready = await self.next_dispatch()
        assert ready["t"] == "READY", ready
        return self

    async def _heartbeat(self) -> None:
        while True:
            await self.ws.send(json.dumps({"op": "HEARTBEAT", "d": int(time.time() * 1000)}))
            await asyncio.sleep(HEARTBEAT_MS / 1000)

    async def next_dispatch(self) -> dict:
        async with asyncio.timeout(WAIT):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["op"] == "DISPATCH":
                    return frame

    async def messages(self, n: int) -> list[dict]:
        """The next n MESSAGE_CREATEs' `d` (other dispatches skipped)."""
        found: list[dict] = []
        while len(found) < n:
            frame = await self.next_dispatch()
            if frame["t"] == "MESSAGE_CREATE":
                found.append(frame["d"])
        return found

    async def close(self) -> None:
        self.beats.cancel()
        await self.ws.close()


def say(human: Human, sid: str, cid: str, content: str) -> None:
    answer = human.http.post(f"/api/servers/{sid}/channels/{cid}/messages",
                             json={"content": content})
    assert answer.status_code == 201, answer.text


def test_the_ping_bot_answers_ping_and_nothing_else(server, tmp_path):
    owner = Human(server, "owner")
    home = owner.server("Home")
    sid, cid = home["id"], home["channels"][0]["id"]
    app, token = owner.app("PingBot")
    owner.install(app["id"], sid)
    bot = BotProcess(server, token, tmp_path / "ping_bot.log")

    async def exchange() -> tuple[list[dict], list[dict]]:
        await bot.wait_for_log("ready as PingBot in 1 server(s): Home")
        gateway = await Gateway().open(server, owner.token)
        try:
            await asyncio.to_thread(say, owner, sid, cid, "!ping")  # heartbeats go on
            first = await gateway.messages(2)
            # a few heartbeat timeouts (1.5 s each) pass: only a heartbeating bot is still there
            await asyncio.sleep(3 * 1.5 * HEARTBEAT_MS / 1000)
            await asyncio.to_thread(say, owner, sid, cid, "hello")
            await asyncio.to_thread(say, owner, sid, cid, "!ping")
            # the bot handles messages in order: an answer to hello would come before this Pong
            second = await gateway.messages(3)
        finally:
            await gateway.close()
        return first, second

    try:
        first, second = asyncio.run(exchange())
        assert bot.process.poll() is None, bot.text()
    finally:
        code = bot.stop()
    log = bot.text()
    assert code == 0, log
    assert "stopped" in log
    assert "connection lost" not in log and "reconnecting" not in log, log

    seen = [(m["content"], m["author"]["bot"]) for m in first + second]
    assert seen == [("!ping", False), ("Pong!", True), ("hello", False), ("!ping", False),
                    ("Pong!", True)]
    for pong in (first[1], second[2]):
        assert pong["serverId"] == sid and pong["channelId"] == cid
        assert pong["author"]["id"] == app["botUserId"]
        assert pong["author"]["username"] == "PingBot"

    listed = owner.http.get(f"/api/servers/{sid}/channels/{cid}/messages")
    assert listed.status_code == 200, listed.text
    messages = listed.json()["messages"]  # newest first
    assert [(m["content"], m["author"]["id"]) for m in messages] == [
        ("Pong!", app["botUserId"]), ("!ping", owner.id), ("hello", owner.id),
        ("Pong!", app["botUserId"]), ("!ping", owner.id)]
    assert [m["id"] for m in messages] == [m["id"] for m in reversed(first + second)]
    owner.http.close()
