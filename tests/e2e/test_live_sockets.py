"""featherChat users' live socket `/v1/ws` against a real server: frames, acknowledgements,
and what happens to a push nobody acknowledged (the socket closed, the client froze, the
server was killed): it goes back to the inbox with its original id and place."""
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import register_bot, register_user
from tests.servers import Server, served

pytestmark = pytest.mark.slow
INVALID_TOKEN = {"ok": False, "description": "invalid token"}
SETTLE = 0.2  # lets the server finish registering or dropping a socket it just saw
ACK_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from served(tmp_path_factory, "sockets", BOTBUS_ACK_TIMEOUT=str(ACK_TIMEOUT))


def ws_url(server: Server, token: str | None = None) -> str:
    url = server.url.replace("http://", "ws://") + "/v1/ws"
    return url if token is None else f"{url}?token={token}"


def bot_send(http, bot: dict, user: dict, text: str) -> dict:
    body = http.post(f"/v1/bot/{bot['token']}/sendMessage",
                     json={"chat_id": user["fingerprint"], "text": text}).json()
    assert body["ok"], body
    return body["result"]


def inbox(http, user: dict) -> list[tuple[int, str, str]]:
    body = http.get("/v1/messages/inbox",
                    headers={"Authorization": f"Bearer {user['token']}"}).json()
    assert body["ok"], body
    return [(i["update_id"], i["message"]["text"], i["message"]["message_id"])
            for i in body["result"]]


def frame(ws) -> dict:
    return json.loads(ws.recv(timeout=5))


def ack(ws, *frames: dict) -> None:
    ws.send(json.dumps({"ack": [f["message"]["message_id"] for f in frames]}))


def closed_with(ws) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_frames_are_inbox_items_and_an_acknowledged_one_is_gone_for_good(http, server):
    bot, user = register_bot(http), register_user(http)
    with connect(ws_url(server, user["token"]), open_timeout=5) as ws:
        time.sleep(SETTLE)
        sent = [bot_send(http, bot, user, text) for text in ("a", "b", "c")]
        assert [s["delivered"] for s in sent] == [True, True, True]
        frames = [frame(ws) for _ in sent]
        ack(ws, *frames)
        time.sleep(SETTLE)
    fp = bot["fingerprint"]
    for got, result, update_id in zip(frames, sent, (1, 2, 3), strict=True):
        assert got == {"update_id": update_id, "message": {
            "message_id": result["message_id"], "from": {"id": fp, "is_bot": True},
            "chat": {"id": fp, "type": "private"}, "date": result["date"],
            "text": result["text"]}}
    time.sleep(ACK_TIMEOUT + 0.5)  # past the deadline: nothing comes back
    assert inbox(http, user) == []


def test_unacknowledged_pushes_return_to_the_inbox_in_their_original_place(http, server):
    bot, user = register_bot(http), register_user(http)
    with connect(ws_url(server, user["token"]), open_timeout=5) as ws:
        time.sleep(SETTLE)
        one = bot_send(http, bot, user, "one")
        two = bot_send(http, bot, user, "two")
        ack(ws, frame(ws))  # "one"
        assert frame(ws)["message"]["text"] == "two"  # received, never acknowledged
    time.sleep(SETTLE)
    three = bot_send(http, bot, user, "three")
    assert (one["delivered"], two["delivered"], three["delivered"]) == (True, True, False)
    assert inbox(http, user) == [(2, "two", two["message_id"]),
                                 (3, "three", three["message_id"])]


def test_a_client_that_stops_acknowledging_is_closed_with_4008_and_loses_nothing(
        http, server):
    bot, user = register_bot(http), register_user(http)
    with connect(ws_url(server, user["token"]), open_timeout=5) as ws:
        time.sleep(SETTLE)
        sent = bot_send(http, bot, user, "ignored")
        assert frame(ws)["message"]["text"] == "ignored"
        assert closed_with(ws) == 4008
    assert inbox(http, user) == [(1, "ignored", sent["message_id"])]


FROZEN_CLIENT = """
import sys, time
from websockets.sync.client import connect
ws = connect(sys.argv[1], open_timeout=5)
print("connected", flush=True)
time.sleep(60)
"""


def test_a_frozen_client_gets_delivered_true_and_the_message_still_reaches_its_inbox(
        http, server):
    """The review's repro: SIGSTOP the client, the bot's send answers delivered: true, kill
    the client: the message must be in the inbox."""
    bot, user = register_bot(http), register_user(http)
    client = subprocess.Popen([sys.executable, "-c", FROZEN_CLIENT,
                               ws_url(server, user["token"])], stdout=subprocess.PIPE)
    try:
        assert client.stdout.readline().strip() == b"connected"
        time.sleep(SETTLE)
        os.kill(client.pid, signal.SIGSTOP)
        sent = bot_send(http, bot, user, "to a frozen client")
        assert sent["delivered"] is True
        time.sleep(ACK_TIMEOUT + 0.5)
    finally:
        client.kill()
        client.communicate()
    assert inbox(http, user) == [(1, "to a frozen client", sent["message_id"])]


