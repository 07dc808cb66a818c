"""What one cheap client can no longer make the server hold without end (api/connections.py,
api/signups.py, api/bodylimit.py, the socket caps of api/sockets.py and the gateway): a huge
request head, a connection that sends nothing or half a request, a peer that stops reading,
an account's ever more sockets, a loop of anonymous sign-ups, an upload of a thousand parts.
One server with small limits: BOTBUS_CLIENT_TIMEOUT 1 s, an 8 KiB head, three sign-ups an
hour per address (told apart by X-Forwarded-For from a trusted 127.0.0.1), two sockets per
account, and a 64 KiB body limit (so a small multipart upload already meets the part count)."""
import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import register_bot, register_user
from tests.servers import Server

TIMEOUT = 1.0
WAIT = 10.0  # how long a test waits for what should come within about TIMEOUT
HEAD = 8192
BODY = 1 << 16
PER_HOUR = 3
PER_ACCOUNT = 2
HEARTBEAT_MS = 5000


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("exhaustion") / "data", env={
        "BOTBUS_CLIENT_TIMEOUT": str(TIMEOUT), "BOTBUS_MAX_HEADER_BYTES": str(HEAD),
        "BOTBUS_SIGNUPS_PER_HOUR": str(PER_HOUR), "BOTBUS_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "BOTBUS_SOCKETS_PER_ACCOUNT": str(PER_ACCOUNT), "BOTBUS_MAX_BODY_BYTES": str(BODY),
        "BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS": str(HEARTBEAT_MS)}).start()
    yield running
    running.stop()


