"""Botyard: web users chatting with webhook bots, and message pages on a short and a long chat.

A real `botbus serve` (tests.servers.Server, ADMIN_SECRET_KEY set) on a fresh data directory.

(1) Round trips. The admin creates B bots; each sets its webhook to a receiver in this process
(aiohttp, `/hook/<n>`, answering 200 at once). U web users (`POST /v1/client-api/user`, the
`token` cookie kept and renewed like a browser's) each open a chat with bot `i % B`. Each user
in a closed loop: sends (`POST /v1/client-api/chat/message`, as the web client does, with
`senderId` and `attachmentIds: []`); the bot, on its webhook, answers over the bot API
(`POST /v1/bot-api/chat/message`, on a keep-alive connection of its own); the user polls the
web client's query `GET .../chat/<id>/messages?sender_id=<bot>&page=1&limit=1&since=<its
message's timestamp>` at once and then every POLL_BACKOFF, 5 ms (`--poll-backoff`; the web
client waits 500 ms, then 1 s: that wait would be the whole figure) until the reply shows,
then sends the next. Printed: round trips/s, messages/s (two per round trip) and events/s
written (every kind, counted in the log) as ratios of the ceiling below, the round trip p50/p99
and its legs, polls per round trip.

(2) Page reads. A bot without a webhook and one user; a chat of `--short` (1,000) messages is
built and read, then a chat of `--long` (100,000), and both are read again (interleaved request
by request, with the cheapest cookie GET, `GET /v1/client-api/user`, as a floor). Reads:
`?page=1&limit=20` and the reply poll's shape. The chats are built by `--concurrency` (48)
senders at a time on keep-alive connections, user and bot alternating. A page must cost the
same in a chat of any length: the figure is the ratio long ÷ short (and short after ÷ short
before, which moves if a read's cost follows the whole table instead of its chat).

Ceiling, this run: `eventsourcing.sqlite` appending one event per `save()`
(bench.append_ceiling.measure_ceiling), measured before (1), while the server idles.
The load generator is a hand-written HTTP/1.1 client on uvloop (httpx costs 4-10× the server's
CPU per request, see bench/end_to_end.py); it and the receiver share the cores with the server.
`--smoke` is tiny and quick (CI: 5 users, 2 bots, 3 s; chats of 200 and 2,000). Progress goes
to stderr, the tables to stdout. (1) is bench.botyard_load, (2) bench.botyard_pages; this module
runs both on one server and prints the tables.
"""
import asyncio
import os
import secrets
import tempfile
from collections import Counter
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench import options
from bench.append_ceiling import measure_ceiling, percentile
from bench.botyard_load import ROUND_TRIP_TIMEOUT, BotyardHttp, progress, round_trips
from bench.botyard_pages import page_reads
from tests.servers import Server

POLL_BACKOFF = 0.005  # seconds between reply polls after the first (the web client: 0.5, 1)
FLAT = 1.5  # the most long ÷ short (and short after ÷ before) page-read p50 called flat
OPTIONS = {  # option: (default, with --smoke (None: the default), help); the type is the default's
    "users": (50, 5, "web users, one chat each"),
    "bots": (10, 2, "bots, users spread over them"),
    "seconds": (10.0, 3.0, "measured round-trip time"),
    "warmup": (1.0, 0.5, "unmeasured, before it"),
    "poll_backoff": (POLL_BACKOFF * 1000, None, "ms between a user's reply polls after the first"),
    "ceiling_seconds": (5.0, 1.0, "how long the ceiling appends"),
    "short": (1_000, 200, "messages in the short chat"),
    "long": (100_000, 2_000, "messages in the long chat"),
    "concurrency": (48, 16, "senders building a chat"),
    "reads": (200, 30, "reads per cell"),
    "read_budget": (30.0, 5.0, "seconds at most for each round of reads"),
}


