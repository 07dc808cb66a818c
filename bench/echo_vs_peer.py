"""Botbus beside a peer (the npm emulator telegram-test-api 4.2.1) on the echo workload.

N users each send a message over HTTP; one bot polls for updates and answers each with a
send to its sender; each user receives the echo live and only then sends the next (a closed
loop per user). Measured at 1, 10 and 50 users, for each server: round trips/s (completed
echoes per second of wall time), user→bot→user latency p50/p99 (the send request's start to
the echo's arrival), the server's CPU per round trip (utime + stime of the server process
from /proc over the level, divided by the round trips), and how busy its first thread
(Botbus's event loop, the node peer's JS thread) and its other threads were. Levels are
interleaved (each round runs a level on Botbus, then the same level on the peer) and each
figure is the median over rounds, so drift on the box hits both sides alike.

Botbus: a real `botbus serve` (tests.servers.Server); users send over featherChat v1 and receive
on `/v1/ws`, acknowledging each frame. Its bot speaks featherChat v1 (`--mode featherchat`, the
default: `getUpdates {"timeout": 5}`, bench/echo_botbus.py) or the Telegram surface (`--mode
telegram`: `/bot<token>/getUpdates` with `offset` and `timeout` 30, bench/echo_telegram.py).
Every send is durable (fsync) before it is answered. The peer keeps everything in RAM, has no
long poll (its bot polls back to back) and no socket (its users poll back to back for the
reply); see bench/echo_peer.py. Both bots poll on one connection and reply on REPLY_CONNECTIONS
keep-alive connections, concurrently. The load generator is the same hand-written HTTP/1.1
client as bench/end_to_end.py (httpx would cost more CPU than the servers) and shares the cores
with the server. The sides are bench/echo_botbus.py, bench/echo_telegram.py and
bench/echo_peer.py (same interface); `--smoke` runs the Botbus half only, briefly, for CI (it
never needs npm or a network).
"""
import argparse
import asyncio
import statistics
import time
from collections import Counter

from bench.append_ceiling import percentile
from bench.echo_botbus import Botbus
from bench.echo_peer import Peer, PeerUnavailable
from bench.echo_telegram import BotbusTelegram
from bench.load import Http, on_fresh_server, server_cpu_seconds, thread_cpu_seconds
from tests.servers import Server

# Enough that the bot is not the bottleneck: with 4, its replies queued for a free connection
# (300-400 ms at 50 users once the server answered ~600 round trips/s, measured).
REPLY_CONNECTIONS = 16
ECHO_TIMEOUT = 10.0  # a round trip not done by then (or refused) is lost and ends that user
# per mode: Botbus's side, the least Botbus ÷ peer round trips/s wanted by number of users (2×
# where not named), and the target in words (p99 lower than the peer's everywhere)
MODES = {
    "featherchat": (Botbus, {1: 1.0}, "Botbus ≥ 2× peer at 10 and 50 users, ≥ 1× at 1 user,"
                                      " lower p99 than the peer at every level"),
    "telegram": (BotbusTelegram, {1: 0.0}, "Botbus ≥ 2× peer at 10 and 50 users, lower p99"
                                           " than the peer at every level"),
}


async def bot(side, poller: Http, pool: asyncio.Queue, replies: set, errors: list) -> None:
    """One poll loop; each update answered on a free reply connection, concurrently. A side
    whose poll body has an `offset` (Telegram) confirms by it: the next poll asks from the last
    update_id + 1 (kept in the side's dict, so the next level goes on from there)."""
    async def answer(update: dict) -> None:
        http = await pool.get()
        try:
            await http.post(side.reply_path, side.reply(update))
        except Exception as error:  # noqa: BLE001 - reported under the table
            errors.append(f"{side.name} bot reply: {error}")
        finally:
            pool.put_nowait(http)

    while True:
        updates = await poller.post(side.poll_path, side.poll_body)
        if updates and "offset" in side.poll_body:
            side.poll_body["offset"] = updates[-1]["update_id"] + 1
        for update in updates:
            task = asyncio.create_task(answer(update))
            replies.add(task)
            task.add_done_callback(replies.discard)


