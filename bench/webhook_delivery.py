"""Webhook delivery: how fast Botbus pushes updates to a bot's webhook, beside its ceilings.

A real `botbus serve` (tests.servers.Server) on a fresh data directory. A bot sets a webhook
(`/bot<bot_api_token>/setWebhook url=http://127.0.0.1:<port>/`, `drop_pending_updates`) to a
receiver in this process (aiohttp, answering 200 `{}`); N users (featherChat v1, one keep-alive
connection each) send to the bot as fast as they can (closed loop: the next send once the last
is answered) for a few seconds, then the run waits until every message arrived (or none did
for 10 s). Printed: sends/s, updates/s delivered (distinct updates over the time to the last
one), and the delay from the send request's start to the receiver getting it, p50/p99 (while
sends outpace deliveries, a backlog builds and the delay is mostly its queueing).

Ceilings from the same run, interleaved with it round by round (median over rounds):
- long poll: the same users and seconds after `deleteWebhook`, one bot long-polling the
  Telegram surface (`getUpdates` with `offset` and `timeout` 30); the delay ends at its answer;
- raw receiver: an httpx.AsyncClient (what the server delivers with) posting Telegram-shaped
  updates straight to the receiver, N at a time, for the same seconds. Both ends share this
  process's loop, so it understates the receiver alone: a floor on its ceiling.
Each user is its own chat, so the server delivers up to N updates at a time (one per chat, in
order); every delivery is recorded (`Webhook.Delivered`) before that chat's next is sent.
"""
import argparse
import asyncio
import os
import secrets
import time

import httpx
from aiohttp import web

from bench.append_ceiling import percentile
from bench.echo_vs_peer import median, show
from bench.load import Http, on_fresh_server, server_cpu_seconds
from tests.servers import Server, free_port

GIVE_UP = 10.0  # seconds without an arrival once the senders stopped: the rest is missing
PATHS = ("webhook", "long poll", "raw receiver")


class Tally:
    """What one phase sent, and when each of its messages reached the bot."""

    def __init__(self) -> None:
        self.sent, self.delays, self.seen, self.duplicates = 0, list[float](), set[int](), 0
        self.start = self.last = time.perf_counter()
        self.arrived = asyncio.Event()

    def receive(self, update: dict, sent_at: float) -> None:
        now = time.perf_counter()
        if update["update_id"] in self.seen:
            self.duplicates += 1
            return
        self.seen.add(update["update_id"])
        self.delays.append(now - sent_at)
        self.last = now
        self.arrived.set()

    def figures(self, wall: float, cpu: float, own: float) -> dict:
        """`cpu`: the server's CPU seconds; `own`: this process's (senders and receiver)."""
        got = len(self.delays)
        return {"sent": self.sent / wall, "rate": got / (self.last - self.start) if got else 0.0,
                "p50": percentile(self.delays, 50) * 1000,
                "p99": percentile(self.delays, 99) * 1000,
                "missing": self.sent - got, "duplicates": self.duplicates,
                "cpu": cpu / got * 1000 if got else 0.0,
                "own": own / (time.perf_counter() - self.start)}


class Sink:
    """Files each update under its phase (its text is `<phase> <send start>`); others are
    counted as stray (e.g. an earlier phase's update delivered again)."""

    def __init__(self) -> None:
        self.phases: dict[str, Tally] = {}
        self.stray = 0

    def receive(self, update: dict) -> None:
        try:
            tag, sent_at = update["message"]["text"].split()
            self.phases[tag].receive(update, float(sent_at))
        except (KeyError, ValueError):
            self.stray += 1


