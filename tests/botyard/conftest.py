"""Botyard tests: a real `botbus serve` driven over HTTP with httpx, as Botyard's web client
(cookies) and bots (`Authorization: <bot id>:<token>`) drive it."""
import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import Server

ADMIN_KEY = "botyard-admin-" + secrets.token_hex(8)


def start_server(data: Path, config: dict | None = None, **env: str) -> Server:
    """A server with the admin key above; `config` is written as its Botyard config file."""
    settings = {"ADMIN_SECRET_KEY": ADMIN_KEY, **env}
    if config is not None:
        path = data.parent / f"{data.name}.botyard.config.json"
        path.write_text(json.dumps(config))
        settings["BOTBUS_BOTYARD_CONFIG"] = str(path)
    return Server(data, env=settings).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("botyard") / "data")
    yield running
    running.stop()


@pytest.fixture
def admin(server) -> Iterator[httpx.Client]:
    """An httpx client sending the admin key."""
    with httpx.Client(base_url=server.url, timeout=15,
                      headers={"Authorization": ADMIN_KEY}) as client:
        yield client


class BotyardBot:
    """A bot made by the admin API, and an httpx client sending its key."""

    def __init__(self, server: Server, made: dict) -> None:
        self.id, self.key, self.shown = made["bot"]["id"], made["key"], made["bot"]
        self.http = httpx.Client(base_url=server.url, timeout=15,
                                 headers={"Authorization": self.key})


@pytest.fixture
def new_bot(server) -> Iterator[Callable[..., BotyardBot]]:
    made: list[BotyardBot] = []

    def make(name: str | None = None, **fields: str) -> BotyardBot:
        body = {"name": name or f"bot {secrets.token_hex(4)}", **fields}
        answer = httpx.post(server.url + "/v1/admin-api/bot", json=body,
                            headers={"Authorization": ADMIN_KEY}, timeout=15)
        assert answer.status_code == 201, answer.text
        made.append(BotyardBot(server, answer.json()))
        return made[-1]

    yield make
    for bot in made:
        bot.http.close()


@pytest.fixture
def new_user(server) -> Iterator[Callable[[str], httpx.Client]]:
    """A web user signed in: an httpx client holding its `token` cookie (`.user` is the
    user object)."""
    clients: list[httpx.Client] = []

    def make(nickname: str = "web user") -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=15)
        answer = client.post("/v1/client-api/user", json={"nickname": nickname})
        assert answer.status_code == 201, answer.text
        client.user = answer.json()  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
