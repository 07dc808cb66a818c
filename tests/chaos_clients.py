"""Well-behaved featherChat v1 clients for the chaos test (tests/e2e/test_chaos.py).

Each runs in a thread, rides out the server being SIGKILLed and restarted on the same port,
and records what it was acknowledged or received, so the test can hold it against the log.
A request that raises or answers anything but HTTP 200 ok:true is unacknowledged.
"""
import json
import threading
import time
from dataclasses import dataclass

import httpx
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

RETRY = 0.05  # seconds between attempts while the server is down


class Chaos:
    """What the clients share with the test: the server's address, the `stopping` flag of the
    senders and the number of kills so far."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stopping = threading.Event()
        self.kills = 0


def call(http: httpx.Client, method: str, path: str, patient: bool = False,
         **kwargs) -> object | None:
    """The `result` of an acknowledged call, or None. A `patient` call retries, for up to
    10 s, while the server refuses connections: a refused request was never sent."""
    deadline = time.monotonic() + 10
    while True:
        try:
            response = http.request(method, path, **kwargs)
            body = response.json()
        except httpx.ConnectError:
            if patient and time.monotonic() < deadline:
                time.sleep(RETRY)
                continue
            return None
        except (httpx.TransportError, ValueError):
            return None
        return body["result"] if response.status_code == 200 and body.get("ok") else None


class Client(threading.Thread):
    """A thread whose unexpected exception is kept for the test to report."""

    def __init__(self, chaos: Chaos) -> None:
        super().__init__(daemon=True)
        self.chaos, self.error = chaos, None

    def run(self) -> None:
        try:
            self.work()
        except Exception as error:  # noqa: BLE001 - the test asserts there was none
            self.error = error

    def work(self) -> None:
        raise NotImplementedError


class Sender(Client):
    """A user sending text to the bot as fast as the server answers."""

    def __init__(self, chaos: Chaos, user: dict, to: str) -> None:
        super().__init__(chaos)
        self.user, self.to = user, to
        self.acknowledged: list[tuple[float, str]] = []  # (monotonic time, message_id)
        self.unacknowledged = 0

    def work(self) -> None:
        headers = {"Authorization": f"Bearer {self.user['token']}"}
        with httpx.Client(base_url=self.chaos.url, timeout=10) as http:
            while not self.chaos.stopping.is_set():
                text = f"{self.user['fingerprint'][:6]}-{len(self.acknowledged)}"
                result = call(http, "POST", "/v1/messages/send", headers=headers,
                              json={"to": self.to, "text": text})
                if result is None:
                    self.unacknowledged += 1
                    time.sleep(RETRY)
                else:
                    self.acknowledged.append((time.monotonic(), result["message_id"]))
                    time.sleep(0.01)


class Bot(Client):
    """Long-polls getUpdates and answers each message to its sender with sendMessage."""

    def __init__(self, chaos: Chaos, bot: dict) -> None:
        super().__init__(chaos)
        self.token = bot["token"]
        # (update_id, message_id, kills before the call that got it), in receive order
        self.received: list[tuple[int, str, int]] = []
        self.answered: list[tuple[str, str]] = []  # (message_id, chat_id) of acknowledged sends
        self.unanswered = 0
        self.finish = threading.Event()  # set by the test once the senders have stopped
        self.polling = threading.Event()  # a getUpdates is on its way, likely to find some

    def work(self) -> None:
        with httpx.Client(base_url=self.chaos.url, timeout=10) as http:
            while True:
                last_call, kills = self.finish.is_set(), self.chaos.kills
                self.polling.set()
                updates = call(http, "POST", f"/v1/bot/{self.token}/getUpdates",
                               json={"timeout": 1, "limit": 100})
                self.polling.clear()
                if updates is None:
                    time.sleep(RETRY)
                    continue
                if not updates and last_call:
                    return  # drained after the last send
                for update in updates:
                    message = update["message"]
                    self.received.append((update["update_id"], message["message_id"], kills))
                    chat = message["from"]["id"]
                    sent = call(http, "POST", f"/v1/bot/{self.token}/sendMessage", True,
                                json={"chat_id": chat, "text": f"echo:{message['message_id']}"})
                    if sent is None:
                        self.unanswered += 1
                    else:
                        self.answered.append((sent["message_id"], chat))


@dataclass
class Got:
    message_id: str
    update_id: int
    via: str  # "socket" or "inbox"
    session: int  # the reader's connection it came on (socket frames)
    at: float  # monotonic time of receipt
    acked: bool = False  # the ack frame was written to the socket


class Reader(Client):
    """A user on /v1/ws that acknowledges every frame and, at each (re)connect and when idle,
    drains its inbox. `got` lists every copy of every message it received, in order. With
    `hop`, it closes its socket every `hop` seconds and stays offline for a while."""

    def __init__(self, chaos: Chaos, user: dict, hop: float | None = None) -> None:
        super().__init__(chaos)
        self.user, self.hop = user, hop
        self.got: list[Got] = []
        self.unordered: list[list[int]] = []  # inbox pages not oldest first
        self.sessions: list[tuple[int, int]] = []  # (kills at connect, kills at close)
        self.finish = threading.Event()
        self.http = httpx.Client(base_url=chaos.url, timeout=5,
                                 headers={"Authorization": f"Bearer {user['token']}"})

    def drain_inbox(self) -> None:
        """Everything queued, page after page, out of the way of kills."""
        while True:
            page = call(self.http, "GET", "/v1/messages/inbox")
            if not page:
                return
            ids = [item["update_id"] for item in page]
            if ids != sorted(set(ids)):
                self.unordered.append(ids)
            self.got += [Got(item["message"]["message_id"], item["update_id"], "inbox", -1,
                             time.monotonic()) for item in page]

    def work(self) -> None:
        url = self.chaos.url.replace("http://", "ws://") + f"/v1/ws?token={self.user['token']}"
        while not self.finish.is_set():
            session, kills, hopped = len(self.sessions), self.chaos.kills, False
            try:
                with connect(url, open_timeout=3, close_timeout=1) as socket:
                    self.sessions.append((kills, kills))
                    self.drain_inbox()
                    hopped = self.listen(socket, session)
            except (OSError, WebSocketException, TimeoutError):
                time.sleep(RETRY)
            finally:
                if len(self.sessions) > session:
                    self.sessions[session] = (kills, self.chaos.kills)
            if hopped:
                time.sleep(self.hop / 3)  # offline: the bot's answers wait in the inbox
        self.drain_inbox()
        self.http.close()

    def listen(self, socket, session: int) -> bool:
        """Read and ack frames until told to finish (False) or it is time to hop (True)."""
        connected = drained = time.monotonic()
        while not self.finish.is_set():
            if self.hop and time.monotonic() - connected > self.hop:
                return True
            try:
                frame = json.loads(socket.recv(timeout=0.3))
            except TimeoutError:  # idle: what was queued while it connected is in the inbox
                if time.monotonic() - drained > 1:
                    self.drain_inbox()
                    drained = time.monotonic()
                continue
            got = Got(frame["message"]["message_id"], frame["update_id"], "socket", session,
                      time.monotonic())
            self.got.append(got)
            socket.send(json.dumps({"ack": got.message_id}))
            got.acked = True
        return False
