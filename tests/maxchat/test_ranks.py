"""Nobody acts above their rank, on a real server: `manage_roles` alone never makes anyone an
administrator (a human's role routes and an installed bot's alike), an administrator is
kicked, banned, renamed or stripped of a role only by another, and a bot kicked or banned can
be installed again (once its ban is lifted). Every refusal is a 403 that changes nothing."""
import pytest

from tests.maxchat.conftest import Human, bot_http

FORBIDDEN_ADMIN = "the role carries a permission you do not have: administrator"


def role(owner: Human, sid: str, *permissions: str) -> str:
    answer = owner.http.post(f"/api/servers/{sid}/roles",
                             json={"name": "+".join(permissions), "permissions": permissions})
    assert answer.status_code == 201, answer.text
    return answer.json()["role"]["id"]


def give(owner: Human, sid: str, user_id: str, role_id: str) -> None:
    answer = owner.http.post(f"/api/servers/{sid}/members/{user_id}/roles",
                             json={"roleId": role_id})
    assert answer.status_code == 200, answer.text


def member_roles(human: Human, sid: str, user_id: str) -> list[str]:
    members = human.http.get(f"/api/servers/{sid}/members").json()["members"]
    return next(m["roleIds"] for m in members if m["userId"] == user_id)


@pytest.fixture
def home(new_human):
    """(owner, a manager with manage_roles and kick_members, an administrator, server id,
    the administrator role's id)."""
    owner, manager, admin = new_human(), new_human(), new_human()
    sid = owner.server()["id"]
    owner.invite_in(manager, sid)
    owner.invite_in(admin, sid)
    give(owner, sid, manager.id, role(owner, sid, "manage_roles", "kick_members",
                                      "manage_nicknames"))
    admin_role = role(owner, sid, "administrator")
    give(owner, sid, admin.id, admin_role)
    return owner, manager, admin, sid, admin_role


def test_manage_roles_cannot_make_a_role_with_a_permission_its_maker_lacks(home):
    owner, manager, _, sid, _ = home
    before = owner.http.get(f"/api/servers/{sid}/roles").json()["roles"]
    for permissions, lacking in ((["administrator"], "administrator"),
                                 (["manage_roles", "ban_members"], "ban_members")):
        answer = manager.http.post(f"/api/servers/{sid}/roles",
                                   json={"name": "mine", "permissions": permissions})
        assert (answer.status_code, answer.json()) == (403, {
            "error": f"the role carries a permission you do not have: {lacking}"})
    assert owner.http.get(f"/api/servers/{sid}/roles").json()["roles"] == before
    made = manager.http.post(f"/api/servers/{sid}/roles",
                             json={"name": "helpers", "permissions": ["kick_members"]})
    assert made.status_code == 201, made.text


def test_manage_roles_cannot_hand_itself_or_take_from_others_an_admin_role(home):
    owner, manager, admin, sid, admin_role = home
    mine = member_roles(owner, sid, manager.id)
    took = manager.http.post(f"/api/servers/{sid}/members/{manager.id}/roles",
                             json={"roleId": admin_role})
    assert (took.status_code, took.json()) == (403, {"error": FORBIDDEN_ADMIN})
    stripped = manager.http.delete(f"/api/servers/{sid}/members/{admin.id}/roles/{admin_role}")
    assert stripped.status_code == 403, stripped.text
    assert member_roles(owner, sid, manager.id) == mine
    assert member_roles(owner, sid, admin.id) == [admin_role]


def test_only_an_administrator_kicks_an_administrator(home, new_human):
    owner, manager, admin, sid, admin_role = home
    answer = manager.http.post(f"/api/servers/{sid}/members/{admin.id}/kick", json={})
    assert (answer.status_code, answer.json()) == (403, {"error": "cannot act on an administrator"})
    assert admin.id in {m["userId"] for m in owner.http.get(
        f"/api/servers/{sid}/members").json()["members"]}
    other = new_human()
    owner.invite_in(other, sid)
    give(owner, sid, other.id, admin_role)
    kicked = admin.http.post(f"/api/servers/{sid}/members/{other.id}/kick", json={})
    assert kicked.status_code == 200, kicked.text
    plain = new_human()
    owner.invite_in(plain, sid)
    assert manager.http.post(f"/api/servers/{sid}/members/{plain.id}/kick",
                             json={}).status_code == 200


def test_an_installed_bot_cannot_promote_itself_nor_touch_an_administrator(
        server, home, new_human):
    owner, _, admin, sid, admin_role = home
    app, token = owner.app("Climber")
    owner.install(app["id"], sid)  # every permission but administrator
    plain = new_human()
    owner.invite_in(plain, sid)
    on_admin = {"serverId": sid, "userId": admin.id}
    with bot_http(server, token) as bot:
        promoted = bot.post("/api/bot/roles/add", json={
            "serverId": sid, "userId": app["botUserId"], "roleId": admin_role})
        assert (promoted.status_code, promoted.json()) == (403, {"error": FORBIDDEN_ADMIN})
        for route, body in (("members/kick", on_admin), ("members/ban", on_admin),
                            ("members/nick", {**on_admin, "nick": "demoted"})):
            answer = bot.post(f"/api/bot/{route}", json=body)
            assert (answer.status_code, answer.json()) == (403, {
                "error": "cannot act on an administrator"}), route
        assert bot.post("/api/bot/members/nick", json={
            "serverId": sid, "userId": plain.id, "nick": "renamed"}).status_code == 200
        assert bot.post("/api/bot/members/kick", json={
            "serverId": sid, "userId": plain.id}).status_code == 200
    members = {m["userId"]: m for m in owner.http.get(f"/api/servers/{sid}/members").json()[
        "members"]}
    assert plain.id not in members
    assert (members[admin.id]["nick"], members[admin.id]["roleIds"]) == (None, [admin_role])
    assert admin_role not in members[app["botUserId"]]["roleIds"]


@pytest.mark.parametrize("how", ["kick", "ban"])
def test_a_bot_kicked_or_banned_can_be_installed_again(server, new_human, how):
    owner = new_human()
    sid = owner.server()["id"]
    general = owner.http.get(f"/api/servers/{sid}").json()["server"]["channels"][0]["id"]
    app, token = owner.app("Comeback")
    owner.install(app["id"], sid)
    removed = owner.http.post(f"/api/servers/{sid}/members/{app['botUserId']}/{how}", json={})
    assert removed.status_code == 200, removed.text
    send = {"serverId": sid, "channelId": general, "content": "back"}
    with bot_http(server, token) as bot:
        assert bot.post("/api/bot/messages/send", json=send).json() == {
            "error": "bot is not installed in this server"}
        if how == "ban":
            again = owner.http.post(f"/api/dev/apps/{app['id']}/install", json={"serverId": sid})
            assert (again.status_code, again.json()) == (403, {
                "error": "the app's bot is banned from this server"})
            lifted = owner.http.delete(f"/api/servers/{sid}/bans/{app['botUserId']}")
            assert lifted.status_code == 200, lifted.text
        owner.install(app["id"], sid)
        sent = bot.post("/api/bot/messages/send", json=send)
        assert sent.status_code == 200, sent.text
    assert app["botUserId"] in {m["userId"] for m in owner.http.get(
        f"/api/servers/{sid}/members").json()["members"]}
