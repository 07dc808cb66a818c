"""(b) Botbus end to end: users send over HTTP while one bot long-polls, against a real server.

A real `botbus serve` subprocess (tests.servers.Server) on a free port. For each concurrency
level, that many users each send messages back to back (closed loop: the next send starts when
the previous one is answered, i.e. durable and projected) for a fixed time, while one bot polls
`getUpdates {"timeout": 5}` (featherChat v1 deletes what it returns). Each text carries its
send time; the bot's receive time minus that is the send→receive latency. messages/s counts
what the bot received per second of wall time, printed as a ratio of (a), measured in this run
just before each level (the disk's fsync rate drifts, and other work on the box moves it).

The load generator (bench/load.py) runs on the same cores as the server, so the CPU each side
used is printed too.
"""
import argparse
import asyncio
import os
import secrets
import statistics
import time
from dataclasses import dataclass, field

from bench.append_ceiling import measure_ceiling, percentile
from bench.load import Http, on_fresh_server, server_cpu_seconds

TARGET_RATIO = 0.30  # issue target: (b) >= 30% of (a) in messages/s
TARGET_P99_MS = 20.0  # issue target: send→receive p99 <= 20 ms at 1 sender
STOP = "bench-stop"


@dataclass
class Level:
    """What one concurrency level sent and what the bot received of it."""

    senders: int
    sent: int = 0
    send_rtts: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    start: float = 0.0
    last_received: float = 0.0


async def poll(bot: Http, token: str, levels: dict[str, Level], progress: asyncio.Event) -> None:
    """The bot: long-poll until the STOP text arrives; file each text under its level."""
    while True:
        updates = await bot.post(f"/v1/bot/{token}/getUpdates", {"timeout": 5})
        now = time.perf_counter()
        for update in updates:
            text = update["message"]["text"]
            if text == STOP:
                return
            name, sent_at = text.split()
            level = levels[name]
            message_id = update["message"]["message_id"]
            if message_id in level.seen:  # delivered twice: count it, not its latency
                level.duplicates += 1
                continue
            level.seen.add(message_id)
            level.latencies.append(now - float(sent_at))
            level.last_received = now
        progress.set()


async def sender(user: Http, to: str, name: str, level: Level, deadline: float) -> None:
    while (begin := time.perf_counter()) < deadline:
        await user.post("/v1/messages/send", {"to": to, "text": f"{name} {begin!r}"})
        level.send_rtts.append(time.perf_counter() - begin)
        level.sent += 1


async def run_level(port: int, tokens: list[str], to: str, name: str, level: Level,
                    seconds: float, progress: asyncio.Event) -> None:
    """Send for `seconds`, then wait (up to 10 s) until the bot has received every message.
    Fresh connections per level: uvicorn closes keep-alive connections idle for 5 s."""
    users = [await Http(port, token).open() for token in tokens[:level.senders]]
    level.start = time.perf_counter()
    deadline = level.start + seconds
    await asyncio.gather(*(sender(user, to, name, level, deadline) for user in users))
    for user in users:
        user.close()
    give_up = time.perf_counter() + 10
    while len(level.latencies) < level.sent and time.perf_counter() < give_up:
        progress.clear()
        try:
            await asyncio.wait_for(progress.wait(), 1)
        except TimeoutError:
            pass


def figures(level: Level, cpu_server: float, cpu_generator: float) -> dict:
    wall = max(level.last_received, time.perf_counter()) - level.start
    received = len(level.latencies)
    return {"senders": level.senders, "sent": level.sent, "received": received,
            "duplicates": level.duplicates,
            "messages_per_s": received / (level.last_received - level.start) if received else 0.0,
            "p50_ms": percentile(level.latencies, 50) * 1000,
            "p99_ms": percentile(level.latencies, 99) * 1000,
            "send_p50_ms": percentile(level.send_rtts, 50) * 1000,
            "send_p99_ms": percentile(level.send_rtts, 99) * 1000,
            "server_cpu": cpu_server / wall, "generator_cpu": cpu_generator / wall}


