"""Bots polling one node while users write to the other: every message once and in order
(featherChat v1's delete-on-read and Telegram's offsets alike), two v1 pollers on two nodes
never handed the same update, and a Telegram long poll on one node ending an older one on
the other with 409."""
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from api.readers import GRACE
from tests.scaleout.conftest import (
    TIMEOUT,
    Collected,
    Pair,
    Worker,
    begin,
    bot_known,
    client,
    feather_poll,
    finish,
    register_bot,
    register_user,
    send,
)
from tests.servers import Server

pytestmark = pytest.mark.slow
PHASE, OVERLAP = GRACE + 1.5, 0.5  # the pollers' turns, and how long both read at a turn
PER_USER = 25


def feather_reader(bot: dict) -> Callable[[httpx.Client], list[tuple[int, str]]]:
    """One v1 long poll (delete-on-read): (update_id, text) of what it returned."""
    def read(http: httpx.Client) -> list[tuple[int, str]]:
        return [(u["update_id"], u["message"]["text"])
                for u in feather_poll(http, bot, timeout=5)]
    return read


def telegram_reader(bot: dict) -> Callable[[httpx.Client], list[tuple[int, str]]]:
    """One Telegram long poll, confirming what the previous one returned by its offset."""
    offset = [0]

    def read(http: httpx.Client) -> list[tuple[int, str]]:
        answer = http.post(f"/bot{bot['bot_api_token']}/getUpdates",
                           json={"offset": offset[0], "timeout": 5})
        assert answer.status_code == 200 and answer.json()["ok"], answer.text
        found = [(u["update_id"], u["message"]["text"]) for u in answer.json()["result"]]
        if found:
            offset[0] = found[-1][0] + 1
        return found
    return read


@pytest.mark.parametrize("dialect", ["featherchat", "telegram"])
def test_a_bot_polling_one_node_gets_every_message_sent_to_the_other_once_in_order(
        pair: Pair, dialect: str):
    with client(pair.a) as on_a, client(pair.b) as on_b:
        bot = register_bot(on_a)
        users = [register_user(on_b) for _ in range(2)]
    read = (feather_reader if dialect == "featherchat" else telegram_reader)(bot)
    expected = len(users) * PER_USER
    got, failures = Collected(), Collected()

    def poller() -> None:
        deadline = time.monotonic() + 3 * TIMEOUT
        with client(pair.a) as http:
            while len(got) < expected and time.monotonic() < deadline:
                got.add(*read(http))

    def sender(index: int) -> None:
        with client(pair.b) as http:
            for n in range(PER_USER):
                time.sleep(0.05)  # spread over several turns
                answer = send(http, users[index], bot["fingerprint"], f"{index}-{n}")
                if not answer.is_success:
                    failures.add((index, n, answer.status_code, answer.text))

    reading = begin(Worker(poller))
    finish(begin(*[Worker(sender, i) for i in range(len(users))]), 3 * TIMEOUT)
    finish(reading, 4 * TIMEOUT)
    assert not failures.snapshot(), failures.snapshot()

    updates = got.snapshot()
    ids = [update_id for update_id, _ in updates]
    assert ids == sorted(set(ids)), ids  # each update once, oldest first
    texts = [text for _, text in updates]
    assert len(texts) == expected, texts
    for index in range(len(users)):  # each user's messages in the order they were sent
        assert [t for t in texts if t.startswith(f"{index}-")] == [
            f"{index}-{n}" for n in range(PER_USER)]
    with client(pair.a) as on_a, client(pair.b) as on_b:  # and nothing more, on either node
        for http in (on_a, on_b):
            if dialect == "featherchat":
                assert feather_poll(http, bot) == []
            else:
                answer = http.post(f"/bot{bot['bot_api_token']}/getUpdates",
                                   json={"offset": ids[-1] + 1}).json()
                assert answer == {"ok": True, "result": []}, answer