def raw(server: Server, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket()
    if receive_buffer is not None:  # before connecting, so the window stays that small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", server.port))
    sock.settimeout(WAIT)
    return sock


def closed_by_server(sock: socket.socket, dribble: bytes = b"") -> bool:
    """True once the server closes (EOF or reset); False if it is still open after WAIT.
    `dribble` is sent a byte at a time meanwhile, as a slow-loris client does."""
    deadline = time.monotonic() + WAIT
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            if dribble:
                sock.send(dribble[:1])
                dribble = dribble[1:] or dribble
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset, or a broken pipe while dribbling
            return True
    return False


# --- the request head and slow clients (api/connections.py) --------------------------------

def test_a_request_head_over_the_limit_is_refused_with_431(http):
    assert http.get("/health", headers={"X-Pad": "a" * (HEAD // 2)}).status_code == 200
    assert http.get("/health", headers={"X-Pad": "a" * 2 * HEAD}).status_code == 431
    assert http.get("/health", params={"q": "a" * 2 * HEAD}).status_code == 431
    many = {f"X-Pad-{n}": "a" * 100 for n in range(2 * HEAD // 100)}
    assert http.get("/health", headers=many).status_code == 431


def test_headers_without_end_are_refused_before_they_fill_the_memory(server):
    sent, lines = 0, (b"X-Pad: " + b"a" * 1000 + b"\r\n") * 64
    with raw(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        with pytest.raises(OSError):  # the server answered 431 and closed: sending fails
            while sent < 256 << 20:  # it used to take every byte
                sock.sendall(lines)
                sent += len(lines)
    assert sent < 64 << 20


def test_a_connection_that_sends_nothing_is_closed(server):
    with raw(server) as sock:
        assert closed_by_server(sock)


def test_a_request_head_sent_a_byte_at_a_time_is_closed(server):
    with raw(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        assert closed_by_server(sock, dribble=b"X-Slow: " + b"a" * 1000)


def test_a_body_that_stops_coming_is_closed(server):
    with raw(server) as sock:
        sock.sendall(b"POST /v1/users/register HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                     b"Content-Type: application/json\r\n\r\n{\"fingerprint\": ")
        assert closed_by_server(sock)


@pytest.mark.parametrize("path", ["/v1/users/register", "/bot1:abc/sendMessage",
                                  "/api/auth/register", "/v1/client-api/user"])
def test_a_client_gone_mid_body_is_no_server_error(server, path):
    """Cut off by the client or by the timeout, a half body was logged as an unhandled error
    with its traceback: it is no fault of the server's."""
    for cut_by_client in (True, False):
        with raw(server) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                         "Content-Type: application/json\r\n\r\n{\"a\": ".encode())
            if not cut_by_client:
                assert closed_by_server(sock)
    time.sleep(TIMEOUT)  # the server has seen the first one go
    assert "unhandled error" not in server.log_text()
    assert "Traceback" not in server.log_text()

def test_a_long_poll_outlasts_the_client_timeout(http):
    bot = register_bot(http)
    answer = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={"timeout": 2 * TIMEOUT})
    assert answer.json() == {"ok": True, "result": []}
    assert http.get("/health").status_code == 200  # on the same kept-alive connection


def test_a_download_the_client_does_not_read_is_aborted(http, server):
    bot, user = register_bot(http), register_user(http)
    size = 24 << 20  # past what the kernel's buffers of both ends hold on loopback
    sent = http.post(f"/bot{bot['bot_api_token']}/sendDocument", data={"chat_id": user["id"]},
                     files={"document": ("big.bin", os.urandom(size))}, timeout=60).json()
    path = http.get(f"/bot{bot['bot_api_token']}/getFile", params={
        "file_id": sent["result"]["document"]["file_id"]}).json()["result"]["file_path"]
    with raw(server, receive_buffer=4096) as sock:
        sock.sendall(f"GET /file/bot{bot['bot_api_token']}/{path} HTTP/1.1\r\n"
                     "Host: x\r\n\r\n".encode())
        time.sleep(4 * TIMEOUT)  # not reading: the server's writes wait, then it gives up
        received = 0
        try:
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
        except OSError:
            pass
    assert received < size  # cut off; it used to wait for the client for good


# --- live sockets: a client that stops reading, and too many sockets ----------------------

def ws_url(server: Server) -> str:
    return server.url.replace("http://", "ws://")


def bot_send(http: httpx.Client, bot: dict, user: dict, text: str) -> dict:
    body = http.post(f"/v1/bot/{bot['token']}/sendMessage",
                     json={"chat_id": user["fingerprint"], "text": text}).json()
    assert body["ok"], body
    return body["result"]


def open_user_socket(server: Server, user: dict, receive_buffer: int = 4096) -> socket.socket:
    """A raw WebSocket handshake on /v1/ws; the socket is then never read."""
    sock = raw(server, receive_buffer)
    sock.sendall(("GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade"
                  "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13"
                  f"\r\nAuthorization: Bearer {user['token']}\r\n\r\n").encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 101 "), "handshake refused"
    return sock


def test_a_socket_whose_client_stops_reading_is_dropped_and_its_pushes_requeued(http, server):
    bot, user = register_bot(http), register_user(http)
    with open_user_socket(server, user):
        time.sleep(0.2)  # the server has added it
        assert bot_send(http, bot, user, "0000" + "x" * 4000)["delivered"]
        deadline, n = time.monotonic() + 2 * WAIT, 1  # well inside the ack timeout (30 s)
        while bot_send(http, bot, user, f"{n:04d}" + "x" * 4000)["delivered"]:  # unread
            assert time.monotonic() < deadline, "the server still holds the stalled socket"
            n += 1
    inbox = http.get("/v1/messages/inbox", headers={"Authorization": f"Bearer {user['token']}"})
    assert inbox.json()["result"][0]["message"]["text"].startswith("0000")  # back, in order


def test_an_accounts_oldest_socket_closes_when_it_opens_one_too_many(http, server):
    bot, user = register_bot(http), register_user(http)
    url = f"{ws_url(server)}/v1/ws?token={user['token']}"
    with connect(url) as first, connect(url) as second:
        time.sleep(0.2)
        with connect(url) as third:
            with pytest.raises(ConnectionClosed) as closed:
                first.recv(timeout=WAIT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            time.sleep(0.2)
            sent = bot_send(http, bot, user, "to the newer two")
            for ws in (second, third):
                assert json.loads(ws.recv(timeout=WAIT))["message"]["text"] == sent["text"]


def test_an_accounts_oldest_gateway_socket_closes_when_it_opens_one_too_many(http, server):
    answer = http.post("/api/auth/register", json={"username": f"u_{secrets.token_hex(4)}",
                                                   "password": "password123"})
    token = answer.json()["token"]

    with ExitStack() as stack:
        sockets = [stack.enter_context(connect(f"{ws_url(server)}/gateway"))
                   for _ in range(PER_ACCOUNT + 1)]
        for ws in sockets:
            assert json.loads(ws.recv(timeout=WAIT))["op"] == "HELLO"
            ws.send(json.dumps({"op": "IDENTIFY", "d": {"token": token}}))
            assert json.loads(ws.recv(timeout=WAIT))["t"] == "READY"
        with pytest.raises(ConnectionClosed) as closed:
            sockets[0].recv(timeout=WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
        for ws in sockets[1:]:
            ws.send(json.dumps({"op": "HEARTBEAT", "d": 1}))
            assert json.loads(ws.recv(timeout=WAIT))["op"] == "HEARTBEAT_ACK"


# --- anonymous sign-ups (api/signups.py) ---------------------------------------------------

SIGNUPS = [  # path, a new body, the dialect's 429 body but for its description's key
    ("/v1/users/register", lambda: {"fingerprint": secrets.token_hex(16)}, {"ok": False},
     "description"),
    ("/v1/bot/register", lambda: {"name": f"s{secrets.token_hex(4)}bot",
                                  "fingerprint": secrets.token_hex(16)}, {"ok": False},
     "description"),
    ("/v1/client-api/user", lambda: {"nickname": "someone"}, {}, "message"),
    ("/api/auth/register", lambda: {"username": f"u_{secrets.token_hex(4)}",
                                    "password": "password123"}, {}, "error"),
]


def sign_up(http: httpx.Client, address: str, path: str, body: dict) -> httpx.Response:
    return http.post(path, json=body, headers={"X-Forwarded-For": address})


@pytest.mark.parametrize("case", range(len(SIGNUPS)), ids=[s[0] for s in SIGNUPS])
def test_sign_ups_from_one_address_are_throttled_in_the_routes_dialect(http, case):
    path, body, envelope, key = SIGNUPS[case]
    address = f"198.51.100.{case + 1}"  # an address of each test's own
    for _ in range(PER_HOUR):
        assert sign_up(http, address, path, body()).status_code in (200, 201)
    refused = sign_up(http, address, path, body())
    assert refused.status_code == 429, refused.text
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 3600 // PER_HOUR
    description = f"too many sign-ups from this address: retry after {wait} seconds"
    assert refused.json() == {**envelope, key: description}
    other = f"203.0.113.{case + 1}"  # another address is not held back
    assert sign_up(http, other, path, body()).status_code in (200, 201)


def test_an_ipv6_subscriber_counts_once_for_its_whole_prefix(http):
    path, body, _, _ = SIGNUPS[0]
    for n in range(PER_HOUR):
        assert sign_up(http, f"2001:db8:77::{n + 1}", path, body()).status_code == 200
    assert sign_up(http, "2001:db8:77::ffff:1", path, body()).status_code == 429
    assert sign_up(http, "2001:db8:78::1", path, body()).status_code == 200


def test_loopback_is_not_throttled(http):
    for _ in range(PER_HOUR + 2):
        register_user(http)  # straight from 127.0.0.1: this machine, or an untrusted proxy


# --- uploads of many parts (api/bodylimit.py) -------------------------------------------------

def multipart(parts: int, pad: int) -> tuple[bytes, str]:
    boundary = secrets.token_hex(8)
    fields = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n@nobody\r\n"]
    fields += [f"--{boundary}\r\nContent-Disposition: form-data; name=\"x{n}\"; "
               f"filename=\"x{n}\"\r\n\r\n{'a' * pad}\r\n" for n in range(parts - 1)]
    body = "".join(fields) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


def test_an_upload_of_too_many_parts_is_refused_as_it_streams(http):
    user = register_user(http)
    headers = {"Authorization": f"Bearer {user['token']}"}
    body, kind = multipart(parts=65, pad=2 * BODY // 65)  # over the ordinary limit
    answer = http.post("/v1/messages/send", content=body, headers={**headers,
                                                                    "Content-Type": kind})
    assert (answer.status_code, answer.json()) == (
        413, {"ok": False, "description": "multipart body has more than 64 parts"})
    body, kind = multipart(parts=20, pad=2 * BODY // 20)
    answer = http.post("/v1/messages/send", content=body, headers={**headers,
                                                                    "Content-Type": kind})
    assert answer.status_code == 200, answer.text  # past the parts count: to the route


# --- in memory: what the gateway counts per account is forgotten in time ----------------------

def test_identify_counts_are_forgotten_once_their_day_is_over():
    from api.maxchat.identifies import DAY, SWEEP_EVERY, Identifies

    now = [0.0]
    counts = Identifies(limit=2, clock=lambda: now[0])
    for n in range(1000):
        assert counts.allow(f"account {n}")
    now[0] = DAY + SWEEP_EVERY
    assert counts.allow("one more")
    assert len(counts) == 1
