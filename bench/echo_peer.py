"""The peer side of bench/echo_vs_peer.py: the npm emulator telegram-test-api 4.2.1.

It keeps messages in two in-RAM arrays (no durability) and has no long poll: a bot's
`/bot<token>/getUpdates` answers at once with what is unread, so its bot polls in a loop. Its
users are plain HTTP clients of its own "client API" (what its `TelegramClient` calls): a user
sends with `POST /sendMessage` (a Telegram-shaped message carrying `botToken`) and reads the
bot's replies with `POST /getUpdates {"token", "chatId"}`, in a loop, until the reply is there
(its TelegramClient sleeps 100 ms between those polls; here they are back to back, the
emulator's best latency). The package is installed with npm into a cache folder under the
system temp directory, never into the repository.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.load import Http
from tests.servers import free_port

PACKAGE, VERSION = "telegram-test-api", "4.2.1"
CACHE = Path(tempfile.gettempdir()) / f"botbus-bench-{PACKAGE}-{VERSION}"
HELPER = Path(__file__).with_name("peer_tta.js")
BOT_TOKEN = "123456:echo-bench"


class PeerUnavailable(Exception):
    pass


def install() -> Path:
    """The package's folder, installed on first use (npm, ~5 s with a network)."""
    package = CACHE / "node_modules" / PACKAGE
    if shutil.which("node") is None:
        raise PeerUnavailable("node not found on PATH")
    if (package / "package.json").exists():
        return package
    if shutil.which("npm") is None:
        raise PeerUnavailable("npm not found on PATH")
    staging = tempfile.mkdtemp(prefix="botbus-bench-peer-")
    try:
        done = subprocess.run(["npm", "install", "--prefix", staging, "--no-audit", "--no-fund",
                               "--no-save", "--loglevel=error", f"{PACKAGE}@{VERSION}"],
                              cwd=staging, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise PeerUnavailable(f"npm install: {error}") from None
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        lines = [line.removeprefix("npm error").strip() for line in done.stderr.splitlines()]
        why = next((line for line in lines if "Error" in line), lines[0] if lines else "")
        raise PeerUnavailable(f"npm install exited {done.returncode}: {why}")
    try:
        os.rename(staging, CACHE)
    except OSError:  # another run installed it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return package


class PeerUser:
    def __init__(self, http: Http, chat_id: int) -> None:
        self.http, self.chat_id = http, chat_id
        self.sender = {"id": chat_id, "first_name": f"User{chat_id}", "is_bot": False}
        self.chat = {"id": chat_id, "type": "private"}

    async def round_trip(self, text: str) -> None:
        await self.http.post("/sendMessage", {"botToken": BOT_TOKEN, "from": self.sender,
                                              "chat": self.chat, "date": int(time.time()),
                                              "text": text})
        poll = {"token": BOT_TOKEN, "chatId": self.chat_id}
        while not any(item["message"]["text"] == text
                      for item in await self.http.post("/getUpdates", poll)):
            pass

    async def close(self) -> None:
        self.http.close()


class Peer:
    """One emulator process per level (its arrays are scanned whole on every poll, so what
    an earlier level left would slow the next)."""

    name = "peer"
    poll_path, poll_body = f"/bot{BOT_TOKEN}/getUpdates", dict[str, int]()
    reply_path = f"/bot{BOT_TOKEN}/sendMessage"

    def __init__(self) -> None:
        self.package = install()
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
        try:
            self.process = subprocess.Popen(["node", HELPER, self.package, str(self.port)], env=env,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as error:
            raise PeerUnavailable(f"node: {error}") from None
        assert self.process.stdout is not None and self.process.stderr is not None
        if self.process.stdout.readline().strip() != b"ready":
            error = self.process.stderr.read().decode(errors="replace").strip().splitlines()
            self.stop()
            raise PeerUnavailable(f"emulator did not start: {error[-1] if error else '?'}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    async def connect(self) -> Http:
        return await Http(self.port).open()

    async def open_user(self, i: int) -> PeerUser:
        return PeerUser(await self.connect(), 1001 + i)

    @staticmethod
    def reply(update: dict) -> dict:
        message = update["message"]
        return {"chat_id": message["chat"]["id"], "text": message["text"]}
