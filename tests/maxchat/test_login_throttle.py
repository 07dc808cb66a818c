"""Failed MaxChat logins are throttled (api/logins.py): past BOTBUS_LOGIN_FAILURES (10) in
BOTBUS_LOGIN_WINDOW (300 s) a username is refused with 429 `{"error": ...}` and `Retry-After`,
even with the right password, until the window passes; a right password before that starts
its count again. An address is refused past ten times as many, whichever usernames it tries,
so other people behind one NAT or proxy can still log in after one of them mistypes."""
import asyncio
import re
import secrets
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.maxchat.checks import refused
from tests.maxchat.conftest import Human, start_server
from tests.servers import Server

PASSWORD = "password123"  # tests.maxchat.conftest.Human's
BAD_LOGIN = "invalid username or password"
THROTTLED = re.compile(r"too many failed logins: retry after (\d+) seconds")
SMALL_WINDOW = 4  # seconds, on the `small` server: one failure per username, ten per address


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("small") / "data", BOTBUS_LOGIN_FAILURES="1",
                           BOTBUS_LOGIN_WINDOW=str(SMALL_WINDOW))
    yield running
    running.stop()


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def throttled(answer: httpx.Response, window: int) -> int:
    """The 429 in MaxChat's envelope; returns its Retry-After."""
    refused(answer, 429)
    found = THROTTLED.fullmatch(answer.json()["error"])
    assert found is not None, answer.json()
    wait = int(answer.headers["Retry-After"])
    assert int(found.group(1)) == wait and 1 <= wait <= window, (wait, window)
    return wait


def new_name() -> str:
    return f"user_{secrets.token_hex(4)}"


def test_ten_failures_refuse_the_eleventh_login_even_with_the_right_password(server):
    human = Human(server, new_name())
    with httpx.Client(base_url=server.url, timeout=15) as client:
        for n in range(10):  # the username in any case is one account, and one count
            name = human.username.upper() if n % 2 else human.username
            refused(login(client, name, "wrong password"), 401, BAD_LOGIN)
        throttled(login(client, human.username), 300)
        throttled(login(client, human.username, "wrong password"), 300)
        other = Human(server, new_name())  # counted per username: the address is not refused
        assert login(client, other.username).status_code == 200


def test_a_right_password_before_the_limit_starts_the_count_again(server):
    human = Human(server, new_name())
    with httpx.Client(base_url=server.url, timeout=15) as client:
        for _ in range(2):
            for _ in range(9):
                refused(login(client, human.username, "wrong password"), 401, BAD_LOGIN)
            assert login(client, human.username).status_code == 200


def test_guesses_sent_at_once_are_counted_before_any_is_hashed(server):
    """Twelve at once: ten are hashed and refused 401, two are refused 429 without a hash."""
    async def guesses() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            return list(await asyncio.gather(*(client.post("/api/auth/login", json={
                "username": name, "password": "wrong password"}) for _ in range(12))))

    name = new_name()  # no such account: unknown usernames are counted alike
    statuses = sorted(answer.status_code for answer in asyncio.run(guesses()))
    assert statuses == [401] * 10 + [429] * 2


def test_the_count_ends_with_its_window(small):
    human = Human(small, new_name())
    with httpx.Client(base_url=small.url, timeout=15) as client:
        refused(login(client, human.username, "wrong password"), 401, BAD_LOGIN)
        wait = throttled(login(client, human.username), SMALL_WINDOW)
        time.sleep(wait)
        assert login(client, human.username).status_code == 200


def test_an_address_is_refused_past_ten_times_the_usernames_count(small):
    """From 127.0.0.2, so this address's count is this test's own; the ten guesses go at
    once, so all are counted well within the window however slow hashing is."""
    async def guesses() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=small.url, timeout=30, transport=from_2()) as http:
            return list(await asyncio.gather(*(http.post("/api/auth/login", json={
                "username": new_name(), "password": "wrong password"}) for _ in range(10))))

    def from_2() -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(local_address="127.0.0.2")

    human = Human(small, new_name())
    for answer in asyncio.run(guesses()):  # ten usernames, one failure each: none refused
        refused(answer, 401, BAD_LOGIN)
    guesser = httpx.Client(base_url=small.url, timeout=15,
                           transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with guesser, httpx.Client(base_url=small.url, timeout=15) as elsewhere:
        throttled(login(guesser, human.username), SMALL_WINDOW)
        assert login(elsewhere, human.username).status_code == 200  # another address
