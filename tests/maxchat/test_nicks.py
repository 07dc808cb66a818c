"""Nicknames: one's own is one's own to choose; another member's needs `manage_nicknames`;
the owner's is the owner's alone."""
from tests.maxchat.conftest import bot_http


def test_a_bot_without_manage_nicknames_names_only_itself(server, new_human):
    owner, guest = new_human(), new_human()
    home = owner.server("Nick test")
    owner.invite_in(guest, home["id"])
    app, token = owner.app("Namer")
    owner.install(app["id"], home["id"], permissions=[])
    with bot_http(server, token) as bot:
        me = bot.post("/api/bot/profile", json={}).json()["user"]["id"]
        mine = bot.post("/api/bot/members/nick", json={
            "serverId": home["id"], "userId": me, "nick": "Robo"})
        assert mine.status_code == 200, mine.text
        theirs = bot.post("/api/bot/members/nick", json={
            "serverId": home["id"], "userId": guest.id, "nick": "Renamed"})
        assert theirs.status_code == 403
        assert theirs.json() == {"error": "missing permission: manage_nicknames"}
    members = {m["userId"]: m["nick"] for m in owner.http.get(
        f"/api/servers/{home['id']}/members").json()["members"]}
    assert members[me] == "Robo" and members[guest.id] is None