async def bench(port: int, pid: int, concurrency: list[int], seconds: float,
                warmup: float, ceiling_seconds: float) -> list[dict]:
    setup = await Http(port).open()
    bot = await setup.post("/v1/bot/register",
                           {"name": "BenchBot", "fingerprint": secrets.token_hex(16)})
    tokens = []
    for _ in range(max(concurrency)):
        user = await setup.post("/v1/users/register", {"fingerprint": secrets.token_hex(16)})
        tokens.append(user["token"])
    setup.close()
    to, progress, rows = bot["fingerprint"], asyncio.Event(), []
    levels = {"warmup": Level(max(concurrency))} | {f"L{i}": Level(n)
                                                    for i, n in enumerate(concurrency)}
    poller = asyncio.create_task(poll(await Http(port).open(), bot["token"], levels, progress))
    await run_level(port, tokens, to, "warmup", levels["warmup"], warmup, progress)
    for i in range(len(concurrency)):
        ceiling = measure_ceiling(ceiling_seconds)
        cpu_generator, cpu_server = time.process_time(), server_cpu_seconds(pid)
        await run_level(port, tokens, to, f"L{i}", levels[f"L{i}"], seconds, progress)
        rows.append(figures(levels[f"L{i}"], server_cpu_seconds(pid) - cpu_server,
                            time.process_time() - cpu_generator) | {"ceiling": ceiling})
    user = await Http(port, tokens[0]).open()
    await user.post("/v1/messages/send", {"to": to, "text": STOP})
    await asyncio.wait_for(poller, 10)
    user.close()
    return rows


def run(concurrency: list[int], seconds: float, warmup: float,
        ceiling_seconds: float) -> list[dict]:
    return on_fresh_server("bench-e2e-", lambda server: bench(
        server.port, server.process.pid, concurrency, seconds, warmup, ceiling_seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", default="1,10,50",
                        help="comma-separated numbers of concurrent senders")
    parser.add_argument("--seconds", type=float, default=10.0, help="sending time per level")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up sending time")
    parser.add_argument("--ceiling-seconds", type=float, default=5.0,
                        help="how long (a) appends before each level")
    parser.add_argument("--smoke", action="store_true", help="a tiny quick run (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.warmup, args.ceiling_seconds = 1.0, 0.3, 1.0
    concurrency = [int(n) for n in args.concurrency.split(",")]
    if min(concurrency) < 1 or args.seconds <= 0 or args.ceiling_seconds <= 0:
        parser.error("concurrency, --seconds and --ceiling-seconds must be positive")

    rows = run(concurrency, args.seconds, args.warmup, args.ceiling_seconds)

    ceilings = [row["ceiling"]["events_per_s"] for row in rows]
    print(f"(a) eventsourcing.sqlite, 1 event per save(), {args.ceiling_seconds:g} s before each"
          f" level: {', '.join(f'{c:,.0f}' for c in ceilings)} events/s"
          f" (median {statistics.median(ceilings):,.0f})")
    print(f"(b) Botbus end to end: users send over HTTP, one bot long-polls; {args.seconds:g} s"
          f" per level; the load generator shares the {os.cpu_count()} cores with the server")
    print(f"  {'senders':>7} {'sent':>7} {'recvd':>7} {'dups':>5} {'msg/s':>8} {'(a) ev/s':>8}"
          f" {'x (a)':>6} {'p50 ms':>7} {'p99 ms':>7} {'send p50':>8} {'send p99':>8}"
          f" {'cpu srv':>7} {'cpu gen':>7}")
    for row in rows:
        ceiling = row["ceiling"]["events_per_s"]
        print(f"  {row['senders']:>7} {row['sent']:>7} {row['received']:>7}"
              f" {row['duplicates']:>5} {row['messages_per_s']:>8,.0f} {ceiling:>8,.0f}"
              f" {row['messages_per_s'] / ceiling:>6.2f} {row['p50_ms']:>7.2f}"
              f" {row['p99_ms']:>7.2f} {row['send_p50_ms']:>8.2f} {row['send_p99_ms']:>8.2f}"
              f" {row['server_cpu']:>7.0%} {row['generator_cpu']:>7.0%}")
    print(f"  targets: msg/s >= {TARGET_RATIO:.2f} x (a) (goal 1.0 x);"
          f" p99 <= {TARGET_P99_MS:g} ms at 1 sender (goal 5 ms)")
    print("  recvd: distinct messages the bot got; dups: ones it got again (featherChat v1"
          " deletes what getUpdates returns, so this should be 0)")
    print("  p50/p99: send → the bot's getUpdates answer; send p50/p99: the send request alone;"
          " cpu: server / load generator, share of one core over the level")


if __name__ == "__main__":
    main()
