"""Scaling out (issue 16): the echo round trip on one SQLite node, one PostgreSQL node and two
PostgreSQL nodes sharing one log, next to the raw eventsourcing append ceilings, in one run.

The echo workload is bench/echo_vs_peer.py's in featherChat mode (bench/echo_botbus.py): N users
each send over HTTP (`POST /v1/messages/send`) and receive the echo on `/v1/ws`; one bot
long-polls `getUpdates` and answers each; closed loop per user. Configurations:

- `1 node, SQLite`: `botbus serve --data DIR` (the log in DIR/events.db);
- `1 node, PostgreSQL`: `--log postgresql://...` on a fresh database;
- `2 nodes, PostgreSQL`: nodes A and B on one fresh database; the bot polls and answers on A;
  user i sends and listens on B when i is even and on A when odd (1 user: on B, so every
  message crosses nodes; 10 and 50 users: half on each).

The cluster is tests/postgres.py's, started durable (fsync, synchronous_commit and
full_page_writes on, PostgreSQL's defaults) on the same disk as the SQLite logs. Ceilings:
`eventsourcing.application.Application` appending 1 and 10 events per save() (bench/
append_ceiling.py) on SQLite and on a fresh database of the same cluster, with Botbus's own
PostgreSQL settings. messages/s = 2 × round trips/s (the user's message and the bot's echo),
as a ratio of the matching store's ceiling. CPU per round trip per node (and of PostgreSQL's
processes, and of the load generator) comes from /proc over the measured window; "loop" is a
node's first thread, its event loop. Rounds interleave the configurations level by level and
each figure is the median over rounds. Everything shares this box's cores.
"""
import asyncio
import os
import statistics
import time
from pathlib import Path

import httpx
import psycopg

from bench.append_ceiling import measure_ceiling
from bench.echo_botbus import Botbus
from bench.echo_vs_peer import level, median, show
from bench.load import _cpu_seconds, on_fresh_server, thread_cpu_seconds
from bench.options import parse
from domain.logstore import postgres_env
from tests.postgres import Cluster
from tests.servers import Server

OPTIONS = {  # name: (default, --smoke value, help)
    "levels": ("1,10,50", "1,10", "comma-separated numbers of users"),
    "seconds": (5.0, 1.0, "measured time per level and configuration"),
    "warmup": (0.5, 0.2, "unmeasured time per level and configuration"),
    "rounds": (3, 1, "interleaved rounds"),
    "ceiling_seconds": (3.0, 0.5, "append time per ceiling per round"),
}
BASE = "1 node, SQLite"
CEILINGS = {"sqlite": "eventsourcing.sqlite", "postgres": "eventsourcing.postgres"}
FOREIGN = ("ADMIN_SECRET_KEY", "JWT_SECRET_KEY", "BOTBUS_LOG_URL", "BOTBUS_DATA",
           "PERSISTENCE_MODULE", "BOTBUS_TEST_POSTGRES")  # the environment's, not this bench's


class Configuration(Botbus):
    """One column: the bot on nodes[0] (A), users spread over the nodes (user_port)."""

    nodes: list[Server]
    postmaster: int | None = None  # the cluster's, when the log is in PostgreSQL

    def user_port(self, i: int) -> int:
        return self.nodes[(i + 1) % len(self.nodes)].port

    def usage(self) -> dict[str, float]:
        """CPU seconds so far of each node's loop and other threads, and of PostgreSQL."""
        counters = {f"{'AB'[i]} {thread}": used for i, node in enumerate(self.nodes)
                    for thread, used in thread_cpu_seconds(pid_of(node)).items()}
        if self.postmaster:
            counters["PostgreSQL"] = postgres_cpu(self.postmaster)
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        counters["box"] = (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        return counters  # box: every process's CPU (not idle, not iowait), this bench's or not


def pid_of(server: Server) -> int:
    assert server.process is not None
    return server.process.pid


def postgres_cpu(postmaster: int) -> float:
    """The postmaster's CPU seconds with its children's, live (from their own stat) and
    ended (cutime + cstime), so backends that come and go are all counted."""
    total = _cpu_seconds(Path(f"/proc/{postmaster}/stat"))
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    total += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] == str(postmaster):
                total += _cpu_seconds(stat)
        except OSError:
            continue  # a process that ended in between
    return total