def test_two_pollers_on_two_nodes_never_get_the_same_update(pair: Pair):
    """featherChat v1 deletes what it returns: with one poller per node on one bot and users
    sending to both nodes, each update goes to exactly one of them, and none is lost. The
    pollers take turns of PHASE seconds, both reading in the turn's first OVERLAP seconds:
    a node keeps an idle queue's reader lease for GRACE only (api/readers.py), so the lease
    passes between the nodes, and both read at once while it does."""
    per_sender, senders = 75, 4  # 300 messages, half to each node
    with client(pair.a) as on_a, client(pair.b) as on_b:
        bot = register_bot(on_a)
        users = [register_user((on_a, on_b)[i % 2]) for i in range(senders)]  # where it sends
    bot_known(pair.b, bot)
    acknowledged, failures = Collected(), Collected()
    taken: dict[str, Collected] = {"a": Collected(), "b": Collected()}
    done = threading.Event()  # the senders are done

    start = time.monotonic()

    def poller(server: Server, into: Collected, turn: int) -> None:
        deadline = start + 4 * TIMEOUT
        with client(server) as http:
            while time.monotonic() < deadline:
                if done.is_set() and sum(map(len, taken.values())) >= len(acknowledged):
                    return
                into_turn = (time.monotonic() - start) % (2 * PHASE)
                if not (turn * PHASE <= into_turn < turn * PHASE + PHASE
                        or into_turn % PHASE < OVERLAP):
                    time.sleep(0.05)
                    continue
                into.add(*[(u["update_id"], u["message"]["message_id"])
                           for u in feather_poll(http, bot, timeout=0.5, limit=10)])

    def sender(index: int) -> None:
        server = (pair.a, pair.b)[index % 2]
        with client(server) as http:
            for n in range(per_sender):
                time.sleep(0.05)  # spread over several turns
                answer = send(http, users[index], bot["fingerprint"], f"{index}-{n}")
                if answer.is_success:
                    acknowledged.add(answer.json()["result"]["message_id"])
                else:
                    failures.add((server.output.name, index, n, answer.status_code, answer.text))

    polling = begin(Worker(poller, pair.a, taken["a"], 0), Worker(poller, pair.b, taken["b"], 1))
    try:
        finish(begin(*[Worker(sender, i) for i in range(senders)]), 4 * TIMEOUT)
    finally:
        done.set()
    finish(polling, 5 * TIMEOUT)
    assert not failures.snapshot(), failures.snapshot()

    got_a, got_b = taken["a"].snapshot(), taken["b"].snapshot()
    ids_a, ids_b = [u for u, _ in got_a], [u for u, _ in got_b]
    assert len(ids_a) == len(set(ids_a)) and len(ids_b) == len(set(ids_b))
    assert not set(ids_a) & set(ids_b), sorted(set(ids_a) & set(ids_b))
    messages = [m for _, m in got_a + got_b]
    assert len(messages) == len(set(messages))
    assert set(messages) == set(acknowledged.snapshot())
    assert len(messages) == senders * per_sender
    assert ids_a and ids_b, "one poller got everything: the lease never passed"


def test_a_telegram_long_poll_on_one_node_ends_the_older_one_on_the_other_with_409(pair: Pair):
    with client(pair.a) as on_a:
        bot = register_bot(on_a)
    bot_known(pair.b, bot)
    path = f"/bot{bot['bot_api_token']}/getUpdates"
    older: list[httpx.Response] = []

    def poll_a() -> None:
        with client(pair.a, timeout=30) as http:
            older.append(http.post(path, json={"timeout": 15}))

    parked = begin(Worker(poll_a))
    time.sleep(0.5)  # A's poll is parked (it would answer 200 [] only after 15 s)
    newer: list[httpx.Response] = []
    with client(pair.b) as on_b:
        while parked[0].is_alive() and len(newer) < 20:
            # (had this poll started before A's, A's would end it: B polls again)
            newer.append(on_b.post(path, json={"timeout": 1}))
    finish(parked, TIMEOUT)
    assert older and older[0].status_code == 409, older and older[0].text
    assert newer[-1].status_code == 200 and newer[-1].json() == {"ok": True, "result": []}, \
        newer[-1].text
    assert older[0].json()["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot"
        " instance is running")
