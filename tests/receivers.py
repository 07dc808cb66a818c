"""A webhook receiver for tests, for every dialect: a real HTTP server on a thread of its own,
recording every POST and answering as told."""
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers import free_port

Answer = int | tuple  # a status, or (status, headers) or (status, headers, body)
# a header given as None is not sent: {"Content-Length": None} ends the body by closing


@dataclass
class Hit:
    """One POST the receiver answered: when, where, its headers (lowercased) and raw body."""

    at: float
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict:
        return json.loads(self.raw)

    @property
    def delivery(self) -> str | None:
        """Botyard's delivery id (its message's id)."""
        return self.headers.get("x-botbus-delivery")


class Receiver:
    """Answers `answers` in turn, then `otherwise`. While `gate` is an unset Event, each
    request waits for it (at most `hold` s) before it is answered. `url` ends with `path`."""

    def __init__(self, answers: list[Answer] | None = None, path: str = "") -> None:
        self.port, self.path, self.answers = free_port(), path, list(answers or ())
        self.hits: list[Hit] = []
        self.arrived: list[float] = []  # a request's start, before any hold
        self.otherwise = 200
        self.gate: threading.Event | None = None
        self.hold = 3.0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def __enter__(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                receiver.arrived.append(time.monotonic())
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.gate is not None:
                    receiver.gate.wait(receiver.hold)
                status, headers, content = receiver.next_answer()
                receiver.hits.append(Hit(time.monotonic(), self.path, {
                    name.lower(): value for name, value in self.headers.items()}, raw))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(content)), **headers}.items():
                    if value is not None:
                        self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client read what it wanted of a long answer, and hung up

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        if self.gate is not None:
            self.gate.set()
        self._server.shutdown()
        self._server.server_close()

    def next_answer(self) -> tuple[int, dict[str, str], bytes]:
        answer = self.answers.pop(0) if self.answers else self.otherwise
        if isinstance(answer, int):
            return answer, {}, b""
        status, headers, *content = answer
        return status, headers, content[0] if content else b""

    def updates(self) -> list[dict]:
        return [hit.body for hit in list(self.hits)]

    def wait_for(self, texts: set[str], timeout: float = 20.0) -> None:
        """Until a Telegram update with each of these message texts has come."""
        deadline = time.monotonic() + timeout
        while not texts <= (seen := {u["message"]["text"] for u in self.updates()}) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        assert texts <= seen, sorted(texts - seen)

    def wait(self, count: int, timeout: float = 20.0) -> list[Hit]:
        """The first `count` answered requests, polled with a deadline."""
        deadline = time.monotonic() + timeout
        while len(self.hits) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.hits) >= count, [hit.raw for hit in self.hits]
        return self.hits[:count]
