"""Scale-out tests: two real `botbus serve` nodes (each its own --data for its projections)
sharing one PostgreSQL log in the throwaway cluster (tests/postgres.py), driven over HTTP
(httpx) and sockets (websockets) as real clients drive them.

On a failure, the tail of every node's log (`<data>.server.log`) is added to the report."""
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.maxchat.conftest import HEARTBEAT_MS
from tests.postgres import Cluster
from tests.servers import ROOT, Server

TIMEOUT = 20.0  # seconds any single wait may take before the test fails (generous: 2 cores)
ADMIN_KEY_LINE = re.compile(r"generated admin key \(shown once, keep it\): (\S+)")
_started: list[Server] = []  # every node of this package, for the failure report
_first_node = pytest.StashKey[int]()  # a test's first node in `_started`
T = TypeVar("T")


def node(data: Path, log_url: str, **env: str) -> Server:
    """A node of the log at `log_url`, not yet started: no ADMIN_SECRET_KEY / JWT_SECRET_KEY
    from the environment, so the secrets are the ones the nodes share through PostgreSQL."""
    server = Server(data, log_url=log_url,
                    env={"BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS": str(HEARTBEAT_MS), **env})
    for name in ("ADMIN_SECRET_KEY", "JWT_SECRET_KEY", "BOTBUS_LOG_URL", "BOTBUS_DATA",
                 "PERSISTENCE_MODULE"):
        server.env.pop(name, None)
    _started.append(server)
    return server


@dataclass
class Pair:
    """Nodes `a` (started first: it printed the admin key) and `b` on one log."""

    a: Server
    b: Server
    log_url: str

    def admin_key(self) -> str:
        found = ADMIN_KEY_LINE.search(self.a.log_text())
        assert found, self.a.log_text()[-3000:]
        return found[1]


def start_pair(root: Path, postgres: Cluster, **env: str) -> Pair:
    url = postgres.new_database()
    a = node(root / "a", url, **env).start()
    b = node(root / "b", url, **env).start()
    return Pair(a, b, url)


@pytest.fixture(scope="package")
def pair(tmp_path_factory, postgres) -> Iterator[Pair]:
    """Two nodes shared by the tests that kill neither; tests keep apart by fresh accounts."""
    running = start_pair(tmp_path_factory.mktemp("scaleout"), postgres)
    yield running
    for server in (running.b, running.a):
        assert server.stop() == 0, server.log_text()[-3000:]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report ends with the tails of its nodes' logs (the package's pair,
    if it used it, and those it started itself)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "setup":
        item.stash[_first_node] = len(_started) if report.passed else 0
    if report.failed:
        shared = item.funcargs.get("pair") if hasattr(item, "funcargs") else None
        servers = [*((shared.a, shared.b) if shared else ()),
                   *_started[item.stash.get(_first_node, 0):]]
        for server in dict.fromkeys(servers):
            report.sections.append((f"node log {server.output} (tail)",
                                    server.log_text()[-4000:]))


# clients, waits and threads --------------------------------------------------------------

def client(server: Server, timeout: float = 15) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=timeout)


def register_bot(http: httpx.Client) -> dict:
    body = http.post("/v1/bot/register", json={"name": f"t{secrets.token_hex(4)}bot",
                                                "fingerprint": secrets.token_hex(16)}).json()
    assert body["ok"], body
    return body["result"]


def register_user(http: httpx.Client) -> dict:
    body = http.post("/v1/users/register", json={"fingerprint": secrets.token_hex(16)}).json()
    assert body["ok"], body
    return body["result"]


def send(http: httpx.Client, user: dict, to: str, text: str) -> httpx.Response:
    return http.post("/v1/messages/send", json={"to": to, "text": text},
                     headers={"Authorization": f"Bearer {user['token']}"})


def sent(http: httpx.Client, user: dict, to: str, text: str) -> str:
    """Sends, asserting the 2xx; the message id."""
    answer = send(http, user, to, text)
    assert answer.is_success and answer.json()["ok"], answer.text
    return answer.json()["result"]["message_id"]


def bot_known(server: Server, bot: dict) -> None:
    """Until `server` knows a bot another node registered: a node learns of another's writes
    within milliseconds, not at once (what the tests using this are not about)."""
    with client(server) as http:
        until(lambda: http.get(f"/v1/bot/{bot['token']}/getMe").status_code,
              lambda status: status == 200)


def feather_poll(http: httpx.Client, bot: dict, **params: object) -> list[dict]:
    answer = http.post(f"/v1/bot/{bot['token']}/getUpdates", json=params)
    assert answer.status_code == 200 and answer.json()["ok"], answer.text
    return answer.json()["result"]


def logged(log_url: str, scratch: Path, *filters: str) -> list[dict]:
    """The log's events, read by `botbus replay log` (a scratch --data): `filters` are its
    options (`"--type", "Message.Sent"`), or a bare event type."""
    if len(filters) == 1:
        filters = ("--type", filters[0])
    done = subprocess.run(
        [sys.executable, "-m", "replay", "log", "--data", str(scratch), "--log", log_url,
         *filters], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def until(probe: Callable[[], T], accept: Callable[[T], object],
          timeout: float = TIMEOUT, every: float = 0.05) -> T:
    """Probes until `accept`s what it found (asserted, with the last finding)."""
    deadline = time.monotonic() + timeout
    while not accept(found := probe()) and time.monotonic() < deadline:
        time.sleep(every)
    assert accept(found), found
    return found


class Worker(threading.Thread):
    """A thread whose exception (a failed assertion, say) is raised again by `finish`, in
    the test itself, rather than lost to the thread's excepthook."""

    def __init__(self, target: Callable[..., object], *args: object) -> None:
        super().__init__(daemon=True)
        self.work, self.args_ = target, args
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work(*self.args_)
        except BaseException as error:  # noqa: BLE001 - handed to the test by `finish`
            self.error = error


def begin(*workers: Worker) -> list[Worker]:
    for worker in workers:
        worker.start()
    return list(workers)


def finish(workers: list[Worker], timeout: float) -> None:
    """Each worker done within `timeout` (each), and none failed."""
    for worker in workers:
        worker.join(timeout)
        assert not worker.is_alive(), f"{worker.work.__name__} still running after {timeout} s"
    for worker in workers:
        if worker.error is not None:
            raise worker.error


class Collected:
    """What threads collect, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list = []

    def add(self, *items: object) -> None:
        with self.lock:
            self.items.extend(items)

    def __len__(self) -> int:
        with self.lock:
            return len(self.items)

    def snapshot(self) -> list:
        with self.lock:
            return list(self.items)
