"""A real `botbus serve` in a subprocess on a free port, for end-to-end tests and benches."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data: Path, port: int | None = None, env: dict[str, str] | None = None):
        self.data, self.port = Path(data), port or free_port()
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen | None = None
        self.output = self.data.parent / f"{self.data.name}.server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "Server":
        self.data.mkdir(parents=True, exist_ok=True)
        with open(self.output, "ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port),
                 "--data", str(self.data)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output.read_text()[-2000:]}")
            try:
                # 503: serving, with read models behind or faults (the test looks at them)
                if httpx.get(self.url + "/health", timeout=0.5).status_code in (200, 503):
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not start in time")

    def stop(self) -> int | None:
        """SIGTERM, as a service manager would; returns the exit code."""
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: nothing acknowledged may be lost."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def log_text(self) -> str:
        return self.output.read_text() if self.output.exists() else ""