async def receiver(sink: Sink) -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.Response:
        sink.receive(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/"


async def poll(http: Http, token: str, sink: Sink) -> None:
    """A Telegram bot's long poll: each call confirms everything below its offset."""
    offset = 0
    while True:
        updates = await http.post(f"/bot{token}/getUpdates", {"offset": offset, "timeout": 30})
        for update in updates:
            sink.receive(update)
        if updates:
            offset = updates[-1]["update_id"] + 1


async def send(port: int, tokens: list[str], to: str, tag: str, tally: Tally,
               seconds: float) -> float:
    """Every user sends back to back for `seconds`; the wall time it took."""
    users = [await Http(port, token).open() for token in tokens]

    async def loop(user: Http) -> None:
        while (begin := time.perf_counter()) < deadline:
            await user.post("/v1/messages/send", {"to": to, "text": f"{tag} {begin!r}"})
            tally.sent += 1

    tally.start = time.perf_counter()
    deadline = tally.start + seconds
    await asyncio.gather(*(loop(user) for user in users))
    for user in users:
        user.close()
    return time.perf_counter() - tally.start


async def phase(server: Server, tokens: list[str], to: str, sink: Sink, tag: str,
                seconds: float) -> dict:
    """One measured send phase, its figures once everything arrived (or stalled GIVE_UP s)."""
    assert server.process is not None
    sink.phases[tag] = tally = Tally()
    cpu, own = server_cpu_seconds(server.process.pid), time.process_time()
    wall = await send(server.port, tokens, to, tag, tally, seconds)
    while len(tally.delays) < tally.sent:
        tally.arrived.clear()
        try:
            await asyncio.wait_for(tally.arrived.wait(), GIVE_UP)
        except TimeoutError:
            break
    return tally.figures(wall, server_cpu_seconds(server.process.pid) - cpu,
                         time.process_time() - own)


async def raw(url: str, sink: Sink, tag: str, concurrency: int, seconds: float) -> dict:
    """httpx posting updates straight to the receiver, `concurrency` at a time."""
    sink.phases[tag] = tally = Tally()
    headers, ids, own = {"Content-Type": "application/json"}, iter(range(1, 1 << 62)), \
        time.process_time()
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        async def loop(chat: int) -> None:
            while (begin := time.perf_counter()) < deadline:
                update = {"update_id": next(ids), "message": {
                    "message_id": 1, "date": int(time.time()), "text": f"{tag} {begin!r}",
                    "chat": {"id": chat, "type": "private"},
                    "from": {"id": chat, "is_bot": False, "first_name": "User"}}}
                tally.sent += 1
                (await client.post(url, json=update, headers=headers)).raise_for_status()

        tally.start = time.perf_counter()
        deadline = tally.start + seconds
        await asyncio.gather(*(loop(1001 + i) for i in range(concurrency)))
    return tally.figures(time.perf_counter() - tally.start, 0.0, time.process_time() - own)


async def bench(server: Server, users: int, seconds: float, warmup: float,
                rounds: int) -> tuple[dict[str, list[dict]], int]:
    setup = await Http(server.port).open()
    bot = await setup.post("/v1/bot/register", {"name": f"HookBench{secrets.token_hex(4)}",
                                                "fingerprint": secrets.token_hex(16)})
    tokens = [(await setup.post("/v1/users/register",
                                {"fingerprint": secrets.token_hex(16)}))["token"]
              for _ in range(users)]
    setup.close()
    sink, api = Sink(), f"/bot{bot['bot_api_token']}"
    runner, url = await receiver(sink)
    results: dict[str, list[dict]] = {path: [] for path in PATHS}

    async def call(method: str, body: dict) -> None:  # fresh: idle keep-alives close after 5 s
        http = await Http(server.port).open()
        await http.post(f"{api}/{method}", body)
        http.close()

    async def measure(path: str, tag: str, seconds: float) -> dict:
        if path == "raw receiver":
            return await raw(url, sink, tag, users, seconds)
        return await phase(server, tokens, bot["fingerprint"], sink, tag, seconds)

    try:
        for r in range(rounds):
            for path in PATHS:
                if path == "webhook":
                    await call("setWebhook", {"url": url, "drop_pending_updates": True})
                elif path == "long poll":
                    await call("deleteWebhook", {"drop_pending_updates": True})
                    poller = asyncio.create_task(poll(await Http(server.port).open(),
                                                      bot["bot_api_token"], sink))
                if r == 0 and warmup > 0:
                    await measure(path, f"warmup-{path[:3]}", warmup)
                results[path].append(await measure(path, f"r{r}-{path[:3]}", seconds))
                if path == "long poll":
                    poller.cancel()
                    await asyncio.gather(poller, return_exceptions=True)
    finally:
        await runner.cleanup()
    return results, sink.stray


def report(results: dict[str, list[dict]], stray: int, args) -> None:
    print(f"Webhook delivery: {args.users} users send as fast as they can for {args.seconds:g} s,"
          f" median of {args.rounds} interleaved round(s); the load generator and the receiver"
          f" share the {os.cpu_count()} cores with the server")
    print("| path | sends/s | updates/s delivered | ÷ long poll | ÷ raw receiver"
          " | delay p50 / p99 | server CPU per update | bench process CPU | missing / dups |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    poll_rate, raw_rate = (median(results[path], "rate") for path in PATHS[1:])
    for path in PATHS:
        rows = results[path]
        rate = median(rows, "rate")
        vs_poll = rate / poll_rate if rate is not None and poll_rate else None
        vs_raw = rate / raw_rate if rate is not None and raw_rate else None
        server = path != "raw receiver"
        print(f"| {path} | {show(median(rows, 'sent')) if server else '–'} | {show(rate)}"
              f" | {show(vs_poll, '{:.2f}×')} | {show(vs_raw, '{:.2f}×')}"
              f" | {show(median(rows, 'p50'), '{:.2f}')} / {show(median(rows, 'p99'), '{:.2f}')}"
              f" ms | {show(median(rows, 'cpu'), '{:.3f}') + ' ms' if server else '–'}"
              f" | {show(median(rows, 'own'), '{:.0%}')}"
              f" | {sum(r['missing'] for r in rows)} / {sum(r['duplicates'] for r in rows)} |")
    print("updates/s per round: " + "; ".join(
        f"{path}: " + ", ".join(f"{row['rate']:,.0f}" for row in results[path]) for path in PATHS))
    print("delay: the send request's start → the receiver's handler (webhook), the bot's"
          " getUpdates answer (long poll), or the handler for a direct post (raw receiver);"
          f" missing: sent, not delivered (nothing came for {GIVE_UP:g} s); stray updates:"
          f" {stray}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10, help="concurrent senders")
    parser.add_argument("--seconds", type=float, default=3.0, help="sending time per phase")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured, first round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--smoke", action="store_true", help="a tiny quick run (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.users, args.seconds, args.warmup, args.rounds = 3, 0.5, 0.0, 1
    if args.users < 1 or args.seconds <= 0 or args.rounds < 1:
        parser.error("--users, --seconds and --rounds must be positive")
    results, stray = on_fresh_server("bench-webhook-", lambda server: bench(
        server, args.users, args.seconds, args.warmup, args.rounds))
    report(results, stray, args)


if __name__ == "__main__":
    main()
