"""A real `botbus serve` killed and restarted on the same data directory.

A SIGKILL loses nothing that was acknowledged: an update whose send got its 200 is delivered
exactly once after the restart, under the update_id it had before the crash, and the
numbering goes on from there. SIGTERM stops cleanly; one data directory, one server.
"""
import json
import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import register_bot, register_user
from tests.servers import ROOT, Server, free_port, store_args

pytestmark = pytest.mark.slow


@pytest.fixture
def node(tmp_path):
    """A server of this test's own, on a data directory that outlives its restarts."""
    server = Server(tmp_path / "data").start()
    yield server
    server.kill()


def client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=15)


def poll(http: httpx.Client, bot: dict, **params) -> list[tuple[int, str, str]]:
    body = http.post(f"/v1/bot/{bot['token']}/getUpdates", json=params).json()
    assert body["ok"], body
    return [(u["update_id"], u["message"]["text"], u["message"]["message_id"])
            for u in body["result"]]


def drain(http: httpx.Client, bot: dict) -> list[tuple[int, str, str]]:
    """Every queued update, in as many polls as it takes."""
    taken: list[tuple[int, str, str]] = []
    while page := poll(http, bot, limit=100):
        taken += page
    return taken


def acknowledged_send(http: httpx.Client, user: dict, bot: dict, text: str) -> str:
    response = http.post("/v1/messages/send", json={"to": bot["fingerprint"], "text": text},
                         headers={"Authorization": f"Bearer {user['token']}"})
    assert response.status_code == 200 and response.json()["ok"], response.text
    return response.json()["result"]["message_id"]


def test_an_update_acknowledged_before_a_sigkill_is_delivered_once_with_its_update_id(node):
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
        acknowledged_send(http, user, bot, "one")
        assert [(i, t) for i, t, _ in poll(http, bot)] == [(1, "one")]
        two = acknowledged_send(http, user, bot, "two")
        three = acknowledged_send(http, user, bot, "three")
    node.kill()  # between the sends' 200 and the bot's next poll

    node.start()  # same data directory, same port
    with client(node) as http:
        assert http.get(f"/v1/bot/{bot['token']}/getMe").json()["ok"]  # the bot survived
        assert poll(http, bot, limit=1) == [(2, "two", two)]
        assert poll(http, bot, limit=1) == [(3, "three", three)]
        assert poll(http, bot) == []
        acknowledged_send(http, user, bot, "four")
        assert [(i, t) for i, t, _ in poll(http, bot)] == [(4, "four")]


def test_updates_whose_read_was_confirmed_before_a_sigkill_are_not_delivered_again(node):
    """A read's confirmation rides with the next write (or lands within a few ms): once a
    later send is acknowledged, it is durable too, and the kill repeats nothing."""
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
        for text in ("one", "two"):
            acknowledged_send(http, user, bot, text)
        assert [i for i, _, _ in poll(http, bot)] == [1, 2]
        acknowledged_send(http, user, bot, "three")
    node.kill()

    node.start()  # same data directory, same port
    with client(node) as http:
        assert [(i, t) for i, t, _ in poll(http, bot)] == [(3, "three")]
        assert poll(http, bot) == []


def test_projections_lost_with_the_crash_are_rebuilt_from_the_log_with_the_same_numbers(node):
    """projections.db is a disposable cache: without it, the restart projects the log again."""
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
        acknowledged_send(http, user, bot, "one")
        assert [i for i, _, _ in poll(http, bot)] == [1]
        two = acknowledged_send(http, user, bot, "two")
    node.kill()
    for name in ("projections.db", "projections.db-wal", "projections.db-shm"):
        (node.data / name).unlink(missing_ok=True)

    node.start()  # same data directory, same port
    with client(node) as http:
        assert poll(http, bot) == [(2, "two", two)]


