"""The Botyard round-trip load: web users chatting with webhook bots, part (1) of bench.botyard.

Its client, `BotyardHttp` (bench.end_to_end's keep-alive connection, speaking Botyard), the
admin's and a user's first requests and the counts read from the server's databases serve the
page reads (bench.botyard_pages) as well.
"""
import asyncio
import secrets
import sqlite3
import sys
import time
from typing import Any

import orjson
from aiohttp import web

from bench.load import Http, server_cpu_seconds, thread_cpu_seconds
from tests.servers import Server, free_port

ROUND_TRIP_TIMEOUT = 10.0  # a reply not seen by then is lost and ends that user
IDLE = 4.0  # uvicorn closes keep-alive connections idle for 5 s: reopen before that


def progress(text: str) -> None:
    print(f"botyard: {text}", file=sys.stderr, flush=True)


class BotyardHttp(Http):
    """bench.end_to_end's keep-alive connection speaking Botyard: bare JSON with a status, a raw
    `Authorization` (admin or bot key) or a `token` cookie kept and renewed like a browser's."""

    def __init__(self, port: int, authorization: str | None = None,
                 cookie: bytes = b"") -> None:
        super().__init__(port)
        self.cookie, self.used = cookie, 0.0
        self.auth = f"Authorization: {authorization}\r\n".encode() if authorization else b""
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> "BotyardHttp":
        self.close()
        await super().open()
        self.used = time.monotonic()
        return self

    async def request(self, method: str, path: str, body: dict | None = None,
                      expect: int = 200) -> Any:
        if self.writer is None or time.monotonic() - self.used > IDLE:
            await self.open()
        head = b"%s %s HTTP/1.1\r\nHost: bench\r\n%s" % (method.encode(), path.encode(), self.auth)
        if self.cookie:
            head += b"Cookie: %s\r\n" % self.cookie
        data = b""
        if body is not None:
            data = orjson.dumps(body)
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
        raw, payload = await self.exchange(head + b"\r\n" + data)
        at = raw.lower().find(b"\r\nset-cookie: token=")
        if at >= 0:
            self.cookie = raw[at + 14:raw.index(b";", at)]
        self.used = time.monotonic()
        if int(raw[9:12]) != expect:
            raise RuntimeError(f"{method} {path.split('?')[0]}: {raw[9:12].decode()}"
                               f" {payload[:200].decode(errors='replace')}")
        return orjson.loads(payload)

    def close(self) -> None:
        if self.writer is not None:
            super().close()
            self.writer = None


