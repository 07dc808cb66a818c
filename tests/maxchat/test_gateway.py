"""MaxChat's gateway `/gateway` (decision 5, §3.2) against a real `botbus serve`, driven by the
real `websockets` client as bots and humans drive it: the seed's quick flow, READY, heartbeats,
Discord's close codes, RESUME from the log (after a drop, a SIGTERM or a SIGKILL), revocation,
a kick stopping delivery, RECONNECT on shutdown, and one token on two sockets."""
import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import wraps
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.maxchat.conftest import HEARTBEAT_MS, Human, bot_http, gateway_url, start_server
from tests.servers import Server

pytestmark = pytest.mark.slow
TIMEOUT = 10.0  # seconds any single wait may take before the test fails
QUIET = 0.5  # seconds of silence that stand for "nothing more arrives", after a positive control
BEAT_EVERY = HEARTBEAT_MS / 2000  # half the interval, as a client following HELLO would


def synchronously(test: Callable) -> Callable:
    """Runs an async test body in its own loop (no pytest-asyncio here); fixtures pass through."""
    @wraps(test)
    def run(*args, **kwargs) -> None:
        asyncio.run(test(*args, **kwargs))
    return run


class Gateway:
    """One gateway socket: frames parsed, heartbeats sent in the background once identified.
    The background beats carry `d: null`, so their ACKs are set aside; a test's own beats
    carry a value and their ACKs come through."""

    def __init__(self, ws: ClientConnection, hello: dict, hello_at: float) -> None:
        self.ws, self.hello, self.hello_at = ws, hello, hello_at
        self.beats: asyncio.Task | None = None

    async def send(self, op: str, d: object = None) -> None:
        await self.ws.send(json.dumps({"op": op, "d": d}))

    async def frame(self, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout  # the background beats' ACKs don't extend it
        while True:
            payload = json.loads(await asyncio.wait_for(
                self.ws.recv(), max(deadline - time.monotonic(), 0.01)))
            if self.beats is not None and payload == {"op": "HEARTBEAT_ACK", "d": None}:
                continue
            return payload

    async def identify(self, token: str, beat: bool = True) -> dict:
        """The READY frame (asserted to be one)."""
        await self.send("IDENTIFY", {"token": token})
        ready = await self.frame()
        assert ready["op"] == "DISPATCH" and ready["t"] == "READY", ready
        if beat:
            self.start_beating()
        return ready

    async def resume(self, token: str, session_id: str, seq: int) -> list[dict]:
        """The replayed frames, up to and including RESUMED."""
        await self.send("RESUME", {"token": token, "session_id": session_id, "seq": seq})
        frames = await self.until(lambda f: f["op"] == "RESUMED")
        self.start_beating()
        return frames

    def start_beating(self) -> None:
        async def beat() -> None:
            try:
                while True:
                    await asyncio.sleep(BEAT_EVERY)
                    await self.send("HEARTBEAT", None)
            except ConnectionClosed:
                return
        if self.beats is None:
            self.beats = asyncio.ensure_future(beat())

    async def until(self, found: Callable[[dict], bool]) -> list[dict]:
        """Every frame up to and including the first one `found` accepts."""
        frames: list[dict] = []
        deadline = time.monotonic() + TIMEOUT
        while not frames or not found(frames[-1]):
            frames.append(await self.frame(max(deadline - time.monotonic(), 0.01)))
        return frames

    async def message(self, content: str) -> dict:
        """The MESSAGE_CREATE carrying `content`, asserted to be the very next frame."""
        got = await self.frame()
        assert (got["op"], got.get("t"), got["d"].get("content")) == (
            "DISPATCH", "MESSAGE_CREATE", content), got
        return got

    async def closed(self) -> tuple[list[dict], int | None]:
        """The frames still to come, and the close code the server sent (None if it sent none,
        or did not close within TIMEOUT)."""
        frames: list[dict] = []
        deadline = time.monotonic() + TIMEOUT
        try:
            while True:
                frames.append(await self.frame(max(deadline - time.monotonic(), 0.01)))
        except ConnectionClosed as closed:
            return frames, closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            return frames, None

    async def silent(self) -> None:
        """Nothing arrives for QUIET seconds (call it after a positive control)."""
        try:
            extra = await self.frame(QUIET)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {extra}")

    def drop(self) -> None:
        """The TCP connection dies without a close handshake, as a crashed client's would."""
        if self.beats is not None:
            self.beats.cancel()
        self.ws.transport.abort()


@asynccontextmanager
async def gateway(url: str) -> AsyncIterator[Gateway]:
    async with connect(url, open_timeout=TIMEOUT, close_timeout=1) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        socket = Gateway(ws, hello, time.monotonic())
        try:
            yield socket
        finally:
            if socket.beats is not None:
                socket.beats.cancel()


def say(human: Human, server: dict, content: str, channel: dict | None = None) -> dict:
    channel = channel or server["channels"][0]
    answer = human.http.post(f"/api/servers/{server['id']}/channels/{channel['id']}/messages",
                             json={"content": content})
    assert answer.status_code == 201, answer.text
    return answer.json()["message"]


def with_bot(owner: Human, home: dict, name: str = "PingBot") -> tuple[dict, str]:
    """An app of the owner's, installed in `home`: (app, bot token)."""
    app, token = owner.app(name)
    owner.install(app["id"], home["id"])
    return app, token


@synchronously
async def test_the_seeds_quick_flow_runs_end_to_end(server, new_human):
    """Create an app, install it, connect and IDENTIFY; the install arrives as SERVER_CREATE,
    a human's message as MESSAGE_CREATE, and the bot's answer through messages/send reaches
    the human's socket (and the bot's own) with author.bot true."""
    human = new_human()
    home = human.server("Quick")
    app, token = human.app("QuickBot")
    async with gateway(gateway_url(server)) as bot, gateway(gateway_url(server)) as person:
        assert bot.hello == {"op": "HELLO", "d": {"heartbeat_interval": HEARTBEAT_MS}}
        ready = await bot.identify(token)
        assert ready["d"]["servers"] == []
        assert ready["d"]["user"]["id"] == app["botUserId"] and ready["d"]["user"]["bot"] is True
        await person.identify(human.token)

        human.install(app["id"], home["id"])
        created = await bot.until(lambda f: f.get("t") == "SERVER_CREATE")
        assert created[-1]["d"]["id"] == home["id"]
        assert created[-1]["d"]["name"] == "Quick"
        assert [c["name"] for c in created[-1]["d"]["channels"]] == ["general"]
        joined = await person.until(lambda f: f.get("t") == "MEMBER_JOIN")
        assert joined[-1]["d"]["user"]["id"] == app["botUserId"]

        sent = say(human, home, "!ping")
        heard = (await bot.until(lambda f: f.get("t") == "MESSAGE_CREATE"))[-1]
        assert heard["d"]["content"] == "!ping" and heard["d"]["id"] == sent["id"]
        assert heard["d"]["serverId"] == home["id"]
        assert heard["d"]["channelId"] == home["channels"][0]["id"]
        assert heard["d"]["author"]["id"] == human.id and heard["d"]["author"]["bot"] is False
        mirrored = await person.until(lambda f: f.get("t") == "MESSAGE_CREATE")
        assert mirrored[-1]["d"] == heard["d"] and mirrored[-1]["s"] == heard["s"]

        with bot_http(server, token) as http:
            answer = http.post("/api/bot/messages/send", json={
                "serverId": home["id"], "channelId": heard["d"]["channelId"], "content": "Pong!"})
        assert answer.status_code == 200, answer.text
        seen = await person.message("Pong!")
        assert seen["d"]["author"]["id"] == app["botUserId"]
        assert seen["d"]["author"]["bot"] is True
        assert seen["d"]["id"] == answer.json()["message"]["id"]
        own = await bot.message("Pong!")
        assert own["d"]["author"]["bot"] is True and own["s"] == seen["s"] > heard["s"]


@synchronously
async def test_a_member_update_says_when_the_member_joined_not_when_it_changed(
        server, new_human):
    owner, guest = new_human(), new_human()
    sid = owner.server()["id"]
    async with gateway(gateway_url(server)) as person:
        await person.identify(owner.token)
        owner.invite_in(guest, sid)
        joined = (await person.until(lambda f: f.get("t") == "MEMBER_JOIN"))[-1]
        await asyncio.sleep(0.05)  # an update's own time would differ by this much
        made = owner.http.post(f"/api/servers/{sid}/roles", json={"name": "helpers"})
        role_id = made.json()["role"]["id"]
        given = owner.http.post(f"/api/servers/{sid}/members/{guest.id}/roles",
                                json={"roleId": role_id})
        assert given.status_code == 200, given.text
        updated = (await person.until(lambda f: f.get("t") == "MEMBER_UPDATE"))[-1]
    listed = next(m for m in owner.http.get(f"/api/servers/{sid}/members").json()["members"]
                  if m["userId"] == guest.id)
    assert updated["d"]["roleIds"] == [role_id]
    assert updated["d"]["joinedAt"] == joined["d"]["joinedAt"] == listed["joinedAt"]


@synchronously
async def test_ready_lists_a_bots_installed_servers_and_a_humans_member_servers(
        server, new_human):
    """READY: a bot gets the servers it is installed in and its `application`; a human gets
    the servers it is a member of, `user.bot` false and no `application`."""
    owner, guest = new_human(), new_human()
    first, second, third = owner.server("One"), owner.server("Two"), owner.server("Three")
    app, token = with_bot(owner, first, "ReadyBot")
    owner.install(app["id"], third["id"])
    owner.invite_in(guest, second["id"])
    own = guest.server("Guest's")
    async with (gateway(gateway_url(server)) as bot, gateway(gateway_url(server)) as mine,
                gateway(gateway_url(server)) as theirs):
        ready = (await bot.identify(token))["d"]
        assert sorted(s["id"] for s in ready["servers"]) == sorted([first["id"], third["id"]])
        assert ready["application"] == {"id": app["id"], "name": "ReadyBot"}
        assert ready["user"]["bot"] is True and ready["user"]["id"] == app["botUserId"]
        assert isinstance(ready["session_id"], str) and ready["session_id"]

        ready = (await mine.identify(owner.token))["d"]
        assert sorted(s["id"] for s in ready["servers"]) == sorted(
            [first["id"], second["id"], third["id"]])
        assert "application" not in ready
        assert ready["user"]["id"] == owner.id and ready["user"]["bot"] is False

        frame = await theirs.identify(guest.token)
        ready = frame["d"]
        assert sorted(s["id"] for s in ready["servers"]) == sorted([second["id"], own["id"]])
        assert "application" not in ready
        assert ready["user"]["username"] == guest.username and ready["user"]["bot"] is False
        listed = {s["id"]: s for s in ready["servers"]}[second["id"]]
        assert listed["name"] == "Two" and [c["name"] for c in listed["channels"]] == ["general"]
        assert "@everyone" in [r["name"] for r in listed["roles"]]
        assert isinstance(frame["s"], int)


@synchronously
async def test_heartbeat_ack_echoes_d_before_and_after_identify(server, new_human):
    human = new_human()
    async with gateway(gateway_url(server)) as ws:
        await ws.send("HEARTBEAT", 1700000000123)
        assert await ws.frame() == {"op": "HEARTBEAT_ACK", "d": 1700000000123}
        await ws.identify(human.token, beat=False)
        await ws.send("HEARTBEAT", None)
        assert await ws.frame() == {"op": "HEARTBEAT_ACK", "d": None}
        await ws.send("HEARTBEAT", 42)
        assert await ws.frame() == {"op": "HEARTBEAT_ACK", "d": 42}


@pytest.mark.parametrize("token", ["mbt_not_a_token", "", None])
@synchronously
async def test_identify_with_a_bad_token_gets_invalid_session_then_4004(server, token):
    async with gateway(gateway_url(server)) as ws:
        await ws.send("IDENTIFY", {"token": token} if token is not None else {})
        frames, code = await ws.closed()
    assert [f["op"] for f in frames] == ["INVALID_SESSION"], frames
    assert frames[0]["d"]["message"] == "Invalid bot token"
    assert code == 4004


@pytest.mark.parametrize("op", ["PRESENCE", "FROBNICATE"])
@synchronously
async def test_a_payload_before_identify_closes_4003(server, op):
    async with gateway(gateway_url(server)) as ws:
        await ws.send(op, {"status": "online"})
        assert await ws.closed() == ([], 4003)


@synchronously
async def test_a_second_identify_closes_4005(server, new_human):
    human = new_human()
    async with gateway(gateway_url(server)) as ws:
        await ws.identify(human.token)
        await ws.send("IDENTIFY", {"token": human.token})
        assert await ws.closed() == ([], 4005)


@synchronously
async def test_an_unknown_op_after_identify_closes_4001(server, new_human):
    human = new_human()
    async with gateway(gateway_url(server)) as ws:
        await ws.identify(human.token)
        await ws.send("FROBNICATE", {})
        assert await ws.closed() == ([], 4001)


def padded_heartbeat(size: int) -> str:
    """A HEARTBEAT frame of exactly `size` bytes."""
    frame = '{"op":"HEARTBEAT","d":"%s"}'
    return frame % ("x" * (size - len(frame % "")))


@pytest.mark.parametrize("identified", [False, True], ids=["before-identify", "after-identify"])
@pytest.mark.parametrize("text", [
    "{not json", '{"d": 1}', '{"op": 1, "d": null}', '["HEARTBEAT"]', '"HEARTBEAT"',
    padded_heartbeat(4097), '{"op":"HEARTBEAT","d":"%s"}' % ("\u00e9" * 2100)],
    ids=["malformed", "no-op", "op-not-a-string", "array", "string", "over-4096-bytes",
         "over-4096-bytes-in-fewer-characters"])
@synchronously
async def test_an_undecodable_frame_closes_4002(server, new_human, text, identified):
    human = new_human()
    async with gateway(gateway_url(server)) as ws:
        if identified:
            await ws.identify(human.token)
        await ws.ws.send(text)
        assert await ws.closed() == ([], 4002)


@synchronously
async def test_a_frame_of_exactly_4096_bytes_is_accepted(server):
    async with gateway(gateway_url(server)) as ws:
        text = padded_heartbeat(4096)
        assert len(text.encode()) == 4096
        await ws.ws.send(text)
        assert await ws.frame() == {"op": "HEARTBEAT_ACK", "d": json.loads(text)["d"]}


@synchronously
async def test_too_many_frames_close_4008(server, new_human):
    """Discord's limit, 120 client frames a minute per connection."""
    human = new_human()
    async with gateway(gateway_url(server)) as ws:
        await ws.identify(human.token, beat=False)
        try:
            for beat in range(1, 141):
                await ws.send("HEARTBEAT", beat)
        except ConnectionClosed:
            pass
        frames, code = await ws.closed()
    assert code == 4008
    acked = [f["d"] for f in frames if f["op"] == "HEARTBEAT_ACK"]
    assert acked == list(range(1, len(acked) + 1)) and 118 <= len(acked) < 140, len(acked)


@synchronously
async def test_missing_heartbeats_close_4009_not_before_1_4_intervals(server, new_human):
    """A socket that stops beating is closed with 4009 at about 1.5 × the interval, while a
    beating socket of the same bot stays open and keeps receiving."""
    owner = new_human()
    home = owner.server()
    _, token = with_bot(owner, home)
    async with gateway(gateway_url(server)) as silent, gateway(gateway_url(server)) as beating:
        await silent.identify(token, beat=False)
        await beating.identify(token)
        frames, code = await silent.closed()
        elapsed = time.monotonic() - silent.hello_at
        assert (frames, code) == ([], 4009)
        assert 1.4 * HEARTBEAT_MS / 1000 <= elapsed <= 3 * HEARTBEAT_MS / 1000, elapsed
        say(owner, home, "still here")
        await beating.message("still here")


@asynccontextmanager
async def own_server(tmp_path: Path, **env: str) -> AsyncIterator[tuple[Server, Human, dict, str]]:
    """A server of the test's own, for a setting the shared one lacks: (it, its owner, the
    owner's server with a bot installed, the bot's token)."""
    running = await asyncio.to_thread(start_server, tmp_path / "data", **env)
    owner = Human(running, "owner")
    try:
        home = owner.server()
        _, token = with_bot(owner, home)
        yield running, owner, home, token
    finally:
        owner.http.close()
        await asyncio.to_thread(running.stop)


async def dropped(server: Server, owner: Human, home: dict, token: str,
                  watcher: Gateway) -> tuple[str, int]:
    """A session of the bot that saw "seen" (`watcher` too), then lost its connection: its id
    and the `seq` it had seen, to RESUME from."""
    async with gateway(gateway_url(server)) as bot:
        session = (await bot.identify(token))["d"]["session_id"]
        say(owner, home, "seen")
        seq = (await bot.message("seen"))["s"]
        await watcher.message("seen")
        bot.drop()
    return session, seq


@synchronously
async def test_resume_after_a_dropped_connection_replays_exactly_the_missed_events(
        server, new_human):
    """RESUME replays, in order and with their original `s`, the dispatches after `seq` (and
    none before), then RESUMED, then live dispatches."""
    owner = new_human()
    home = owner.server()
    _, token = with_bot(owner, home)
    async with gateway(gateway_url(server)) as watcher:
        await watcher.identify(token)  # the same bot, connected throughout: the original `s`
        session, seq = await dropped(server, owner, home, token, watcher)
        originals = []
        for n in range(3):
            say(owner, home, f"missed {n}")
            originals.append(await watcher.message(f"missed {n}"))

        async with gateway(gateway_url(server)) as bot:
            replayed = await bot.resume(token, session, seq)
            assert replayed[-1] == {"op": "RESUMED", "d": {"session_id": session}}
            assert [(f["op"], f["t"], f["s"], f["d"]) for f in replayed[:-1]] == [
                ("DISPATCH", "MESSAGE_CREATE", f["s"], f["d"]) for f in originals]
            positions = [f["s"] for f in replayed[:-1]]
            assert positions == sorted(set(positions)) and positions[0] > seq
            say(owner, home, "live")
            live = await bot.message("live")
            assert live["s"] > positions[-1]
            await bot.silent()


@synchronously
async def test_resume_replays_a_message_edited_since_as_it_was_sent_then_its_edit(
        server, new_human):
    """Each dispatch as it went out live: the MESSAGE_CREATE with the first content, then the
    MESSAGE_UPDATE with the edit, not the current content twice."""
    owner = new_human()
    home = owner.server()
    _, token = with_bot(owner, home)
    channel = home["channels"][0]["id"]
    async with gateway(gateway_url(server)) as watcher:
        await watcher.identify(token)
        session, seq = await dropped(server, owner, home, token, watcher)
        draft = say(owner, home, "draft")
        created = await watcher.message("draft")
        edited = owner.http.patch(f"/api/servers/{home['id']}/channels/{channel}/messages/"
                                  f"{draft['id']}", json={"content": "final"})
        assert edited.status_code == 200, edited.text
        updated = await watcher.frame()
        assert (updated["t"], updated["d"]["content"]) == ("MESSAGE_UPDATE", "final")

        async with gateway(gateway_url(server)) as bot:
            replayed = await bot.resume(token, session, seq)
        assert replayed[:-1] == [created, updated]
        assert created["d"]["content"] == "draft"


@synchronously
async def test_a_session_further_behind_than_a_resume_replays_is_told_to_identify(tmp_path):
    """Past BOTBUS_GATEWAY_MAX_REPLAY positions, RESUME answers INVALID_SESSION and 4006
    rather than a replay cut short followed by RESUMED over the gap; within it, it replays."""
    async with own_server(tmp_path, BOTBUS_GATEWAY_MAX_REPLAY="3") as (running, owner, home,
                                                                         token):
        async with gateway(gateway_url(running)) as watcher:
            await watcher.identify(token)
            session, seq = await dropped(running, owner, home, token, watcher)
            say(owner, home, "one")
            await watcher.message("one")
            async with gateway(gateway_url(running)) as bot:
                replayed = await bot.resume(token, session, seq)
                assert [f.get("t") for f in replayed] == ["MESSAGE_CREATE", None]
                seq = replayed[0]["s"]
                bot.drop()
            for n in range(4):
                say(owner, home, f"missed {n}")
                await watcher.message(f"missed {n}")
            async with gateway(gateway_url(running)) as bot:
                await bot.send("RESUME", {"token": token, "session_id": session, "seq": seq})
                frames, code = await bot.closed()
        assert [(f["op"], f["d"]) for f in frames] == [
            ("INVALID_SESSION", {"message": "too far behind: identify"})]
        assert code == 4006


@synchronously
async def test_identifies_past_the_daily_limit_get_invalid_session_then_4008(tmp_path):
    """BOTBUS_GATEWAY_IDENTIFY_LIMIT per account a day (research-compat §5): each IDENTIFY
    writes a session to the log. A RESUME is not one, and another bot has its own count."""
    async with own_server(tmp_path, BOTBUS_GATEWAY_IDENTIFY_LIMIT="2") as (running, owner, home,
                                                                             token):
        _, other = with_bot(owner, home, "Other")
        async with gateway(gateway_url(running)) as first, \
                gateway(gateway_url(running)) as second:
            ready = await first.identify(token)
            await second.identify(token)
            first.drop()
        async with gateway(gateway_url(running)) as third:
            await third.send("IDENTIFY", {"token": token})
            frames, code = await third.closed()
        assert ([(f["op"], f["d"]) for f in frames], code) == (
            [("INVALID_SESSION", {"message": "too many IDENTIFYs today"})], 4008)
        async with gateway(gateway_url(running)) as resumed:
            replayed = await resumed.resume(token, ready["d"]["session_id"], ready["s"])
            assert replayed[-1]["op"] == "RESUMED"
        async with gateway(gateway_url(running)) as theirs:
            assert (await theirs.identify(other))["t"] == "READY"


@pytest.mark.parametrize("halt", ["stop", "kill"], ids=["SIGTERM", "SIGKILL"])
@synchronously
async def test_resume_after_a_restart_replays_what_was_sent_before_it_and_not_seen(
        tmp_path, halt):
    data = tmp_path / "data"
    first = await asyncio.to_thread(start_server, data)
    second: Server | None = None
    owner = Human(first, "owner")
    try:
        home = owner.server()
        _, token = with_bot(owner, home)
        async with gateway(gateway_url(first)) as bot:
            session = (await bot.identify(token))["d"]["session_id"]
            say(owner, home, "seen")
            seq = (await bot.message("seen"))["s"]
            bot.drop()
        sent = [say(owner, home, f"missed {n}") for n in range(3)]
        await asyncio.to_thread(getattr(first, halt))

        second = await asyncio.to_thread(start_server, data)
        owner.http.base_url = httpx.URL(second.url)
        async with gateway(gateway_url(second)) as bot:
            replayed = await bot.resume(token, session, seq)
            assert replayed[-1] == {"op": "RESUMED", "d": {"session_id": session}}
            assert [(f["t"], f["d"]["content"], f["d"]["id"]) for f in replayed[:-1]] == [
                ("MESSAGE_CREATE", m["content"], m["id"]) for m in sent]
            positions = [f["s"] for f in replayed[:-1]]
            assert positions == sorted(set(positions)) and positions[0] > seq
            say(owner, home, "after the restart")
            assert (await bot.message("after the restart"))["s"] > positions[-1]
    finally:
        owner.http.close()
        first.kill()
        if second is not None:
            await asyncio.to_thread(second.stop)


@synchronously
async def test_on_sigterm_every_socket_gets_reconnect_before_the_close(tmp_path):
    running = await asyncio.to_thread(start_server, tmp_path / "data")
    owner = Human(running, "owner")
    try:
        home = owner.server()
        _, token = with_bot(owner, home)
        async with gateway(gateway_url(running)) as bot, gateway(gateway_url(running)) as person:
            await bot.identify(token)
            await person.identify(owner.token)
            halted = asyncio.ensure_future(asyncio.to_thread(running.stop))
            for socket in (bot, person):
                frames, code = await socket.closed()
                assert [f["op"] for f in frames] == ["RECONNECT"], frames
                assert frames[0].get("d") is None
                assert code is not None and code != 1000  # 1000 would end the session
            await halted
    finally:
        owner.http.close()
        running.kill()


@pytest.mark.parametrize("relative", [10**9, -1], ids=["past-the-log", "before-ready"])
@synchronously
async def test_resume_with_a_seq_the_session_never_reached_closes_4007(
        server, new_human, relative):
    owner = new_human()
    home = owner.server()
    _, token = with_bot(owner, home)
    async with gateway(gateway_url(server)) as bot:
        ready = await bot.identify(token)
        bot.drop()
    async with gateway(gateway_url(server)) as bot:
        await bot.send("RESUME", {"token": token, "session_id": ready["d"]["session_id"],
                                  "seq": ready["s"] + relative})
        assert await bot.closed() == ([], 4007)


@pytest.mark.parametrize("whose", ["made-up", "another-bots"])
@synchronously
async def test_resume_of_an_unknown_session_gets_invalid_session_then_4006(
        server, new_human, whose):
    owner = new_human()
    home = owner.server()
    _, token = with_bot(owner, home, "Mine")
    session, seq = "no-such-session", 0
    if whose == "another-bots":
        _, other = with_bot(owner, home, "Theirs")
        async with gateway(gateway_url(server)) as them:
            ready = await them.identify(other)
            session, seq = ready["d"]["session_id"], ready["s"]
    async with gateway(gateway_url(server)) as bot:
        await bot.send("RESUME", {"token": token, "session_id": session, "seq": seq})
        frames, code = await bot.closed()
    assert [f["op"] for f in frames] == ["INVALID_SESSION"], frames
    assert code == 4006


@pytest.mark.parametrize("code", [1000, 1001])
@synchronously
async def test_a_session_its_client_closed_normally_cannot_be_resumed(server, new_human, code):
    """research-compat §5: a client's close with 1000 or 1001 ends its session (a dropped
    connection leaves it resumable: the tests above). The end is written once the server has
    read the close, so a RESUME racing it may still succeed: it is dropped and tried again."""
    owner = new_human()
    home = owner.server()
    _, token = with_bot(owner, home)
    async with gateway(gateway_url(server)) as bot:
        ready = await bot.identify(token)
        await bot.ws.close(code)
    resume = {"token": token, "session_id": ready["d"]["session_id"], "seq": ready["s"]}
    deadline = time.monotonic() + TIMEOUT
    while True:
        async with gateway(gateway_url(server)) as bot:
            await bot.send("RESUME", resume)
            first = await bot.frame()
            if first["op"] == "INVALID_SESSION":
                assert (await bot.closed())[1] == 4006
                break
            assert first["op"] == "RESUMED" and time.monotonic() < deadline, first
            bot.drop()
        await asyncio.sleep(0.05)


@synchronously
async def test_a_token_reset_closes_the_bots_sockets_4004_and_retires_the_old_token(
        server, new_human):
    owner = new_human()
    home = owner.server()
    app, token = with_bot(owner, home)
    async with gateway(gateway_url(server)) as one, gateway(gateway_url(server)) as two:
        await one.identify(token)
        await two.identify(token)
        answer = owner.http.post(f"/api/dev/apps/{app['id']}/reset-token")
        assert answer.status_code == 200, answer.text
        fresh = answer.json()["token"]
        for socket in (one, two):
            frames, code = await socket.closed()
            assert code == 4004
            assert all(f["op"] != "DISPATCH" for f in frames), frames
    async with gateway(gateway_url(server)) as stale:
        await stale.send("IDENTIFY", {"token": token})
        frames, code = await stale.closed()
        assert ([f["op"] for f in frames], code) == (["INVALID_SESSION"], 4004)
    async with gateway(gateway_url(server)) as renewed:
        ready = await renewed.identify(fresh)
        assert [s["id"] for s in ready["d"]["servers"]] == [home["id"]]


@synchronously
async def test_logout_closes_that_tokens_socket_4004_and_no_other(server, new_human):
    """Logout revokes the token used: its socket closes 4004, a socket of another login of
    the same human keeps receiving."""
    human = new_human()
    home = human.server()
    login = httpx.post(f"{server.url}/api/auth/login",
                       json={"username": human.username, "password": "password123"}, timeout=15)
    assert login.status_code == 200, login.text
    async with gateway(gateway_url(server)) as leaving, gateway(gateway_url(server)) as staying:
        await leaving.identify(human.token)
        await staying.identify(login.json()["token"])
        assert human.http.post("/api/auth/logout").status_code == 200
        frames, code = await leaving.closed()
        assert code == 4004 and all(f["op"] != "DISPATCH" for f in frames), frames
        with httpx.Client(base_url=server.url, timeout=15, headers={
                "Authorization": f"Bearer {login.json()['token']}"}) as other:
            answer = other.post(f"/api/servers/{home['id']}/channels/"
                                f"{home['channels'][0]['id']}/messages", json={"content": "hi"})
        assert answer.status_code == 201, answer.text
        await staying.message("hi")
    async with gateway(gateway_url(server)) as stale:
        await stale.send("IDENTIFY", {"token": human.token})
        assert [f["op"] for f in (await stale.closed())[0]] == ["INVALID_SESSION"]


@synchronously
async def test_a_kicked_members_socket_gets_nothing_more_of_that_server(server, new_human):
    owner, guest = new_human(), new_human()
    home = owner.server("Home")
    owner.invite_in(guest, home["id"])
    side = guest.server("Side")  # the guest's own server: the positive control
    async with gateway(gateway_url(server)) as kicked, gateway(gateway_url(server)) as stays:
        await kicked.identify(guest.token)
        await stays.identify(owner.token)
        say(owner, home, "before the kick")
        await kicked.message("before the kick")
        await stays.message("before the kick")

        answer = owner.http.post(f"/api/servers/{home['id']}/members/{guest.id}/kick", json={})
        assert answer.status_code == 200, answer.text
        say(owner, home, "after the kick")
        say(guest, side, "control")

        frames = await kicked.until(lambda f: f.get("t") == "MESSAGE_CREATE")
        assert frames[-1]["d"]["content"] == "control", frames
        for f in frames[:-1]:  # only its own leaving may come before the control
            assert f.get("t") in ("MEMBER_LEAVE", "SERVER_DELETE"), f
            if f["t"] == "MEMBER_LEAVE":
                assert f["d"]["user"]["id"] == guest.id, f
        await kicked.silent()

        left = await stays.until(lambda f: f.get("t") == "MESSAGE_CREATE")
        assert [f.get("t") for f in left] == ["MEMBER_LEAVE", "MESSAGE_CREATE"], left
        assert left[0]["d"]["user"]["id"] == guest.id
        assert left[-1]["d"]["content"] == "after the kick"
        await stays.silent()


@synchronously
async def test_one_bot_token_on_two_sockets_gets_every_event_on_both(server, new_human):
    owner = new_human()
    home = owner.server()
    _, token = with_bot(owner, home)
    async with gateway(gateway_url(server)) as one, gateway(gateway_url(server)) as two:
        first, second = await one.identify(token), await two.identify(token)
        assert first["d"]["session_id"] != second["d"]["session_id"]
        say(owner, home, "one")
        with bot_http(server, token) as http:
            assert http.post("/api/bot/messages/send", json={
                "serverId": home["id"], "channelId": home["channels"][0]["id"],
                "content": "two"}).status_code == 200
        say(owner, home, "three")
        seen = {}
        for name, socket in (("one", one), ("two", two)):
            seen[name] = [await socket.message(text) for text in ("one", "two", "three")]
            await socket.silent()
        assert seen["one"] == seen["two"]
        assert [f["d"]["author"]["bot"] for f in seen["one"]] == [False, True, False]