def node(data: Path, log_url: str | None = None) -> Server:
    server = Server(data, log_url=log_url)
    for name in FOREIGN:
        server.env.pop(name, None)
    return server.start()


async def configure(name: str, nodes: list[Server], postmaster: int | None,
                    users: int) -> Configuration:
    """The bot and users registered on A; ready once the last user is known on every node."""
    side = await Configuration.create(nodes[0], users)
    side.name, side.nodes, side.postmaster = name, nodes, postmaster
    async with httpx.AsyncClient(timeout=5) as client:
        for other in nodes[1:]:
            deadline = time.monotonic() + 20
            while (answer := await client.get(f"{other.url}/v1/messages/inbox", headers={
                    "Authorization": f"Bearer {side.tokens[-1]}"})).status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: a user registered on A unknown on B:"
                                       f" {answer.text[:200]}\n{other.log_text()[-3000:]}")
                await asyncio.sleep(0.05)
    return side


async def bench(sqlite: Server, cluster: Cluster, args, levels: list[int]) -> tuple:
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    ceiling_env = postgres_env(cluster.new_database())
    root, shared = sqlite.data.parent, cluster.new_database()
    servers = [node(root / "pg1", cluster.new_database()), node(root / "a", shared)]
    try:
        servers.append(node(root / "b", shared))
        sides = [await configure(BASE, [sqlite], None, max(levels)),
                 await configure("1 node, PostgreSQL", servers[:1], postmaster, max(levels)),
                 await configure("2 nodes, PostgreSQL", servers[1:], postmaster, max(levels))]
        results: dict[tuple[str, int], list[dict]] = {}
        ceilings: dict[tuple[str, int], list[float]] = {}
        errors: list[str] = []
        for _ in range(args.rounds):
            for store, per_save in [(s, n) for s in CEILINGS for n in (1, 10)]:
                env = ceiling_env if store == "postgres" else None
                done = measure_ceiling(args.ceiling_seconds, per_save=per_save, env=env)
                ceilings.setdefault((store, per_save), []).append(done["events_per_s"])
            for n in levels:
                for side in sides:
                    row = await level(side, n, args.seconds, args.warmup, errors)
                    results.setdefault((side.name, n), []).append(row)
        return [side.name for side in sides], results, ceilings, errors
    finally:
        for server in reversed(servers):
            server.stop()


def figures(rows: list[dict]) -> dict:
    """Medians of one configuration at one level; CPU shares of a core → ms per round trip."""
    got = {key: median(rows, key) for key in ("rate", "p50", "p99", "gen")}
    for name in rows[-1]["shares"]:
        got[name] = statistics.median(row["shares"][name] for row in rows)
    got["node"] = [got.get(f"{label} main", 0) + got.get(f"{label} other threads", 0)
                   for label in "AB" if f"{label} main" in got]
    got["cores"] = sum(got["node"]) + got.get("PostgreSQL", 0) + got["gen"] * got["rate"] / 1000
    return got


def bottleneck(got: dict, cores: int) -> str:
    loops = {label: got[f"{label} main"] for label in "AB" if f"{label} main" in got}
    busiest = max(loops, key=lambda label: loops[label])
    if loops[busiest] >= 0.85:
        return f"node {busiest}'s event loop (a core of its own, {loops[busiest]:.0%} busy)"
    busy = f"{got['box']:.2f} of {cores} cores busy, {got['cores']:.2f} by this bench"
    if got["box"] >= 0.85 * cores:
        return f"the box's CPU ({busy})"
    return (f"neither a loop nor the CPU ({busy}): waiting on durable commits (the disk's"
            " fsync: see the 1-per-save ceilings)")