def test_only_the_recipient_socket_can_acknowledge_a_push(http, server):
    bot, alice, bob = register_bot(http), register_user(http), register_user(http)
    with connect(ws_url(server, alice["token"]), open_timeout=5) as alice_ws, \
            connect(ws_url(server, bob["token"]), open_timeout=5) as bob_ws:
        time.sleep(SETTLE)
        for_bob = bot_send(http, bot, bob, "for bob")
        assert frame(bob_ws)["message"]["text"] == "for bob"
        alice_ws.send(json.dumps({"ack": for_bob["message_id"]}))
        with pytest.raises(TimeoutError):
            alice_ws.recv(timeout=0.3)  # alice gets nothing of bob's
    time.sleep(SETTLE)
    assert [text for _, text, _ in inbox(http, bob)] == ["for bob"]


def test_binary_frames_garbage_and_keep_alives_are_ignored(http, server):
    bot, user = register_bot(http), register_user(http)
    with connect(ws_url(server, user["token"]), open_timeout=5) as ws:
        for noise in (b"\x00\x01binary", "ping", "{not json", '{"ack": 5}', '["ack"]',
                      '{"ack": ["no-such-id"]}', '{"ack": "00000000-0000-0000-0000-00000000"}'):
            ws.send(noise)
        time.sleep(SETTLE)
        sent = bot_send(http, bot, user, "still here")
        assert sent["delivered"] is True
        ack(ws, frame(ws))
    assert "Traceback" not in server.log_text() and "KeyError" not in server.log_text()


def test_an_oversized_frame_closes_the_socket_with_1009(http, server):
    user = register_user(http)
    with connect(ws_url(server, user["token"]), open_timeout=5, max_size=None) as ws:
        ws.send("x" * (1 << 17))
        assert closed_with(ws) == 1009


def test_the_token_may_come_in_a_header_or_a_subprotocol(http, server):
    bot, user = register_bot(http), register_user(http)
    with connect(ws_url(server), additional_headers={
            "Authorization": f"Bearer {user['token']}"}, open_timeout=5) as ws:
        time.sleep(SETTLE)
        assert bot_send(http, bot, user, "by header")["delivered"] is True
        ack(ws, frame(ws))
    with connect(ws_url(server), subprotocols=["botbus", f"bearer.{user['token']}"],
                 open_timeout=5) as ws:
        assert ws.subprotocol == "botbus"
        time.sleep(SETTLE)
        assert bot_send(http, bot, user, "by subprotocol")["delivered"] is True
        ack(ws, frame(ws))


@pytest.mark.parametrize("token", [None, "", "nope", "{bot_token}", "a" * 5000])
def test_bad_socket_token_gets_an_error_frame_and_close_4003(http, server, token):
    bot = register_bot(http)
    if token is not None:
        token = token.format(bot_token=bot["token"])
    with connect(ws_url(server, token), open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5)) == INVALID_TOKEN
        assert closed_with(ws) == 4003


# Restarts: a server of each test's own

@pytest.fixture
def node(tmp_path):
    running = Server(tmp_path / "data", env={"BOTBUS_ACK_TIMEOUT": "30"}).start()
    yield running
    running.kill()


def test_a_push_in_flight_when_the_server_is_killed_is_in_the_inbox_after_the_restart(node):
    with httpx.Client(base_url=node.url, timeout=15) as http:
        bot, user = register_bot(http), register_user(http)
        queued = bot_send(http, bot, user, "queued first")
        with connect(ws_url(node, user["token"]), open_timeout=5) as ws:
            time.sleep(SETTLE)
            pushed = bot_send(http, bot, user, "pushed, never acknowledged")
            assert pushed["delivered"] is True and frame(ws)["message"]["text"] == pushed["text"]
            node.kill()
    node.start()
    with httpx.Client(base_url=node.url, timeout=15) as http:
        assert inbox(http, user) == [(1, "queued first", queued["message_id"]),
                                     (2, "pushed, never acknowledged", pushed["message_id"])]


def test_sigterm_answers_parked_polls_closes_sockets_with_1012_and_exits_promptly(node):
    with httpx.Client(base_url=node.url, timeout=15) as http:
        bot, user = register_bot(http), register_user(http)
        with connect(ws_url(node, user["token"]), open_timeout=5) as ws:
            time.sleep(SETTLE)
            pushed = bot_send(http, bot, user, "in flight at the stop")
            frame(ws)
            poll = subprocess.Popen([sys.executable, "-c", (
                "import httpx, sys; r = httpx.post(sys.argv[1], json={'timeout': 5}, timeout=10);"
                " print(r.status_code, r.text, flush=True)"),
                f"{node.url}/v1/bot/{bot['token']}/getUpdates"], stdout=subprocess.PIPE, text=True)
            time.sleep(0.5)  # the poll is parked
            started = time.monotonic()
            assert node.stop() == 0
            took = time.monotonic() - started
            answer = poll.communicate(timeout=10)[0]
            assert closed_with(ws) == 1012
    assert answer.strip() == '200 {"ok":true,"result":[]}'
    assert took < 3, f"the stop took {took:.1f} s with a 5 s poll parked"
    node.start()
    with httpx.Client(base_url=node.url, timeout=15) as http:
        assert inbox(http, user) == [(1, "in flight at the stop", pushed["message_id"])]
