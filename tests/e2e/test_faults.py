"""The core under faults, against a real `botbus serve`: each fault is injected through
tests/faults/sitecustomize.py where it cannot be caused from outside (a clock that repeats
account numbers, a read model that cannot apply an event, failing snapshot writes, a slow
confirmation), or caused from outside (a long poll its client abandons)."""
import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import register_bot, register_user
from tests.servers import ROOT, Server, store_args

pytestmark = pytest.mark.slow
FAULTS = ROOT / "tests" / "faults"


@pytest.fixture
def started(tmp_path):
    """Starts a server of the test's own, with the faults named; killed at the end."""
    servers: list[Server] = []

    def start(**faults: str) -> Server:
        path = os.pathsep.join([str(FAULTS), os.environ.get("PYTHONPATH", "")])
        server = Server(tmp_path / "data", env={"PYTHONPATH": path, **faults} if faults else {})
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.kill()


def client(server: Server, timeout: float = 15) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=timeout)


def send(http: httpx.Client, user: dict, to: str, text: str) -> httpx.Response:
    return http.post("/v1/messages/send", json={"to": to, "text": text},
                     headers={"Authorization": f"Bearer {user['token']}"})


def poll(http: httpx.Client, bot: dict, **params) -> list[tuple[int, str]]:
    body = http.post(f"/v1/bot/{bot['token']}/getUpdates", json=params).json()
    assert body["ok"], body
    return [(u["update_id"], u["message"]["text"]) for u in body["result"]]


def replay(data, verb: str, env: dict | None = None, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "replay", verb, *store_args(data), *args],
                          cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def logged(server: Server, event_type: str) -> list[dict]:
    lines = replay(server.data, "log", None, "--type", event_type).stdout.splitlines()
    return [json.loads(line) for line in lines]


def test_a_clock_that_repeats_account_numbers_never_stalls_delivery(started):
    """The review's repro: numbers from a clock that restarts at the same instant. Before the
    fix the second run handed out a number again and every later projection failed."""
    server = started(FAULT_FROZEN_CLOCK="1800000000")
    with client(server) as http:
        first = [register_user(http)["id"] for _ in range(3)]
    server.stop()
    server.start()  # the same frozen instant: the generator starts over from it
    with client(server) as http:
        user, bot = register_user(http), register_bot(http)
        assert send(http, user, bot["fingerprint"], "after the restart").json()["ok"]
        assert poll(http, bot) == [(1, "after the restart")]
        assert http.get("/health").json() == {"ok": True}
    numbers = [*first, user["id"]]
    assert len(set(numbers)) == len(numbers)
    server.stop()
    assert replay(server.data, "verify").returncode == 0


def test_a_disk_that_stops_answering_is_told_in_the_log_with_where_the_server_stands(started):
    """The SQLite append runs on the event loop: while it hangs, nothing is served, and the
    log says so, and where (api/stalls.py); then the request is answered as usual."""
    server = started(FAULT_STALL_APPEND="2", BOTBUS_STALL_WARNING="0.5")
    with client(server) as http:
        bot, user = register_bot(http), register_user(http)
        assert send(http, user, bot["fingerprint"], "stall the disk").json()["ok"]
        assert poll(http, bot) == [(1, "stall the disk")]
    deadline = time.monotonic() + 10  # the watch thread tells the end at its next look
    while "the event loop runs again" not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [json.loads(line) for line in server.log_text().splitlines()
             if line.startswith("{")]
    stalled, = [line for line in lines if line.get("logger") == "api.stalls"
                and line["message"].startswith("the event loop is stalled")]
    assert any("api/writer.py" in frame and frame.endswith(" _append")
               for frame in stalled["where"]), stalled
    again, = [line for line in lines if line.get("message") == "the event loop runs again"]
    assert again["stalled_seconds"] >= 1