def test_nothing_acknowledged_is_lost_when_killed_under_load(node):
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
    acknowledged: list[str] = []
    enough = threading.Event()
    lock = threading.Lock()

    def sender(worker: int) -> None:
        with client(node) as http:
            for index in range(200):
                try:
                    message_id = acknowledged_send(http, user, bot, f"{worker}-{index}")
                except (httpx.TransportError, AssertionError):
                    return  # the server is gone: this send was never acknowledged
                with lock:
                    acknowledged.append(message_id)
                    if len(acknowledged) >= 40:
                        enough.set()

    workers = [threading.Thread(target=sender, args=(worker,)) for worker in range(4)]
    for worker in workers:
        worker.start()
    assert enough.wait(20), "the sends did not get going"
    node.kill()  # with sends in flight
    for worker in workers:
        worker.join(20)

    node.start()  # same data directory, same port
    with client(node) as http:
        delivered = drain(http, bot)
    update_ids = [update_id for update_id, _, _ in delivered]
    message_ids = [message_id for _, _, message_id in delivered]
    assert update_ids == list(range(1, len(delivered) + 1))  # no gap, no repeat
    assert len(set(message_ids)) == len(message_ids)
    assert set(acknowledged) <= set(message_ids)
    verified = subprocess.run([sys.executable, "-m", "replay", "verify", *store_args(node.data)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_sigterm_exits_with_code_0(node):
    with client(node) as http:
        register_bot(http)
    assert node.stop() == 0
    assert "Traceback" not in node.log_text()


def test_after_sigterm_the_data_survives_and_a_restart_serves_it(node):
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
        acknowledged_send(http, user, bot, "before stop")
    node.stop()
    assert "Traceback" not in node.log_text()

    node.start()  # same data directory, same port
    with client(node) as http:
        assert [(i, t) for i, t, _ in poll(http, bot)] == [(1, "before stop")]
        acknowledged_send(http, user, bot, "after restart")
        assert [(i, t) for i, t, _ in poll(http, bot)] == [(2, "after restart")]
    node.stop()
    verified = subprocess.run([sys.executable, "-m", "replay", "verify", *store_args(node.data)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_second_server_on_the_same_data_dir_refuses_to_start(node):
    second = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(free_port()),
         *store_args(node.data)],
        cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert second.returncode != 0
    assert "another botbus process" in second.stderr and str(node.data) in second.stderr
    with client(node) as http:  # the first one is unharmed
        assert http.get("/health").json() == {"ok": True}
        assert register_bot(http)["token"]


def test_replaying_projections_at_start_does_not_push_or_requeue_old_messages(node):
    """Deleting projections.db makes the next start replay the whole log: messages that were
    delivered live and acknowledged back then are history, not new pushes, and none comes
    back to the inbox."""
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
        ws_url = node.url.replace("http://", "ws://") + f"/v1/ws?token={user['token']}"
        with connect(ws_url) as socket:
            deadline = time.monotonic() + 5  # the socket is registered just after the handshake
            result: dict = {}
            while not result.get("delivered") and time.monotonic() < deadline:
                result = http.post(f"/v1/bot/{bot['token']}/sendMessage",
                                   json={"chat_id": user["fingerprint"], "text": "live"}
                                   ).json()["result"]
            assert result["delivered"] is True
            frame = json.loads(socket.recv(timeout=5))
            assert frame["message"]["text"] == "live"
            socket.send(json.dumps({"ack": frame["message"]["message_id"]}))
        http.get("/v1/messages/inbox",  # drain attempts made before the socket was registered
                 headers={"Authorization": f"Bearer {user['token']}"})
    node.stop()
    (node.data / "projections.db").unlink()
    node.start()
    with client(node) as http:
        inbox = http.get("/v1/messages/inbox",
                         headers={"Authorization": f"Bearer {user['token']}"}).json()
        assert inbox == {"ok": True, "result": []}
    stats = subprocess.run([sys.executable, "-m", "replay", "stats", *store_args(node.data)],
                           capture_output=True, text=True, check=True, cwd=ROOT)
    assert "Message.DeliveryFailed" not in json.loads(stats.stdout)["by_type"]


def test_an_upload_a_crash_cut_short_leaves_no_temporary_file_behind(node):
    """A SIGKILL while bytes are written leaves `<id>.part` (no event names it): the next
    start removes it once untouched for an hour, and leaves one another node may be writing."""
    node.kill()
    folder = node.data / "files" / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    cut_short, being_written = folder / "01J0000000000000000000AB.part", folder / "x.part"
    for partial in (cut_short, being_written):
        partial.write_bytes(b"half an upload")
    two_hours_ago = time.time() - 7200
    os.utime(cut_short, (two_hours_ago, two_hours_ago))
    node.start()
    deadline = time.monotonic() + 10
    while cut_short.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not cut_short.exists() and being_written.read_bytes() == b"half an upload"
