"""A MaxChat bot that answers `!ping` with `Pong!` in any channel of the servers it is in.

    pip install requests websockets
    MAXBOT_API_BASE=http://127.0.0.1:8000 MAXBOT_TOKEN=mbt_... python examples/ping_bot.py

Create the app and install it into a server first (Developer Portal, or
`POST /api/dev/apps` then `POST /api/dev/apps/<appId>/install`). The bot connects to the
gateway, IDENTIFYs with its token, heartbeats at the interval HELLO states, and answers each
`!ping` through `POST /api/bot/messages/send`. If the connection drops it connects again.
Ctrl-C stops it.
"""
import asyncio
import json
import logging
import os
import time

import requests
import websockets

API_BASE = os.environ.get("MAXBOT_API_BASE", "http://127.0.0.1:8000").rstrip("/")
BOT_TOKEN = os.environ.get("MAXBOT_TOKEN", "")
RECONNECT_DELAY = 5  # seconds to wait before connecting again after a drop

log = logging.getLogger("ping_bot")


def send_message(server_id: str, channel_id: str, content: str) -> None:
    response = requests.post(
        f"{API_BASE}/api/bot/messages/send",
        headers={"Authorization": f"Bearer {BOT_TOKEN}", "Content-Type": "application/json"},
        data=json.dumps({"serverId": server_id, "channelId": channel_id, "content": content}),
        timeout=15,
    )
    if response.status_code != 200:
        log.warning("send failed: %s %s", response.status_code, response.text)


async def heartbeat(ws, interval_ms: int) -> None:
    """The gateway closes a socket that stays silent for 1.5 intervals."""
    try:
        while True:
            await ws.send(json.dumps({"op": "HEARTBEAT", "d": int(time.time() * 1000)}))
            await asyncio.sleep(interval_ms / 1000)
    except websockets.ConnectionClosed:
        pass  # the receive loop sees the close too


async def on_message(message: dict, my_id: str | None) -> None:
    author = message.get("author") or {}
    if author.get("bot") or author.get("id") == my_id:
        return  # never answer ourselves (or other bots)
    if (message.get("content") or "").strip() == "!ping":
        log.info("!ping from %s in channel %s", author.get("username"), message["channelId"])
        # requests blocks: run it in a thread so heartbeats keep going meanwhile
        await asyncio.to_thread(send_message, message["serverId"], message["channelId"], "Pong!")


async def run() -> None:
    gw = API_BASE.replace("https://", "wss://").replace("http://", "ws://") + "/gateway"
    async with websockets.connect(gw) as ws:
        hello = json.loads(await ws.recv())
        await ws.send(json.dumps({"op": "IDENTIFY", "d": {"token": BOT_TOKEN}}))
        beats = asyncio.create_task(heartbeat(ws, hello["d"]["heartbeat_interval"]))
        my_id = None
        try:
            async for raw in ws:
                event = json.loads(raw)
                if event["op"] == "INVALID_SESSION":
                    raise SystemExit(f"gateway refused the token: {event['d']}")
                if event["op"] != "DISPATCH":
                    continue  # HEARTBEAT_ACK, RECONNECT (the close that follows ends the loop)
                if event["t"] == "READY":
                    my_id = event["d"]["user"]["id"]
                    servers = [server["name"] for server in event["d"]["servers"]]
                    log.info("ready as %s in %d server(s): %s", event["d"]["user"]["username"],
                             len(servers), ", ".join(servers))
                elif event["t"] == "MESSAGE_CREATE":
                    await on_message(event["d"], my_id)
        finally:
            beats.cancel()
    log.info("gateway closed (%s %s)", ws.close_code, ws.close_reason)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not BOT_TOKEN:
        raise SystemExit("set MAXBOT_TOKEN to your bot's token (mbt_...)")
    try:
        while True:
            try:
                asyncio.run(run())
            except (OSError, websockets.WebSocketException) as error:
                log.warning("connection lost: %s", error)
            log.info("reconnecting in %d s", RECONNECT_DELAY)
            time.sleep(RECONNECT_DELAY)
    except KeyboardInterrupt:
        log.info("stopped")


if __name__ == "__main__":
    main()
