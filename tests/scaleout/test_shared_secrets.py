"""What the nodes of one log share beside it: the server secrets (the first node prints the
admin key, every node takes it; bot keys and sessions signed by one are good on the other),
and numbers (account numbers, MaxChat snowflakes) that two nodes never both hand out."""
import secrets

import httpx
import pytest

from tests.scaleout.conftest import (
    ADMIN_KEY_LINE,
    TIMEOUT,
    Collected,
    Pair,
    Worker,
    begin,
    client,
    finish,
    register_bot,
    until,
)

pytestmark = pytest.mark.slow


def eventually(http: httpx.Client, path: str, **headers: str) -> httpx.Response:
    """GET until a 2xx (a node follows another's write within milliseconds, not at once);
    the last answer, asserted to be one."""
    return until(lambda: http.get(path, headers=headers), lambda answer: answer.is_success,
                 timeout=5)


def test_the_admin_key_printed_by_the_first_node_works_on_the_other(pair: Pair):
    key = pair.admin_key()
    assert not ADMIN_KEY_LINE.search(pair.b.log_text()), "the second node printed a key too"
    username = f"shared_{secrets.token_hex(3)}_bot"
    with client(pair.a) as on_a, client(pair.b) as on_b:
        for wrong in ("wrong-key", key + "x", key[:-1]):
            refused = on_b.post("/v1/admin/bots", json={"name": "Sneaky"},
                                headers={"Authorization": wrong}).json()
            assert refused["ok"] is False, wrong
        created = on_b.post("/v1/admin/bots", json={"name": "Shared", "username": username},
                            headers={"Authorization": key}).json()
        assert created["ok"], created
        me = eventually(on_a, f"/bot{created['result']['bot_api_token']}/getMe").json()
        assert me["ok"] and me["result"]["username"] == username, me

        for maker, user in ((on_a, on_b), (on_b, on_a)):  # Botyard: admin API, then bot key
            made = maker.post("/v1/admin-api/bot", json={"name": f"Yard {secrets.token_hex(4)}"},
                              headers={"Authorization": key})
            assert made.status_code == 201, made.text
            bot_key = made.json()["key"]
            shown = eventually(user, "/v1/bot-api/bot", Authorization=bot_key)
            assert shown.status_code == 200 and shown.json() == made.json()["bot"], shown.text
            tampered = bot_key[:-2] + ("aa" if not bot_key.endswith("aa") else "bb")
            assert user.get("/v1/bot-api/bot",
                            headers={"Authorization": tampered}).status_code == 403
            assert maker.post("/v1/admin-api/bot", json={"name": "No"},
                              headers={"Authorization": key + "x"}).status_code == 403


def test_numbers_made_concurrently_on_both_nodes_are_distinct(pair: Pair):
    """featherChat users and bots (Telegram ids) and MaxChat users (snowflakes), registered
    at once on both nodes: no number twice, and each node's carry its slot (low 4 bits)."""
    made: dict[str, Collected] = {"a": Collected(), "b": Collected()}
    failures = Collected()

    def register(name: str, worker: int) -> None:
        server = pair.a if name == "a" else pair.b
        with client(server) as http:
            for n in range(12):
                answer = http.post("/v1/users/register",
                                   json={"fingerprint": secrets.token_hex(16)})
                if answer.status_code == 200 and answer.json()["ok"]:
                    made[name].add(("user", int(answer.json()["result"]["id"])))
                else:
                    failures.add((name, answer.status_code, answer.text))
                if n % 6 == 0:  # fewer: a MaxChat password hash takes a while
                    bot = register_bot(http)
                    made[name].add(("bot", int(bot["bot_api_token"].split(":")[0])))
                    human = http.post("/api/auth/register", json={
                        "username": f"n{worker}_{secrets.token_hex(5)}",
                        "password": "password123"})
                    if human.status_code == 201:
                        made[name].add(("maxchat", int(human.json()["user"]["id"])))
                    else:
                        failures.add((name, human.status_code, human.text))

    finish(begin(*[Worker(register, name, worker) for name in ("a", "b")
                   for worker in range(3)]), 3 * TIMEOUT)
    assert not failures.snapshot(), failures.snapshot()
    on_a, on_b = made["a"].snapshot(), made["b"].snapshot()
    assert len(on_a) == len(on_b) == 3 * (12 + 2 + 2)
    numbers = [number for _, number in on_a + on_b]
    assert len(set(numbers)) == len(numbers), sorted(
        n for n in set(numbers) if numbers.count(n) > 1)
    slot_a, slot_b = ({number % 16 for _, number in found} for found in (on_a, on_b))
    assert len(slot_a) == len(slot_b) == 1 and slot_a != slot_b, (slot_a, slot_b)

    with client(pair.a) as on_a_http, client(pair.b) as on_b_http:  # each node knows them all
        for bot in (register_bot(on_a_http), register_bot(on_b_http)):
            for http in (on_a_http, on_b_http):
                me = eventually(http, f"/bot{bot['bot_api_token']}/getMe").json()
                assert me["result"]["id"] == int(bot["bot_api_token"].split(":")[0])