def report(names: list[str], results: dict, ceilings: dict, errors: list[str],
           levels: list[int], args, settings: str) -> None:
    cores, top = os.cpu_count() or 1, max(levels)
    ceiling = {key: statistics.median(values) for key, values in ceilings.items()}
    table = {(name, n): figures(results[(name, n)]) for name in names for n in levels}
    print(f"Scale-out echo (featherChat; bot on node A), {args.seconds:g} s per level, median"
          f" of {args.rounds} interleaved round(s); PostgreSQL {settings}; {cores} cores shared"
          " by the nodes, PostgreSQL and the load generator")
    print(f"CEILING: eventsourcing.postgres appends {ceiling['postgres', 1]:,.0f} events/s at 1"
          f" per save, {ceiling['postgres', 10]:,.0f} at 10 (eventsourcing.sqlite:"
          f" {ceiling['sqlite', 1]:,.0f} / {ceiling['sqlite', 10]:,.0f})")
    for name in names:
        got = table[name, top]
        loops = ", ".join(f"{label} loop {got[f'{label} main']:.0%}" for label in "AB"
                          if f"{label} main" in got)
        print(f"BOTTLENECK at {top} users, {name}: {bottleneck(got, cores)}; {loops}"
              + (f", PostgreSQL {got['PostgreSQL']:.0%}" if "PostgreSQL" in got else "")
              + f", load generator {got['gen'] * got['rate'] / 1000:.0%} of a core")
    print("| users | configuration | round trips/s | ÷ 1 node SQLite | p50 / p99 ms | messages/s"
          " | ÷ ceiling 1 / 10 per save | CPU ms per round trip: nodes A, B / PostgreSQL / load"
          " generator | loop busy A, B | cores busy: bench / box |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in levels:
        for name in names:
            got, base = table[name, n], table[BASE, n]["rate"]
            store, messages = "postgres" if "PostgreSQL" in got else "sqlite", 2 * got["rate"]
            per_rt = [f"{share / got['rate'] * 1000:.2f}" for share in got["node"]]
            pg = got.get("PostgreSQL")
            print(f"| {n} | {name} | {got['rate']:,.0f} | {got['rate'] / base:.2f}×"
                  f" | {got['p50']:.2f} / {got['p99']:.2f} | {messages:,.0f}"
                  f" | {messages / ceiling[store, 1]:.2f} / {messages / ceiling[store, 10]:.2f}"
                  f" | {', '.join(per_rt)} / {show(pg and pg / got['rate'] * 1000, '{:.2f}')}"
                  f" / {got['gen']:.2f} | " + ", ".join(
                      f"{got[f'{label} main']:.0%}" for label in "AB" if f"{label} main" in got)
                  + f" | {got['cores']:.2f} / {got['box']:.2f} |")
    for (store, per_save), values in ceilings.items():
        print(f"{CEILINGS[store]} {per_save} per save, events/s per round:"
              f" {', '.join(f'{value:,.0f}' for value in values)}")
    lost = sum(row["lost"] for rows in results.values() for row in rows)
    print("messages/s = 2 × round trips/s; the log gets ~3.4 events per round trip (2"
          " Message.Sent, 1 Message.Received for the socket's ack, a share of one"
          f" UpdatesConfirmed per poll); lost (no echo within 10 s): {lost}")
    for error in sorted(set(errors)):
        print(f"error (×{errors.count(error)}): {error}")


def main() -> None:
    parser, args = parse(__doc__.splitlines()[0], OPTIONS)
    levels = [int(n) for n in args.levels.split(",")]
    if min(levels) < 1 or args.seconds <= 0 or args.rounds < 1 or args.ceiling_seconds <= 0:
        parser.error("levels, --seconds, --rounds and --ceiling-seconds must be positive")
    for name in FOREIGN:
        os.environ.pop(name, None)
    with Cluster(durable=True) as cluster:
        with psycopg.connect(cluster.url("postgres")) as connection:
            settings = ", ".join(f"{name}={connection.execute(f'SHOW {name}').fetchone()[0]}"
                                 for name in ("fsync", "synchronous_commit", "full_page_writes"))
        outcome = on_fresh_server("bench-scaleout-",
                                  lambda sqlite: bench(sqlite, cluster, args, levels))
    report(*outcome, levels, args, settings)


if __name__ == "__main__":
    main()
