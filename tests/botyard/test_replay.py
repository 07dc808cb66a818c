"""Every Botyard read comes from read models that `replay verify` and `rebuild` cover: a
history of bots, keys, commands, webhooks, users, rooms, messages, uploads and deletions
rebuilds to exactly what the server served."""
import httpx
import pytest

from replay.cli import main
from tests.botyard.conftest import ADMIN_KEY, start_server


@pytest.fixture(autouse=True)
def sqlite_log(monkeypatch):
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)


def test_a_botyard_history_verifies_and_rebuilds_to_the_same_pages(tmp_path, capsys):
    data = tmp_path / "data"
    server = start_server(data)
    bot = httpx.Client(base_url=server.url)
    admin = httpx.Client(base_url=server.url, headers={"Authorization": ADMIN_KEY})
    user = httpx.Client(base_url=server.url)
    try:
        made = admin.post("/v1/admin-api/bot", json={"name": "Replay bot"}).json()
        gone = admin.post("/v1/admin-api/bot", json={"name": "Gone bot"}).json()
        key = admin.put(f"/v1/admin-api/bot/{made['bot']['id']}/key").json()["key"]
        bot.headers["Authorization"] = key
        assert bot.post("/v1/bot-api/bot/commands", json=[{"alias": "start"}]).status_code == 201
        assert bot.put("/v1/bot-api/bot", json={"description": "replayed"}).status_code == 200
        assert user.post("/v1/client-api/user", json={"nickname": "alice"}).status_code == 201
        upload = user.post("/v1/client-api/files", files={"file": ("a.png", b"png", "image/png")})
        kept, dropped = (user.post("/v1/client-api/chat", json={"botId": made["bot"]["id"]})
                         .json()["id"] for _ in range(2))
        for chat in (kept, dropped):
            sent = user.post("/v1/client-api/chat/message", json={
                "chatId": chat, "body": "hi", "attachmentIds": [upload.json()[0]["id"]]})
            assert sent.status_code == 201
            assert bot.post("/v1/bot-api/chat/message",
                            json={"chatId": chat, "body": "hello"}).status_code == 201
        assert user.delete(f"/v1/client-api/chat/{dropped}").status_code == 200
        assert admin.delete(f"/v1/admin-api/bot/{gone['bot']['id']}").status_code == 200
        before = user.get(f"/v1/client-api/chat/{kept}/messages").json()
        bots_before = user.get("/v1/client-api/bots").json()
    finally:
        server.stop()
        admin.close()
    assert main(["verify", "--data", str(data)]) == 0
    assert main(["rebuild", "--data", str(data)]) == 0
    server = start_server(data)
    try:
        user.base_url = bot.base_url = httpx.URL(server.url)
        assert user.get(f"/v1/client-api/chat/{kept}/messages").json() == before
        assert user.get("/v1/client-api/bots").json() == bots_before
        assert user.get(f"/v1/client-api/chat/{dropped}/messages").status_code == 404
        assert [b["name"] for b in bots_before] == ["Replay bot"]
        assert bot.get("/v1/bot-api/bot").json()["description"] == "replayed"  # the reset key
    finally:
        server.stop()
        user.close()
        bot.close()
