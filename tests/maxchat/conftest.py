"""MaxChat tests: a real `botbus serve` driven over HTTP (httpx) and its gateway with real
`websockets` clients, as MaxChat's humans and bots drive them."""
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import Server

HEARTBEAT_MS = 2000  # the gateway's interval in these tests (BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS)


def start_server(data: Path, **env: str) -> Server:
    return Server(data, env={"BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS": str(HEARTBEAT_MS),
                             **env}).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("maxchat") / "data")
    yield running
    running.stop()


def gateway_url(server: Server) -> str:
    return server.url.replace("http://", "ws://") + "/gateway"


class Human:
    """A registered human: an httpx client sending its bearer token."""

    def __init__(self, server: Server, username: str, password: str = "password123") -> None:
        self.username = username
        with httpx.Client(base_url=server.url, timeout=15) as client:
            answer = client.post("/api/auth/register",
                                 json={"username": username, "password": password})
        assert answer.status_code == 201, answer.text
        self.user, self.token = answer.json()["user"], answer.json()["token"]
        self.id = self.user["id"]
        self.http = httpx.Client(base_url=server.url, timeout=15,
                                 headers={"Authorization": f"Bearer {self.token}"})

    def server(self, name: str = "Home") -> dict:
        answer = self.http.post("/api/servers", json={"name": name})
        assert answer.status_code == 201, answer.text
        return answer.json()["server"]

    def app(self, name: str = "PingBot") -> tuple[dict, str]:
        """(app, its bot token)."""
        answer = self.http.post("/api/dev/apps", json={"name": name})
        assert answer.status_code == 200, answer.text
        return answer.json()["app"], answer.json()["token"]

    def install(self, app_id: str, server_id: str, permissions: list[str] | None = None) -> None:
        body: dict = {"serverId": server_id}
        if permissions is not None:
            body["permissions"] = permissions
        answer = self.http.post(f"/api/dev/apps/{app_id}/install", json=body)
        assert answer.status_code == 200, answer.text

    def invite_in(self, other: "Human", server_id: str) -> None:
        """`other` joins the server through an invite of this human's."""
        code = self.http.post(f"/api/servers/{server_id}/invites", json={}).json()["code"]
        answer = other.http.post(f"/api/invites/{code}/accept")
        assert answer.status_code == 200, answer.text


def bot_http(server: Server, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=15,
                        headers={"Authorization": f"Bot {token}"})


@pytest.fixture
def new_human(server) -> Iterator[Callable[[], Human]]:
    made: list[Human] = []

    def make() -> Human:
        made.append(Human(server, f"user_{secrets.token_hex(4)}"))
        return made[-1]

    yield make
    for human in made:
        human.http.close()
