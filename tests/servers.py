"""A real `botbus serve` in a subprocess on a free port, for end-to-end tests and benches.

With BOTBUS_TEST_POSTGRES=1 in the environment, a server given no log URL gets its log in a
fresh database of the process's throwaway PostgreSQL cluster (tests/postgres.py), so the same
suites run against both logs."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
_logs: dict[Path, str] = {}  # data directory -> its PostgreSQL log, under BOTBUS_TEST_POSTGRES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_postgres() -> bool:
    """The pass of the suites on the PostgreSQL log (BOTBUS_TEST_POSTGRES=1)."""
    return os.environ.get("BOTBUS_TEST_POSTGRES") == "1"


def postgres_log(data: Path) -> str:
    """The data directory's log: one database per directory, as SQLite keeps its log in the
    directory, so a stop and start, or a new Server on the same directory, find it again."""
    from tests.postgres import shared_cluster

    key = data.resolve()
    if key not in _logs:
        _logs[key] = shared_cluster().new_database()
    return _logs[key]


class Server:
    def __init__(self, data: Path, port: int | None = None, env: dict[str, str] | None = None,
                 log_url: str | None = None):
        self.data, self.port = Path(data), port or free_port()
        self.env = {**os.environ, **(env or {})}
        self.log_url = log_url or (postgres_log(self.data) if on_postgres() else None)
        self.process: subprocess.Popen | None = None
        self.output = self.data.parent / f"{self.data.name}.server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def store_args(self) -> list[str]:
        """Where this server keeps its data and log, as `botbus serve` and `botbus replay`
        take them: a replay given only `--data` finds no log when it is in PostgreSQL."""
        return ["--data", str(self.data), *(["--log", self.log_url] if self.log_url else [])]

    def start(self, timeout: float = 20.0) -> "Server":
        self.data.mkdir(parents=True, exist_ok=True)
        with open(self.output, "ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port),
                 *self.store_args()],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output.read_text()[-2000:]}")
            try:
                # 503: serving, with read models behind or faults (the test looks at them)
                if httpx.get(self.url + "/health", timeout=0.5).status_code in (200, 503):
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not start in time")

    def stop(self) -> int | None:
        """SIGTERM, as a service manager would; returns the exit code."""
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: nothing acknowledged may be lost."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def log_text(self) -> str:
        return self.output.read_text() if self.output.exists() else ""


def served(tmp_path_factory, name: str, **env: str) -> Iterator[Server]:
    """A module fixture's body: a server of its own, with these settings, stopped after."""
    running = Server(tmp_path_factory.mktemp(name) / "data", env=env).start()
    yield running
    running.stop()


def store_args(data: Path) -> list[str]:
    """A data directory's `--data` and, on the PostgreSQL pass, its log's `--log`."""
    url = _logs.get(Path(data).resolve())
    return ["--data", str(data), *(["--log", url] if url else [])]


def replay_log(data: Path, *types: str) -> list[dict]:
    """`botbus replay log` of a data directory's log: its events (of these types, if any
    are named) as JSON objects."""
    args = [arg for kind in types for arg in ("--type", kind)]
    out = subprocess.run([sys.executable, "-m", "replay", "log", *store_args(data), *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def child_pids(pid: int) -> list[int]:
    """The live child processes of `pid` (a server's log appender), from /proc (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += map(int, (task / "children").read_text().split())
        except OSError:  # a thread that ended in between
            continue
    return found
