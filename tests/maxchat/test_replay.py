"""MaxChat's reads come from read models `replay verify` and `rebuild` cover: a history of
accounts, sessions, servers, roles, members, bans, invites, apps, installs and channel
messages (sent, edited, deleted) rebuilds to exactly what the server served."""
import httpx
import pytest

from replay.cli import main
from tests.maxchat.conftest import Human, bot_http, start_server


@pytest.fixture(autouse=True)
def sqlite_log(monkeypatch):
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)


def test_a_maxchat_history_verifies_and_rebuilds_to_the_same_reads(tmp_path):
    data = tmp_path / "data"
    server = start_server(data)
    owner, guest = Human(server, "owner"), Human(server, "guest")
    try:
        home = owner.server("Home")
        sid, general = home["id"], home["channels"][0]["id"]
        owner.invite_in(guest, sid)
        app, token = owner.app("PingBot")
        owner.install(app["id"], sid)
        with bot_http(server, token) as bot:
            sent = bot.post("/api/bot/messages/send", json={
                "serverId": sid, "channelId": general, "content": "hello"}).json()["message"]
            assert bot.post("/api/bot/messages/edit", json={
                "serverId": sid, "channelId": general, "messageId": sent["id"],
                "content": "hello again"}).status_code == 200
        doomed = guest.http.post(f"/api/servers/{sid}/channels/{general}/messages",
                                 json={"content": "soon gone"}).json()["message"]
        assert guest.http.delete(
            f"/api/servers/{sid}/channels/{general}/messages/{doomed['id']}").status_code == 200
        role = owner.http.post(f"/api/servers/{sid}/roles", json={
            "name": "mods", "permissions": ["manage_messages"]}).json()["role"]
        assert owner.http.post(f"/api/servers/{sid}/members/{guest.id}/roles",
                               json={"roleId": role["id"]}).status_code == 200
        assert owner.http.post("/api/auth/logout").status_code == 200
        reads = {path: guest.http.get(path).json() for path in (
            f"/api/servers/{sid}", f"/api/servers/{sid}/members",
            f"/api/servers/{sid}/channels/{general}/messages", "/api/users/@me")}
    finally:
        server.stop()
    assert main(["verify", "--data", str(data)]) == 0
    assert main(["rebuild", "--data", str(data)]) == 0
    server = start_server(data)
    try:
        guest.http.base_url = owner.http.base_url = httpx.URL(server.url)
        assert {path: guest.http.get(path).json() for path in reads} == reads
        assert [m["content"] for m in reads[
            f"/api/servers/{sid}/channels/{general}/messages"]["messages"]] == ["hello again"]
        assert owner.http.get("/api/users/@me").status_code == 401  # logged out, still
    finally:
        server.stop()
        owner.http.close()
        guest.http.close()
