"""(a) The raw ceiling: `eventsourcing.sqlite` appending one event per `save()`.

Library defaults (WAL, synchronous=FULL), one new aggregate (one event) per transaction, nothing
else. Every Botbus write path ends in such a save, so its messages/s are printed as a ratio of
this figure, measured in the same run (absolute figures drift between machines and runs).
"""
import argparse
import tempfile
import time
from pathlib import Path

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate


class Ping(Aggregate):
    """One small Created event per aggregate, like a Botbus Message.Sent."""

    def __init__(self, text: str) -> None:
        self.text = text


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of unsorted values (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def measure_ceiling(seconds: float | None = 5.0, count: int | None = None,
                    warmup: int = 50, per_save: int = 1, env: dict | None = None) -> dict:
    """Save `per_save` aggregates (one event each) per `app.save()` for `seconds` (or `count`
    saves) in a temp dir; `env`: another store's settings (bench/scaleout.py: PostgreSQL)."""
    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as tmp:
        app = Application(env=env or {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                      "SQLITE_DBNAME": str(Path(tmp) / "events.db")})
        try:
            for _ in range(warmup):
                app.save(Ping("warm-up"))
            latencies: list[float] = []
            clock = time.perf_counter
            start = clock()
            deadline = start + seconds if count is None and seconds is not None else float("inf")
            while (count is None or len(latencies) < count) and clock() < deadline:
                pings = [Ping("hello") for _ in range(per_save)]
                begin = clock()
                app.save(*pings)
                latencies.append(clock() - begin)
            elapsed = clock() - start
        finally:
            app.close()
    events = len(latencies) * per_save
    return {"events": events, "seconds": elapsed,
            "events_per_s": events / elapsed if elapsed else 0.0,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to append")
    parser.add_argument("--count", type=int, help="append this many events instead")
    parser.add_argument("--smoke", action="store_true", help="a tiny quick run (CI)")
    args = parser.parse_args()
    seconds, count = (1.0, None) if args.smoke else (args.seconds, args.count)
    result = measure_ceiling(seconds, count)
    print("(a) eventsourcing.sqlite ceiling: 1 event per save(), library defaults")
    print(f"  {'events':>8} {'seconds':>8} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"  {result['events']:>8} {result['seconds']:>8.2f} {result['events_per_s']:>10,.0f}"
          f" {result['p50_ms']:>8.3f} {result['p99_ms']:>8.3f}")


if __name__ == "__main__":
    main()