def test_an_event_a_read_model_cannot_apply_is_loud_and_stalls_nothing(started):
    server = started(FAULT_POISON_TEXT="poison")
    with client(server) as http:
        bot, user = register_bot(http), register_user(http)
        poisoned = send(http, user, bot["fingerprint"], "poison")
        assert poisoned.status_code == 503
        assert poisoned.json()["ok"] is False
        assert "read model updates cannot apply it" in poisoned.json()["description"]
        assert send(http, user, bot["fingerprint"], "fine").json()["ok"]
        assert poll(http, bot) == [(1, "fine")]  # delivery goes on behind the fault
        health = http.get("/health")
        assert health.status_code == 503
        fault, = health.json()["faults"]
        assert (fault["model"], fault["event"]) == ("updates", "Message.Sent")
        assert fault["error"] == "RuntimeError: the test's poison"
    assert f'"position":{fault["position"]}' in server.log_text()
    server.stop()
    server.start()  # no crash loop: the fault is remembered, the server serves
    with client(server) as http:
        assert send(http, user, bot["fingerprint"], "after restart").json()["ok"]
        assert poll(http, bot) == [(2, "after restart")]
        assert http.get("/health").json()["faults"] == [fault]
    server.stop()
    verified = replay(server.data, "verify", {"PYTHONPATH": str(FAULTS),
                                              "FAULT_POISON_TEXT": "poison"})
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_an_upload_recorded_but_not_readable_keeps_its_bytes(started):
    """A 503 that says "recorded" (here: a read model cannot apply the event) leaves the file
    in the store: the log names it. Before, every failure removed the bytes, and verify found
    the log naming a file the store lacked."""
    server = started(FAULT_POISON_TEXT="poison")
    with client(server) as http:
        bot, user = register_bot(http), register_user(http)
        headers = {"Authorization": f"Bearer {user['token']}"}
        answers = [http.post("/v1/messages/send", headers=headers, files={"document": (
            "notes.txt", b"kept")}, data={"to": bot["fingerprint"], "caption": caption})
            for caption in ("poison", "fine")]
        assert [a.status_code for a in answers] == [503, 200]
        assert "recorded at position" in answers[0].json()["description"]
    server.stop()
    stored = logged(server, "File.Stored")
    assert len(stored) == 2
    verified = replay(server.data, "verify", {"PYTHONPATH": str(FAULTS),
                                              "FAULT_POISON_TEXT": "poison"})
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_failing_snapshot_write_changes_no_answer_and_serves_nothing_twice(started):
    """The review's repro: the 100th confirmation of a queue takes a snapshot, and its write
    fails. Before the fix that poll answered 500 and the next polls repeated its update."""
    server = started(FAULT_SNAPSHOTS_FAIL="1")
    with client(server) as http:
        bot, user = register_bot(http), register_user(http)
        for index in range(1, 102):
            response = send(http, user, bot["fingerprint"], str(index))
            assert response.json()["ok"], response.text
            answer = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={})
            assert answer.status_code == 200, answer.text
            taken = [(u["update_id"], u["message"]["text"]) for u in answer.json()["result"]]
            assert taken == [(index, str(index))]
        assert poll(http, bot) == []
    assert "snapshot failed" in server.log_text()
    server.stop()


def test_a_long_poll_its_client_abandoned_confirms_nothing(started):
    """The review's repro: a client gives up on a 5 s poll after 1 s, then a message arrives.
    Before the fix the parked poll took it and wrote it into the closed connection."""
    server = started()
    with client(server) as http:
        bot, user = register_bot(http), register_user(http)
        with client(server, timeout=1) as impatient, pytest.raises(httpx.ReadTimeout):
            impatient.post(f"/v1/bot/{bot['token']}/getUpdates", json={"timeout": 5})
        time.sleep(0.3)
        assert send(http, user, bot["fingerprint"], "arrives later").json()["ok"]
        time.sleep(0.5)  # the abandoned poll has woken by now
        assert poll(http, bot) == [(1, "arrives later")]
        assert len(logged(server, "UpdateQueue.UpdatesConfirmed")) == 1
    server.stop()


def test_a_read_hands_nothing_out_twice_before_its_confirmation_lands_and_a_kill_repeats_it(
        started):
    """A read's confirmation is lazy (held back here for a second to open the window): the
    answer comes at once, later reads skip what it holds, and a SIGKILL before it lands
    hands the same updates out again after the restart: at least once, never lost."""
    server = started(FAULT_CONFIRM_LINGER="1.0")
    with client(server) as http:
        bot, user = register_bot(http), register_user(http)
        for text in ("one", "two"):
            assert send(http, user, bot["fingerprint"], text).json()["ok"]
        assert poll(http, bot) == [(1, "one"), (2, "two")]
        assert poll(http, bot) == []  # its confirmation is still in the writer
        server.kill()
    server.start()
    with client(server) as http:
        assert poll(http, bot) == [(1, "one"), (2, "two")]
        time.sleep(1.5)  # the confirmation lands now
        assert poll(http, bot) == []
        assert send(http, user, bot["fingerprint"], "three").json()["ok"]
        assert poll(http, bot) == [(3, "three")]
    server.stop()  # a graceful stop records what is still lingering, so nothing repeats
    server.start()
    with client(server) as http:
        assert poll(http, bot) == []
    confirmed = [e["data"]["update_ids"] for e in logged(server, "UpdateQueue.UpdatesConfirmed")]
    assert confirmed == [[1, 2], [3]]
    server.stop()