async def phase(side, users: list, seconds: float,
                errors: list) -> tuple[list[float], int, float]:
    """Every user in a closed loop for `seconds`: latencies, lost round trips, wall time."""
    latencies: list[float] = []
    lost = 0

    async def loop(i: int, user) -> None:
        nonlocal lost
        sequence = 0
        while (begin := time.perf_counter()) < deadline:
            sequence += 1
            try:
                await asyncio.wait_for(user.round_trip(f"u{i} {sequence}"), ECHO_TIMEOUT)
            except Exception as error:  # noqa: BLE001 - a timeout or a refusal: reported
                lost += 1
                errors.append(f"{side.name} user: {str(error) or 'no echo in time'}")
                return
            latencies.append(time.perf_counter() - begin)

    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(loop(i, user) for i, user in enumerate(users)))
    return latencies, lost, time.perf_counter() - start


async def level(side, n: int, seconds: float, warmup: float, errors: list) -> dict:
    """Fresh connections (idle keep-alives are closed after 5 s), a warm-up, then the level."""
    side.start()
    try:
        users = [await side.open_user(i) for i in range(n)]
        await asyncio.sleep(0.2)  # let the server register the sockets
        pool: asyncio.Queue = asyncio.Queue()
        for _ in range(REPLY_CONNECTIONS):
            pool.put_nowait(await side.connect())
        poller, replies = await side.connect(), set[asyncio.Task]()
        task = asyncio.create_task(bot(side, poller, pool, replies, errors))
        await phase(side, users, warmup, errors)
        usage = getattr(side, "usage", dict)  # a side's own CPU counters (bench/scaleout.py)
        cpu, gen, counted = server_cpu_seconds(side.pid), time.process_time(), usage()
        threads = thread_cpu_seconds(side.pid)
        latencies, lost, wall = await phase(side, users, seconds, errors)
        cpu, gen = server_cpu_seconds(side.pid) - cpu, time.process_time() - gen
        busy = {name: (used - threads.get(name, 0.0)) / wall
                for name, used in thread_cpu_seconds(side.pid).items()}
        shares = {name: (used - counted.get(name, 0.0)) / wall for name, used in usage().items()}
        errors.extend(f"{side.name} user: {user.closed}" for user in users
                      if getattr(user, "closed", None))
        if task.done() and task.exception():
            errors.append(f"{side.name} bot poll: {task.exception()}")
        task.cancel()
        await asyncio.gather(task, *replies, return_exceptions=True)
        for http in [poller, *(pool.get_nowait() for _ in range(pool.qsize()))]:
            http.close()
        for user in users:
            await user.close()
    finally:
        side.stop()
    return {"rate": len(latencies) / wall, "p50": percentile(latencies, 50) * 1000,
            "p99": percentile(latencies, 99) * 1000, "lost": lost,
            "cpu": cpu / len(latencies) * 1000 if latencies else 0.0,
            "gen": gen / len(latencies) * 1000 if latencies else 0.0,
            "busy": {name: share for name, share in busy.items() if share >= 0.05},
            "shares": shares}  # of a core, by the side's usage() counter


async def bench(server: Server, peer: Peer | None, levels: list[int], seconds: float,
                warmup: float, rounds: int, mode: str) -> tuple[dict, list[str]]:
    botbus = await MODES[mode][0].create(server, max(levels))
    results: dict[tuple[str, int], list[dict]] = {}
    errors: list[str] = []
    for _ in range(rounds):
        for n in levels:
            for side in (botbus, peer):
                if side is None:
                    continue
                try:
                    row = await level(side, n, seconds, warmup, errors)
                except PeerUnavailable as error:
                    print(f"peer: telegram-test-api unavailable ({error}): Botbus figures only")
                    peer = None
                    continue
                results.setdefault((side.name, n), []).append(row)
    return results, errors


def median(rows: list[dict] | None, key: str) -> float | None:
    return statistics.median(row[key] for row in rows) if rows else None


def show(value: float | None, form: str = "{:,.0f}") -> str:
    return "–" if value is None else form.format(value)