async def bench(server: Server, admin_key: str, args) -> tuple[dict, dict, dict, list[str]]:
    errors: list[str] = []
    progress(f"ceiling: eventsourcing.sqlite, 1 event per save(), {args.ceiling_seconds:g} s")
    ceiling = measure_ceiling(args.ceiling_seconds)
    admin = BotyardHttp(server.port, admin_key)
    trips = await round_trips(server, admin, args.users, args.bots, args.seconds, args.warmup,
                              args.poll_backoff / 1000, errors)
    pages = await page_reads(server, admin, args.short, args.long, args.concurrency,
                             args.reads, args.read_budget)
    admin.close()
    return ceiling, trips, pages, errors


def on_server(env: dict[str, str], load: Callable[[Server], Coroutine[Any, Any, Any]]) -> Any:
    """`load` on uvloop against a `botbus serve` on a fresh data directory, stopped after."""
    try:
        import uvloop
        runner: Callable[[Coroutine], Any] = uvloop.run
    except ImportError:
        runner = asyncio.run
    with tempfile.TemporaryDirectory(prefix="bench-botyard-") as tmp:
        progress("starting botbus serve")
        server = Server(Path(tmp) / "data", env=env).start()
        try:
            return runner(load(server))
        finally:
            server.stop()


def ms(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{percentile(values, 50) * 1000:.2f} / {percentile(values, 99) * 1000:.2f} ms"


def ratio(a: list[float], b: list[float], p: float) -> float | None:
    low = percentile(b, p)
    return percentile(a, p) / low if a and low else None


def times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def report(ceiling: dict, trips: dict, pages: dict, errors: list[str], args) -> None:
    done, wall = trips["trips"], trips["wall"]
    arrived, replied = trips["arrived"], trips["replied"]
    rate, limit = len(done) / wall, ceiling["events_per_s"]
    send = [answered - begin for _, begin, answered, _, _ in done]
    total = [seen - begin for _, begin, _, seen, _ in done]
    delivery = [arrived[i] - answered for i, _, answered, _, _ in done if i in arrived]
    reply = [replied[i] - arrived[i] for i, *_ in done if i in replied and i in arrived]
    after = [max(0.0, seen - replied[i]) for i, _, _, seen, _ in done if i in replied]
    polls = [n for *_, n in done]
    half = trips["start"] + wall / 2
    halves = (sum(1 for _, begin, *_ in done if begin < half) / (wall / 2),
              sum(1 for _, begin, *_ in done if begin >= half) / (wall / 2))
    print(f"Botyard round trips: {args.users} web users (cookie auth) chat with {args.bots} bots"
          f" (webhook receivers in this process, answering over the bot API); each user sends,"
          f" polls `?sender_id&page=1&limit=1&since=` at once and then every"
          f" {args.poll_backoff:g} ms (not the web client's 500 ms, then 1 s) until the reply"
          f" shows, then sends the next; {args.seconds:g} s after {args.warmup:g} s warm-up;"
          f" the bench process shares the {os.cpu_count()} cores with the server")
    print("| figure | value | ÷ ceiling |")
    print("|---|---:|---:|")
    print(f"| ceiling: eventsourcing.sqlite, 1 event per save(), this run"
          f" | {limit:,.0f} events/s ({ceiling['p50_ms']:.2f} ms p50) | 1.00× |")
    print(f"| round trips/s (user → bot → user) | {rate:,.0f} | {rate / limit:.2f}× |")
    print(f"| messages/s (user's + bot's, 2 per round trip) | {2 * rate:,.0f}"
          f" | {2 * rate / limit:.2f}× |")
    print(f"| events/s written (every kind, from the log) | {trips['events']:,.0f}"
          f" | {trips['events'] / limit:.2f}× |")
    print(f"| round trip p50 / p99 (send's start → reply seen) | {ms(total)} | |")
    print(f"| ├ send request (`POST .../chat/message`) | {ms(send)} | |")
    print(f"| ├ webhook delivery (send answered → receiver called) | {ms(delivery)} | |")
    print(f"| ├ bot's reply request (`POST /v1/bot-api/chat/message`) | {ms(reply)} | |")
    print(f"| └ reply seen by a poll after the bot's reply was answered | {ms(after)} | |")
    print(f"| reply polls per round trip: mean / p99 / max"
          f" | {sum(polls) / len(polls) if polls else 0:.1f} / {percentile(polls, 99):g}"
          f" / {max(polls, default=0)} | |")
    print(f"| reply poll request (`GET ...?sender_id&page=1&limit=1&since=`)"
          f" | {ms(trips['poll_times'])} | |")
    cpu = trips["server_cpu"] / len(done) * 1000 if done else 0.0
    print(f"round trips/s, first half / second half of the run: {halves[0]:,.0f} /"
          f" {halves[1]:,.0f}; server CPU per round trip {cpu:.2f} ms, its event loop thread"
          f" busy {trips['main_busy']:.0%}, this process {trips['own_cpu']:.0%} of a core;"
          f" round trips {len(done):,}, lost (no reply within {ROUND_TRIP_TIMEOUT:g} s)"
          f" {trips['lost']}, webhook repeats {trips['duplicates']}")
    print("goal (limits.md): messages/s ≥ 1.0× the ceiling")
    print()
    t = pages["times"]
    short, long = f"{args.short:,}", f"{args.long:,}"
    print(f"Botyard page reads: `GET /v1/client-api/chat/<id>/messages` (cookie), p50 / p99,"
          f" up to {args.reads} reads per cell, interleaved request by request; chats built at"
          f" {pages['rates']['short']:,.0f} / {pages['rates']['long']:,.0f} messages/s"
          f" ({args.concurrency} senders, user and bot alternating)")
    print(f"| query | {short} chat, before the {long} chat | {short} chat | {long} chat"
          f" | {long} ÷ {short}, p50 / p99 | {short} after ÷ before, p50 |")
    print("|---|---:|---:|---:|---:|---:|")
    names = {"page": "`?page=1&limit=20`",
             "poll": "`?sender_id=<bot>&page=1&limit=1&since=<last user message>`"}
    flat = []
    for row, name in names.items():
        b, s, lg = t[(row, "before")], t[(row, "short")], t[(row, "long")]
        r50, r99, grew = ratio(lg, s, 50), ratio(lg, s, 99), ratio(s, b, 50)
        print(f"| {name} | {ms(b)} | {ms(s)} | {ms(lg)} | {times(r50)} / {times(r99)}"
              f" | {times(grew)} |")
        if r50 is not None and grew is not None:
            flat.append(f"{row} {'yes' if max(r50, grew) <= FLAT else 'NO'}")
    print(f"floor: `GET /v1/client-api/user` (cookie auth, one row), read in the same turns,"
          f" before / after: {ms(t[('floor', 'before')])}, {ms(t[('floor', 'after')])};"
          f" rows in the messages read model (every chat): {pages['rows_before']:,} before,"
          f" {pages['rows_after']:,} after")
    print(f"target (issue 14): the cost of a page must not grow with the chat; flat"
          f" ({long} ÷ {short} and {short} after ÷ before, p50, both ≤ {FLAT:g}×):"
          f" {', '.join(flat)}")
    for error, n in Counter(errors).items():
        print(f"error (×{n}): {error}")


def main() -> None:
    parser, args = options.parse(__doc__.splitlines()[0], OPTIONS)
    if min(args.users, args.bots, args.short, args.long, args.concurrency, args.reads) < 1 \
            or args.seconds <= 0 or args.poll_backoff < 0:
        parser.error("counts and --seconds must be positive")
    admin_key = secrets.token_urlsafe(24)
    ceiling, trips, pages, errors = on_server(
        {"ADMIN_SECRET_KEY": admin_key}, lambda server: bench(server, admin_key, args))
    report(ceiling, trips, pages, errors, args)


if __name__ == "__main__":
    main()
