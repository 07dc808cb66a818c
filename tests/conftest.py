import secrets

import httpx
import pytest

from tests.postgres import Cluster, shared_cluster
from tests.servers import Server, on_postgres

# Under BOTBUS_TEST_POSTGRES, tests that cannot pass there as written, and why.
NOT_ON_POSTGRES = {
    "tests/e2e/test_live_sockets.py::test_a_push_in_flight_when_the_server_is_killed_is_in_the_"
    "inbox_after_the_restart": "on a shared log another node may hold the push: it returns to"
    " the inbox only an ack timeout (30 s here) after the restart (Runtime.return_in_flight)",
}


def pytest_collection_modifyitems(items):
    """On the PostgreSQL pass, skip (saying why) what cannot run there as written."""
    if not on_postgres():
        return
    for item in items:
        reason = NOT_ON_POSTGRES.get(item.nodeid.split("[")[0])
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"on PostgreSQL: {reason}"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server per test module; tests use fresh random fingerprints to stay apart."""
    running = Server(tmp_path_factory.mktemp("botbus") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def postgres() -> Cluster:
    """The process's throwaway PostgreSQL cluster (started on first use, stopped at exit):
    `postgres.new_database()` is a fresh log's URL, for `Server(..., log_url=...)`."""
    return shared_cluster()


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=15) as client:
        yield client


def fingerprint() -> str:
    return secrets.token_hex(16)


def register_bot(http: httpx.Client, name: str | None = None) -> dict:
    name = name or f"t{secrets.token_hex(4)}bot"
    body = http.post("/v1/bot/register", json={"name": name, "fingerprint": fingerprint()}).json()
    assert body["ok"], body
    return body["result"]


def register_user(http: httpx.Client, **fields) -> dict:
    body = http.post("/v1/users/register", json={"fingerprint": fingerprint(), **fields}).json()
    assert body["ok"], body
    return body["result"]


def send_as_user(http: httpx.Client, user: dict, **message) -> dict:
    return http.post("/v1/messages/send", json=message,
                     headers={"Authorization": f"Bearer {user['token']}"}).json()
