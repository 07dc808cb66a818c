"""(c) `replay rebuild` rate: rebuild every projection from a log of N events (default 1M).

The log is generated directly through the Botbus application (no server): one bot, some
users, and pages of user→bot Message.Sent events, each page saved in one transaction together
with the bot's UpdatesConfirmed for it, as getUpdates would record. The rebuild then runs
`replay.rebuild.rebuild` in a child process, so its peak RSS (ru_maxrss of RUSAGE_CHILDREN)
is the rebuild's own, not the generator's.
"""
import argparse
import json
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from domain.application import Botbus

TARGET_RATE, GOAL_RATE, TARGET_RSS_MB = 30_000, 50_000, 300


def generate(data: Path, events: int, users: int, page: int) -> tuple[int, float]:
    """Append about `events` events; return (log length, seconds)."""
    start = time.perf_counter()
    app = Botbus.open(data)
    try:
        unit = app.new_unit()
        bot = app.register_bot(unit, "BenchBot", secrets.token_hex(16))
        senders = [app.register_user(unit, secrets.token_hex(16)).user_id for _ in range(users)]
        app.save(*unit.aggregates)
        sent = 0
        while (app.recorder.max_notification_id() or 0) < events:
            unit = app.new_unit()
            for _ in range(page):
                app.send_message(unit, senders[sent % users], bot.fingerprint,
                                 {"text": f"message {sent}"}, delivered=False)
                sent += 1
            app.confirm_updates(unit, bot.fingerprint, sent, via="featherchat.getUpdates")
            app.save(*unit.aggregates)
        return app.recorder.max_notification_id(), time.perf_counter() - start
    finally:
        app.close()


def rebuild_child(data: Path) -> None:
    """Runs in the child: time the rebuild alone and print the figures as JSON."""
    from replay.rebuild import rebuild

    app = Botbus.open(data)
    start = time.perf_counter()
    count = rebuild(app.recorder, app.mapper, data, progress=False)
    seconds = time.perf_counter() - start
    app.close()
    print(json.dumps({"count": count, "seconds": seconds}))


def measure_rebuild(data: Path) -> dict:
    child = subprocess.run([sys.executable, "-m", "bench.rebuild_rate", "--child", str(data)],
                           capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parent.parent)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["events_per_s"] = result["count"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="log length to rebuild")
    parser.add_argument("--users", type=int, default=100, help="senders in the generated log")
    parser.add_argument("--page", type=int, default=100,
                        help="messages per save (one getUpdates page, then its confirmation)")
    parser.add_argument("--data", type=Path,
                        help="data directory to reuse (generated there if it has no log)")
    parser.add_argument("--smoke", action="store_true", help="a tiny quick run (CI)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return rebuild_child(args.child)
    if args.smoke:
        args.events = 20_000
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        data = args.data or Path(tmp) / "data"
        data.mkdir(parents=True, exist_ok=True)
        log = data / "events.db"
        if log.exists():
            print(f"reusing the log in {data}")
        else:
            length, seconds = generate(data, args.events, args.users, args.page)
            print(f"generated {length:,} events in {seconds:.1f} s ({length / seconds:,.0f}/s),"
                  f" log {log.stat().st_size / 2**20:,.0f} MiB")
        result = measure_rebuild(data)
    print("(c) replay rebuild of every projection, in a child process")
    print(f"  {'events':>10} {'seconds':>8} {'events/s':>10} {'peak RSS MB':>12}")
    print(f"  {result['count']:>10,} {result['seconds']:>8.1f} {result['events_per_s']:>10,.0f}"
          f" {result['rss_mb']:>12.0f}")
    print(f"  targets: >= {TARGET_RATE:,} events/s (goal {GOAL_RATE:,}),"
          f" peak RSS <= {TARGET_RSS_MB} MB at 1M events")


if __name__ == "__main__":
    main()
