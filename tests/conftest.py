import secrets

import httpx
import pytest

from tests.servers import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server per test module; tests use fresh random fingerprints to stay apart."""
    running = Server(tmp_path_factory.mktemp("botbus") / "data").start()
    yield running
    running.stop()


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
