"""A webhook receiver for tests: a real HTTP server on a thread of its own, recording every
POST and answering as told."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers import free_port


class Receiver:
    """A webhook receiver on its own thread: records every POST (time, path, headers, Update)
    and answers with `answers` (status, headers, body?) in turn, then an empty 200."""

    def __init__(self, answers: list[tuple] | None = None) -> None:
        self.port, self.answers, self.hits = free_port(), list(answers or ()), []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, headers, *answer = receiver.answers.pop(0) if receiver.answers \
                    else (200, {})
                receiver.hits.append((time.monotonic(), self.path, dict(self.headers), body))
                self.send_response(status)
                content = answer[0] if answer else b""
                for name, value in {"Content-Length": str(len(content)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def updates(self) -> list[dict]:
        return [update for *_, update in list(self.hits)]

    def wait_for(self, texts: set[str], timeout: float = 20.0) -> None:
        """Until an update with each of these message texts has come."""
        deadline = time.monotonic() + timeout
        while not texts <= (seen := {u["message"]["text"] for u in self.updates()}) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        assert texts <= seen, sorted(texts - seen)

    def wait(self, count: int, timeout: float = 20.0) -> list[tuple]:
        deadline = time.monotonic() + timeout
        while len(self.hits) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.hits) >= count, self.hits
        return self.hits[:count]