def count(server: Server, file: str, sql: str) -> int:
    """One figure from the server's databases, read-only (WAL: a reader never blocks it)."""
    db = sqlite3.connect(f"file:{server.data / file}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchone()[0] or 0
    finally:
        db.close()


def events_written(server: Server) -> int:
    return count(server, "events.db", "SELECT max(rowid) FROM stored_events")


async def create_bot(admin: BotyardHttp, name: str) -> tuple[str, str]:
    made = await admin.request("POST", "/v1/admin-api/bot", {"name": name}, 201)
    return made["bot"]["id"], made["key"]


async def create_user(port: int, nickname: str) -> tuple[BotyardHttp, str]:
    user = await BotyardHttp(port).open()
    made = await user.request("POST", "/v1/client-api/user", {"nickname": nickname}, 201)
    return user, made["id"]


class Bots:
    """The bots' webhook receiver: each user message is answered over the bot API from a task,
    on one of that bot's keep-alive connections (a new one when all are busy)."""

    def __init__(self, port: int, keys: list[str], errors: list[str]) -> None:
        self.port, self.keys, self.errors = port, keys, errors
        self.pools: list[list[BotyardHttp]] = [[] for _ in keys]
        self.arrived: dict[str, float] = {}  # user message id → when its webhook came
        self.replied: dict[str, float] = {}  # user message id → when the bot's reply was answered
        self.duplicates = 0
        self.tasks: set[asyncio.Task] = set()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook/{n}", self.hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}/hook"

    async def hook(self, request: web.Request) -> web.Response:
        now, message = time.perf_counter(), await request.json()
        if message["id"] in self.arrived:  # at least once: a bot drops a repeat
            self.duplicates += 1
        else:
            self.arrived[message["id"]] = now
            task = asyncio.create_task(self.answer(int(request.match_info["n"]), message))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return web.Response()

    async def answer(self, n: int, message: dict) -> None:
        pool = self.pools[n]
        http = pool.pop() if pool else BotyardHttp(self.port, self.keys[n])
        try:
            await http.request("POST", "/v1/bot-api/chat/message",
                               {"chatId": message["chatId"], "body": f"re: {message['body']}"},
                               201)
            self.replied[message["id"]] = time.perf_counter()
            pool.append(http)
        except Exception as error:  # noqa: BLE001 - reported under the table
            self.errors.append(f"bot reply: {error}")
            http.close()

    async def stop(self) -> None:
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for http in (http for pool in self.pools for http in pool):
            http.close()
        await self.runner.cleanup()


class Chatter:
    """A web user in a chat with one bot."""

    def __init__(self, http: BotyardHttp, user_id: str, chat_id: str, bot_id: str) -> None:
        self.http, self.user_id, self.chat_id = http, user_id, chat_id
        self.poll = f"/v1/client-api/chat/{chat_id}/messages?sender_id={bot_id}&page=1&limit=1"


async def converse(chatters: list[Chatter], seconds: float, backoff: float, tag: str,
                   errors: list[str]) -> dict:
    """Every user in a closed loop for `seconds`; what each round trip took."""
    trips: list[tuple[str, float, float, float, int]] = []  # id, begin, answered, seen, polls
    poll_times: list[float] = []
    lost = 0

    async def loop(chatter: Chatter) -> None:
        nonlocal lost
        http, sequence = chatter.http, 0
        while (begin := time.perf_counter()) < deadline:
            sequence += 1
            body = f"{tag} {sequence}"
            try:
                sent = await http.request("POST", "/v1/client-api/chat/message", {
                    "chatId": chatter.chat_id, "senderId": chatter.user_id, "body": body,
                    "attachmentIds": []}, 201)
                answered, polls = time.perf_counter(), 0
                path = f"{chatter.poll}&since={sent['timestamp']}"
                while True:
                    at = time.perf_counter()
                    page = await http.request("GET", path)
                    poll_times.append(time.perf_counter() - at)
                    polls += 1
                    if page["messages"]:
                        break
                    if time.perf_counter() - begin > ROUND_TRIP_TIMEOUT:
                        raise TimeoutError(f"no reply within {ROUND_TRIP_TIMEOUT:g} s")
                    await asyncio.sleep(backoff)
            except Exception as error:  # noqa: BLE001 - a timeout or a refusal: reported
                lost += 1
                errors.append(f"user: {error}")
                return
            seen = time.perf_counter()
            if page["messages"][-1]["body"] != f"re: {body}":
                errors.append("user: the reply seen is not to its last message")
            trips.append((sent["id"], begin, answered, seen, polls))

    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(loop(chatter) for chatter in chatters))
    return {"trips": trips, "poll_times": poll_times, "lost": lost, "start": start,
            "wall": time.perf_counter() - start}


async def round_trips(server: Server, admin: BotyardHttp, users: int, nbots: int,
                      seconds: float, warmup: float, backoff: float, errors: list[str]) -> dict:
    port, run = server.port, secrets.token_hex(3)
    made = [await create_bot(admin, f"Bench {run} {n}") for n in range(nbots)]
    bots = Bots(port, [key for _, key in made], errors)
    hook = await bots.start()
    for n, (_, key) in enumerate(made):
        await BotyardHttp(port, key).request("POST", "/v1/bot-api/bot/webhook",
                                             {"url": f"{hook}/{n}"})
    chatters = []
    for i in range(users):
        http, user_id = await create_user(port, f"user {i + 1}")
        bot_id = made[i % nbots][0]
        chat = await http.request("POST", "/v1/client-api/chat", {"botId": bot_id}, 201)
        chatters.append(Chatter(http, user_id, chat["id"], bot_id))
    try:
        progress(f"round trips: {users} users, {nbots} bots, {warmup:g} s warm-up")
        await converse(chatters, warmup, backoff, "warm-up", errors)
        progress(f"round trips: {seconds:g} s measured")
        assert server.process is not None
        pid = server.process.pid
        events, cpu, own = events_written(server), server_cpu_seconds(pid), time.process_time()
        threads = thread_cpu_seconds(pid)
        result = await converse(chatters, seconds, backoff, "round", errors)
        wall = result["wall"]
        result["events"] = (events_written(server) - events) / wall
        result["server_cpu"] = server_cpu_seconds(pid) - cpu
        result["own_cpu"] = (time.process_time() - own) / wall
        result["main_busy"] = (thread_cpu_seconds(pid)["main"] - threads["main"]) / wall
    finally:
        for chatter in chatters:
            chatter.http.close()
        await bots.stop()
    result["arrived"], result["replied"] = bots.arrived, bots.replied
    result["duplicates"] = bots.duplicates
    return result
