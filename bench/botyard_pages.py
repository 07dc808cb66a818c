"""The Botyard page reads: message pages on a short and a long chat, part (2) of bench.botyard."""
import asyncio
import secrets
import time

from bench.botyard_load import BotyardHttp, count, create_bot, create_user, progress
from tests.servers import Server

PROGRESS_EVERY = 2.0  # seconds between progress lines while building a chat


def messages_stored(server: Server) -> int:
    return count(server, "projections.db", "SELECT count(*) FROM messages")


class Pages:
    """A bot without a webhook, one user and its chats; the cells read in turn."""

    def __init__(self, port: int, bot_id: str, key: str, user: BotyardHttp) -> None:
        self.port, self.bot_id, self.key, self.user = port, bot_id, key, user
        self.last_user_ms: dict[str, int] = {}

    async def build(self, chat_id: str, total: int, concurrency: int, label: str) -> float:
        """`total` messages into the chat, user and bot alternating; messages/s."""
        done, last = 0, time.perf_counter()
        start = last

        async def send(side: int) -> None:
            nonlocal done, last
            http = (BotyardHttp(self.port, cookie=self.user.cookie) if side == 0
                    else BotyardHttp(self.port, self.key))
            api = "client-api" if side == 0 else "bot-api"
            try:
                while done < total:
                    done += 1
                    sent = await http.request("POST", f"/v1/{api}/chat/message",
                                              {"chatId": chat_id, "body": f"page {done}"}, 201)
                    if side == 0:
                        self.last_user_ms[chat_id] = max(self.last_user_ms.get(chat_id, 0),
                                                         sent["timestamp"])
                    if (now := time.perf_counter()) - last >= PROGRESS_EVERY:
                        last = now
                        progress(f"building the {label} chat: {done:,}/{total:,}"
                                 f" ({done / (now - start):,.0f} messages/s)")
            finally:
                http.close()

        await asyncio.gather(*(send(i % 2) for i in range(concurrency)))
        return total / (time.perf_counter() - start)

    def cells(self, chats: dict[str, str]) -> list[tuple[str, str, str]]:
        """(row, column, path): both queries on each chat."""
        cells = []
        for label, chat_id in chats.items():
            base = f"/v1/client-api/chat/{chat_id}/messages?"
            cells.append(("page", label, base + "page=1&limit=20"))
            cells.append(("poll", label, base + f"sender_id={self.bot_id}&page=1&limit=1"
                                                f"&since={self.last_user_ms[chat_id]}"))
        return cells

    async def read(self, cells: list[tuple[str, str, str]], reads: int, budget: float,
                   floor: str) -> dict[tuple[str, str], list[float]]:
        """Each cell and the floor read in turn, request by request, `reads` times each or
        until `budget` seconds are up; the latencies by (row, column)."""
        cells = [*cells, ("floor", floor, "/v1/client-api/user")]
        https = [BotyardHttp(self.port, cookie=self.user.cookie) for _ in cells]
        times: dict[tuple[str, str], list[float]] = {(row, col): [] for row, col, _ in cells}
        try:
            for http, (_, _, path) in zip(https, cells, strict=True):  # warm-up
                await http.request("GET", path)
            deadline = time.perf_counter() + budget
            for _ in range(reads):
                for http, (row, col, path) in zip(https, cells, strict=True):
                    begin = time.perf_counter()
                    await http.request("GET", path)
                    times[(row, col)].append(time.perf_counter() - begin)
                if time.perf_counter() > deadline:
                    break
        finally:
            for http in https:
                http.close()
        return times


async def page_reads(server: Server, admin: BotyardHttp, short: int, long: int,
                     concurrency: int, reads: int, budget: float) -> dict:
    bot_id, key = await create_bot(admin, f"Pages {secrets.token_hex(3)}")
    user, _ = await create_user(server.port, "pages user")
    chats = {label: (await user.request("POST", "/v1/client-api/chat", {"botId": bot_id},
                                        201))["id"] for label in ("short", "long")}
    pages = Pages(server.port, bot_id, key, user)
    rates = {"short": await pages.build(chats["short"], short, concurrency, f"{short:,}")}
    progress(f"page reads on the {short:,} chat")
    before = await pages.read(pages.cells({"before": chats["short"]}), reads, budget,
                              "before")
    rows_before = messages_stored(server)
    rates["long"] = await pages.build(chats["long"], long, concurrency, f"{long:,}")
    progress(f"page reads on the {short:,} and the {long:,} chats")
    after = await pages.read(pages.cells(chats), reads, budget, "after")
    user.close()
    return {"times": before | after, "rates": rates, "rows_before": rows_before,
            "rows_after": messages_stored(server)}
