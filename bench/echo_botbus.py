"""The Botbus side of bench/echo_vs_peer.py: featherChat v1 on a real `botbus serve`.

Users send with `POST /v1/messages/send` and receive on `/v1/ws`, acknowledging each frame
(`{"ack": message_id}`); the bot long-polls `getUpdates {"timeout": 5}` (which deletes what it
returns) and answers with `sendMessage {"chat_id": <the sender's fingerprint>, "text"}`.
"""
import asyncio
import secrets

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.load import Http
from tests.servers import Server


class BotbusUser:
    """A user's keep-alive HTTP connection for sending and its socket for receiving."""

    def __init__(self, http: Http, socket, to: str) -> None:
        self.http, self.socket, self.to = http, socket, to
        self.waiting: dict[str, asyncio.Future] = {}
        self.closed: str | None = None  # why the server closed the socket, if it did
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for frame in self.socket:
                message = orjson.loads(frame)["message"]
                await self.socket.send(orjson.dumps({"ack": message["message_id"]}).decode())
                future = self.waiting.pop(message.get("text"), None)
                if future is not None and not future.done():
                    future.set_result(None)
        except ConnectionClosed:
            pass
        self.closed = f"socket closed by the server: {self.socket.close_code}" \
                      f" {self.socket.close_reason}"

    async def round_trip(self, text: str) -> None:
        self.waiting[text] = future = asyncio.get_running_loop().create_future()
        await self.http.post("/v1/messages/send", {"to": self.to, "text": text})
        await future

    async def close(self) -> None:
        self.reader.cancel()
        await self.socket.close()
        self.http.close()


class Botbus:
    name = "Botbus"

    def __init__(self, server: Server, bot: dict, tokens: list[str]) -> None:
        assert server.process is not None
        self.port, self.pid, self.tokens = server.port, server.process.pid, tokens
        self.to = bot["fingerprint"]
        self.poll_path, self.poll_body = f"/v1/bot/{bot['token']}/getUpdates", {"timeout": 5}
        self.reply_path = f"/v1/bot/{bot['token']}/sendMessage"

    @classmethod
    async def create(cls, server: Server, users: int) -> "Botbus":
        setup = await Http(server.port).open()
        bot = await setup.post("/v1/bot/register", {"name": f"EchoBench{secrets.token_hex(4)}",
                                                    "fingerprint": secrets.token_hex(16)})
        tokens = [(await setup.post("/v1/users/register",
                                    {"fingerprint": secrets.token_hex(16)}))["token"]
                  for _ in range(users)]
        setup.close()
        return cls(server, bot, tokens)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    async def connect(self) -> Http:
        return await Http(self.port).open()

    def user_port(self, i: int) -> int:
        """The node user `i` sends and listens on (bench/scaleout.py spreads them)."""
        return self.port

    async def open_user(self, i: int) -> BotbusUser:
        token, port = self.tokens[i], self.user_port(i)
        socket = await connect(f"ws://127.0.0.1:{port}/v1/ws", compression=None,
                               additional_headers={"Authorization": f"Bearer {token}"})
        return BotbusUser(await Http(port, token).open(), socket, self.to)

    @staticmethod
    def reply(update: dict) -> dict:
        message = update["message"]
        return {"chat_id": message["from"]["id"], "text": message["text"]}
