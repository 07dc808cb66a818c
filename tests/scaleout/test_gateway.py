"""MaxChat's gateway across nodes: a socket on one node is sent what is written on the other,
and a session that dropped on one node RESUMEs on the other (its position is the log's)."""
import asyncio
import secrets

import httpx
import pytest

from tests.maxchat.conftest import Human, bot_http, gateway_url
from tests.maxchat.test_gateway import gateway, say, synchronously, with_bot
from tests.scaleout.conftest import Pair, until
from tests.servers import Server

pytestmark = pytest.mark.slow


def human(server: Server) -> Human:
    return Human(server, f"user_{secrets.token_hex(4)}")


async def known_on(other: Server, owner: Human, home: dict, bot_user_id: str) -> None:
    """Until `other` has followed the log past the bot's install in `home`: a node learns of
    another's writes within milliseconds, not at once (what these tests are not about)."""
    def members() -> list[str]:
        answer = httpx.get(f"{other.url}/api/servers/{home['id']}/members", timeout=15,
                           headers={"Authorization": f"Bearer {owner.token}"})
        return [m["userId"] for m in answer.json().get("members", [])] \
            if answer.status_code == 200 else []
    await asyncio.to_thread(until, members, lambda ids: bot_user_id in ids)


@synchronously
async def test_a_gateway_socket_on_one_node_gets_message_create_for_messages_sent_on_the_other(
        pair: Pair):
    owner = human(pair.a)  # registered, its server made and the bot installed on A
    try:
        home = owner.server("Across")
        app, token = with_bot(owner, home)
        await known_on(pair.b, owner, home, app["botUserId"])
        async with gateway(gateway_url(pair.a)) as bot, gateway(gateway_url(pair.a)) as person:
            ready = await bot.identify(token)
            assert [s["id"] for s in ready["d"]["servers"]] == [home["id"]]
            await person.identify(owner.token)

            owner.http.base_url = httpx.URL(pair.b.url)
            sent = [say(owner, home, f"on B {n}") for n in range(5)]
            heard = [await bot.message(m["content"]) for m in sent]
            assert [f["d"]["id"] for f in heard] == [m["id"] for m in sent]
            assert all(f["d"]["author"]["id"] == owner.id for f in heard)
            positions = [f["s"] for f in heard]
            assert positions == sorted(set(positions))
            mirrored = [await person.message(m["content"]) for m in sent]
            assert [(f["s"], f["d"]) for f in mirrored] == [(f["s"], f["d"]) for f in heard]

            with bot_http(pair.b, token) as http:  # the bot answers through B
                answer = http.post("/api/bot/messages/send", json={
                    "serverId": home["id"], "channelId": home["channels"][0]["id"],
                    "content": "Pong from B"})
            assert answer.status_code == 200, answer.text
            pong = await person.message("Pong from B")
            assert pong["d"]["author"]["id"] == app["botUserId"] and pong["s"] > positions[-1]
            assert (await bot.message("Pong from B"))["s"] == pong["s"]
            await bot.silent()
            await person.silent()
    finally:
        owner.http.close()


@synchronously
async def test_resume_on_the_other_node_replays_what_the_dropped_socket_missed(pair: Pair):
    owner = human(pair.a)
    try:
        home = owner.server("Resumed")
        app, token = with_bot(owner, home)
        await known_on(pair.b, owner, home, app["botUserId"])
        async with gateway(gateway_url(pair.b)) as watcher:  # connected throughout: the `s`s
            await watcher.identify(token)
            async with gateway(gateway_url(pair.a)) as bot:
                session = (await bot.identify(token))["d"]["session_id"]
                say(owner, home, "seen on A")
                seq = (await bot.message("seen on A"))["s"]
                await watcher.message("seen on A")
                bot.drop()
            originals = []
            for n in range(4):  # sent to both nodes while the bot is away
                owner.http.base_url = httpx.URL((pair.a if n % 2 else pair.b).url)
                say(owner, home, f"missed {n}")
                originals.append(await watcher.message(f"missed {n}"))

            async with gateway(gateway_url(pair.b)) as bot:
                replayed = await bot.resume(token, session, seq)
                assert replayed[-1] == {"op": "RESUMED", "d": {"session_id": session}}
                assert [(f["op"], f["t"], f["s"], f["d"]) for f in replayed[:-1]] == [
                    ("DISPATCH", "MESSAGE_CREATE", f["s"], f["d"]) for f in originals]
                assert replayed[0]["s"] > seq
                owner.http.base_url = httpx.URL(pair.a.url)
                say(owner, home, "live, sent on A")
                live = await bot.message("live, sent on A")
                assert live["s"] > replayed[-2]["s"]
                await bot.silent()
    finally:
        owner.http.close()
