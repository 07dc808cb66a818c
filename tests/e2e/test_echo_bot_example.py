"""The seed's "Simple Echo Bot (Python)", unmodified but for its token and base URL, runs
against the real server: a user says hello and reads the echo from the inbox."""
import os
import subprocess
import sys
import time

import httpx

from tests.conftest import register_bot, register_user, send_as_user

# Verbatim from seed 003 (BOT_API.md, "Example: Simple Echo Bot (Python)").
SEED_ECHO_BOT = '''\
import requests
import time

TOKEN = "your_bot_token"
API = f"http://localhost:7700/v1/bot/{TOKEN}"

while True:
    resp = requests.post(f"{API}/getUpdates", json={"timeout": 5}).json()
    for update in resp.get("result", []):
        msg = update.get("message", {})
        text = msg.get("text") or "[encrypted]"
        chat_id = msg.get("chat", {}).get("id", "")
        if text and chat_id:
            requests.post(f"{API}/sendMessage", json={
                "chat_id": chat_id,
                "text": f"Echo: {text}",
            })
    time.sleep(1)
'''


def echo_bot_source(token: str, base_url: str) -> str:
    """The seed's program with only its token and base URL replaced."""
    source = SEED_ECHO_BOT
    for old, new in (('TOKEN = "your_bot_token"', f"TOKEN = {token!r}"),
                     ("http://localhost:7700", base_url)):
        assert source.count(old) == 1
        source = source.replace(old, new)
    return source


def read_inbox(http: httpx.Client, user: dict) -> list[dict]:
    body = http.get("/v1/messages/inbox",
                    headers={"Authorization": f"Bearer {user['token']}"}).json()
    assert body["ok"], body
    return body["result"]


def test_the_seed_echo_bot_answers_a_user(http, server, tmp_path):
    bot, user = register_bot(http, "EchoBot" + os.urandom(3).hex()), register_user(http)
    script = tmp_path / "echo_bot.py"
    script.write_text(echo_bot_source(bot["token"], server.url))
    output = open(tmp_path / "echo_bot.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, str(script)], stdout=output,
                               stderr=subprocess.STDOUT)
    try:
        assert send_as_user(http, user, to=bot["fingerprint"], text="hello")["ok"]
        received: list[dict] = []
        deadline = time.monotonic() + 15
        while not received and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "echo_bot.log").read_text()
            received += read_inbox(http, user)  # a read removes what it returns
            if not received:
                time.sleep(0.1)
    finally:
        process.kill()
        process.wait()
        output.close()

    assert [item["message"]["text"] for item in received] == ["Echo: hello"]
    message = received[0]["message"]
    assert message["from"] == {"id": bot["fingerprint"], "is_bot": True}
    assert message["chat"] == {"id": bot["fingerprint"], "type": "private"}
    assert len(message["message_id"]) == 36 and isinstance(message["date"], int)
    assert read_inbox(http, user) == []  # echoed once
    body = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={}).json()
    assert body == {"ok": True, "result": []}  # the bot took the hello