def report(results: dict, errors: list[str], levels: list[int], args) -> None:
    kind, needs, targets = MODES[args.mode]
    print(f"Echo round trips, Botbus's bot on {args.mode} ({kind.__name__}): users send over"
          f" HTTP, one bot answers each, users receive live; {args.seconds:g} s per level,"
          f" median of {args.rounds} interleaved round(s)")
    print("| users | Botbus round trips/s | peer round trips/s | Botbus ÷ peer | Botbus p50 / p99"
          " | peer p50 / p99 | server CPU per round trip, Botbus / peer |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    met = []
    for n in levels:
        b, p = results.get(("Botbus", n)), results.get(("peer", n))
        rate_b, rate_p = median(b, "rate"), median(p, "rate")
        ratio = rate_b / rate_p if rate_b is not None and rate_p else None
        p99_b, p99_p = median(b, "p99"), median(p, "p99")
        print(f"| {n} | {show(rate_b)} | {show(rate_p)} | {show(ratio, '{:.2f}×')}"
              f" | {show(median(b, 'p50'), '{:.2f}')} / {show(p99_b, '{:.2f}')} ms"
              f" | {show(median(p, 'p50'), '{:.2f}')} / {show(p99_p, '{:.2f}')} ms"
              f" | {show(median(b, 'cpu'), '{:.3f}')} / {show(median(p, 'cpu'), '{:.3f}')} ms |")
        if ratio is not None and p99_b is not None and p99_p is not None:
            need = needs.get(n, 2.0)
            met.append(f"{n} users {'yes' if ratio >= need and p99_b < p99_p else 'NO'}")
    print(f"targets: {targets}")
    if met:
        print("met (rate and p99): " + ", ".join(met))
    paired = [f"{n}: " + ", ".join(f"{b['rate'] / p['rate']:.2f}×" for b, p in zip(
        results[("Botbus", n)], results[("peer", n)], strict=False))
              for n in levels if ("Botbus", n) in results and ("peer", n) in results]
    if paired:  # each round's pair ran back to back: the box's drift between rounds shows here
        print(f"Botbus ÷ peer, round by round: {'; '.join(paired)}")
    for side in ("Botbus", "peer"):
        per_round = [f"{n}: " + ", ".join(f"{row['rate']:,.0f}" for row in results[(side, n)])
                     for n in levels if (side, n) in results]
        lost = sum(row["lost"] for n in levels for row in results.get((side, n), []))
        gen = [f"{n}: {median(results[(side, n)], 'gen'):.3f}" for n in levels
               if (side, n) in results]
        busy = [f"{n}: " + ", ".join(f"{name} {share:.0%}" for name, share in sorted(
                    results[(side, n)][-1]["busy"].items(), key=lambda item: -item[1]))
                for n in levels if (side, n) in results]
        if per_round:
            print(f"{side}: round trips/s per round, by users: {'; '.join(per_round)};"
                  f" load generator CPU per round trip (ms): {'; '.join(gen)};"
                  f" server threads busy, last round (share of a core): {'; '.join(busy)};"
                  f" lost (no echo within {ECHO_TIMEOUT:g} s): {lost}")
    for error, times in Counter(errors).items():
        print(f"error (×{times}): {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,10,50", help="comma-separated numbers of users")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per level")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured time per level")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--mode", choices=list(MODES), default="featherchat",
                        help="the dialect of Botbus's bot (users are featherChat v1 either way)")
    parser.add_argument("--botbus-only", action="store_true", help="skip the peer")
    parser.add_argument("--smoke", action="store_true", help="Botbus only, tiny and quick (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.levels, args.seconds, args.warmup, args.rounds = "1,10", 1.0, 0.2, 1
        args.botbus_only = True
    levels = [int(n) for n in args.levels.split(",")]
    if min(levels) < 1 or args.seconds <= 0 or args.rounds < 1:
        parser.error("levels, --seconds and --rounds must be positive")
    peer = None
    if not args.botbus_only:
        try:
            peer = Peer()
        except PeerUnavailable as error:
            print(f"peer: telegram-test-api unavailable ({error}): Botbus figures only")
    results, errors = on_fresh_server("bench-echo-", lambda server: bench(
        server, peer, levels, args.seconds, args.warmup, args.rounds, args.mode))
    report(results, errors, levels, args)


if __name__ == "__main__":
    main()
