"""Telegram-surface tests: a real `botbus serve`, users driven over featherChat's user API
(httpx), and bots written with the real libraries, run as subprocesses (tests/telegram/bots/,
each configured only by BOTBUS_URL and BOT_TOKEN, as its library's docs teach)."""
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers import ROOT, Server, served

BOTS = Path(__file__).parent / "bots"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    yield from served(tmp_path_factory, "botbus")


@pytest.fixture
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=15) as client:
        yield client


class User:
    """A featherChat user: sends over HTTP, reads the inbox, presses buttons."""

    def __init__(self, http: httpx.Client, registered: dict) -> None:
        self.http, self.token, self.id = http, registered["token"], registered["id"]
        self.fingerprint = registered["fingerprint"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def send(self, to: str, text: str) -> dict:
        body = self.http.post("/v1/messages/send", json={"to": to, "text": text},
                              headers=self.headers).json()
        assert body["ok"], body
        return body["result"]

    def send_document(self, to: str, name: str, data: bytes, caption: str | None = None) -> dict:
        fields = {"to": to, **({"caption": caption} if caption else {})}
        body = self.http.post("/v1/messages/send", data=fields, headers=self.headers,
                              files={"document": (name, data)}).json()
        assert body["ok"], body
        return body["result"]

    def press(self, message_id: str, data: str) -> dict:
        return self.http.post("/v1/callbacks/press", json={"message_id": message_id, "data": data},
                              headers=self.headers).json()

    def inbox(self) -> list[dict]:
        body = self.http.get("/v1/messages/inbox", headers=self.headers).json()
        assert body["ok"], body
        return body["result"]

    def wait_for(self, count: int = 1, timeout: float = 20.0,
                 accept: Callable[[dict], bool] = lambda item: True) -> list[dict]:
        """Inbox items (read, so removed) until `count` accepted ones have arrived."""
        found: list[dict] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found += [item for item in self.inbox() if accept(item)]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} inbox items, got {found}")

    def texts(self, count: int = 1, timeout: float = 20.0) -> list[str]:
        items = self.wait_for(count, timeout, lambda item: "message" in item
                              and not item["message"].get("deleted"))
        return [item["message"].get("text") for item in items]


def new_user(http: httpx.Client, name: str | None = None) -> User:
    fields = {"fingerprint": secrets.token_hex(16), **({"name": name} if name else {})}
    body = http.post("/v1/users/register", json=fields).json()
    assert body["ok"], body
    return User(http, body["result"])


def new_bot(http: httpx.Client, name: str | None = None) -> dict:
    """A registered bot: `bot_api_token`, `alias` (`@...`), `fingerprint`."""
    name = name or f"t{secrets.token_hex(4)}bot"
    body = http.post("/v1/bot/register", json={"name": name,
                                                "fingerprint": secrets.token_hex(16)}).json()
    assert body["ok"], body
    return body["result"]


@contextmanager
def running_bot(script: str, server: Server, token: str, *args: str,
                env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """A bot program from tests/telegram/bots, its output kept for the failure message."""
    log = server.data.parent / f"{Path(script).stem}-{secrets.token_hex(3)}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(BOTS / script), *args], cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "BOTBUS_URL": server.url, "BOT_TOKEN": token, **(env or {})})
    try:
        yield process
    except BaseException:
        print(f"--- {script} output:\n{log.read_text()[-4000:]}")
        raise
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
