"""MaxChat's developer and bot routes against a real server (maxchat.md decisions 1, 3, 4, 6
and 8, §3.3): apps, tokens shown once and reset at once, installs with their permissions, the
invite helper and bootstrap; then each of the 15 bot routes: its success, visible through the
human routes, and its refusals in decision 4's order (token 401 → body 400 → server 404 →
install 403 → other ids 404 → permission 403), each exactly `{"error": ...}`, never a 500."""
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.maxchat.checks import refused, watched
from tests.maxchat.conftest import HEARTBEAT_MS, Human, bot_http

UNKNOWN = "999999999999"  # digits, never issued by this server
ALL_BUT_ADMIN = {"manage_messages", "manage_channels", "manage_roles", "manage_nicknames",
                 "kick_members", "ban_members", "manage_server", "create_invites"}
NOT_INSTALLED = "bot is not installed in this server"
OWNER = "cannot act on the server owner"
NOT_MEMBER = "not a member of this server"
CHANNEL_KEYS = {"id", "serverId", "name", "type", "topic", "position"}
MESSAGE_KEYS = {"id", "serverId", "channelId", "author", "content", "createdAt", "editedAt"}


def succeeded(answer: httpx.Response, **expected) -> dict:
    """A 200 `{"ok": true, ...}`, with `expected` among its fields."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ok"] is True and body.items() >= expected.items(), body
    return body


def unique(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


class People:
    """Humans and bot clients made for this module, checked for 5xx, closed at its end."""

    def __init__(self, server) -> None:
        self.server, self.clients = server, []

    def __call__(self, prefix: str = "user") -> Human:
        human = Human(self.server, unique(prefix))
        self.clients.append(watched(human.http))
        return human

    def bot(self, token: str, scheme: str = "Bot") -> httpx.Client:
        client = bot_http(self.server, token)
        client.headers["Authorization"] = f"{scheme} {token}"
        self.clients.append(watched(client))
        return client


@pytest.fixture(scope="module")
def people(server) -> Iterator[People]:
    made = People(server)
    yield made
    for client in made.clients:
        client.close()


@dataclass
class World:
    """`home`, owned by `owner`, with a plain `member`, a `strong` bot (default permissions)
    and a `weak` one (`permissions: []`); `elsewhere`, owned by `owner` too, has neither;
    `stray`'s app is installed nowhere."""

    owner: Human
    member: Human
    outsider: Human
    sid: str
    cid: str
    elsewhere: str
    elsewhere_cid: str
    strong: httpx.Client
    strong_app: dict
    weak: httpx.Client
    weak_app: dict
    stray: httpx.Client
    role: str
    human_message: str
    strong_message: str
    weak_message: str


def send(bot: httpx.Client, sid: str, cid: str, content: str) -> dict:
    return succeeded(bot.post("/api/bot/messages/send", json={
        "serverId": sid, "channelId": cid, "content": content}))["message"]


def history(human: Human, sid: str, cid: str) -> list[dict]:
    answer = human.http.get(f"/api/servers/{sid}/channels/{cid}/messages", params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return answer.json()["messages"]


def members(human: Human, sid: str) -> dict[str, dict]:
    answer = human.http.get(f"/api/servers/{sid}/members")
    assert answer.status_code == 200, answer.text
    return {m["userId"]: m for m in answer.json()["members"]}


def channels(human: Human, sid: str) -> dict[str, dict]:
    answer = human.http.get(f"/api/servers/{sid}/channels")
    assert answer.status_code == 200, answer.text
    return {c["id"]: c for c in answer.json()["channels"]}


def roles(human: Human, sid: str) -> list[dict]:
    answer = human.http.get(f"/api/servers/{sid}/roles")
    assert answer.status_code == 200, answer.text
    return answer.json()["roles"]


def room(w: "World", *joining: Human, weak: bool = False) -> tuple[str, str]:
    """A new server of the owner's with the strong bot (and the weak one) installed and
    `joining` invited in: (its id, its general channel's)."""
    made = w.owner.server(unique("room"))
    w.owner.install(w.strong_app["id"], made["id"])
    if weak:
        w.owner.install(w.weak_app["id"], made["id"], permissions=[])
    for human in joining:
        w.owner.invite_in(human, made["id"])
    return made["id"], made["channels"][0]["id"]


@pytest.fixture(scope="module")
def crew(people) -> list[Human]:
    """Three more humans, joined to fresh servers by the tests that need members."""
    return [people(f"crew{n}") for n in range(3)]


@pytest.fixture(scope="module")
def world(people) -> World:
    owner, outsider, member = people("owner"), people("outsider"), people("member")
    home, elsewhere = owner.server("Home"), owner.server("Elsewhere")
    owner.invite_in(member, home["id"])
    strong_app, strong_token = owner.app("Strong")
    weak_app, weak_token = owner.app("Weak")
    _, stray_token = owner.app("Stray")
    owner.install(strong_app["id"], home["id"])
    owner.install(weak_app["id"], home["id"], permissions=[])
    strong, weak = people.bot(strong_token), people.bot(weak_token)
    sid, cid = home["id"], home["channels"][0]["id"]
    role = owner.http.post(f"/api/servers/{sid}/roles",
                           json={"name": "extra", "permissions": ["manage_channels"]})
    human_message = member.http.post(f"/api/servers/{sid}/channels/{cid}/messages",
                                     json={"content": "a human's"}).json()["message"]
    return World(owner, member, outsider, sid, cid, elsewhere["id"],
                 elsewhere["channels"][0]["id"], strong, strong_app, weak, weak_app,
                 people.bot(stray_token), role.json()["role"]["id"], human_message["id"],
                 send(strong, sid, cid, "the strong bot's")["id"],
                 send(weak, sid, cid, "the weak bot's")["id"])


# Developer routes

def test_creating_an_app_shows_its_mbt_token_once(people, world):
    dev = people("dev")
    answer = dev.http.post("/api/dev/apps", json={"name": "Helper"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"ok", "app", "token"} and body["ok"] is True
    assert body["token"].startswith("mbt_") and len(body["token"]) > 20
    app = body["app"]
    assert app["id"].isdigit() and app["name"] == "Helper" and "token" not in app
    listed = dev.http.get("/api/dev/apps")
    assert listed.status_code == 200 and set(listed.json()) == {"ok", "apps"}
    assert [a["id"] for a in listed.json()["apps"]] == [app["id"]]
    assert all("token" not in a for a in listed.json()["apps"])
    assert body["token"] not in listed.text and body["token"][4:] not in listed.text
    assert world.outsider.http.get("/api/dev/apps").json() == {"ok": True, "apps": []}
    with people.bot(body["token"]) as bot:
        succeeded(bot.post("/api/bot/presence", json={"status": "online"}))


@pytest.mark.parametrize("body", [{"name": ""}, {}, {"name": 7}], ids=["empty", "missing", "int"])
def test_creating_an_app_refuses_a_bad_name_with_400(world, body):
    refused(world.owner.http.post("/api/dev/apps", json=body), 400)


def test_dev_routes_refuse_a_missing_or_bad_user_token_with_401(server, world):
    app = world.strong_app["id"]
    routes = [("GET", "/api/dev/apps"), ("POST", "/api/dev/apps"),
              ("POST", f"/api/dev/apps/{app}/name"), ("POST", f"/api/dev/apps/{app}/reset-token"),
              ("POST", f"/api/dev/apps/{app}/install"), ("GET", f"/api/dev/apps/{app}/invite")]
    for headers in ({}, {"Authorization": "Bearer nonsense"},
                    {"Authorization": world.strong.headers["Authorization"]}):
        with watched(httpx.Client(base_url=server.url, timeout=15, headers=headers)) as client:
            for method, path in routes:
                refused(client.request(method, path, json=None if method == "GET" else {
                    "name": "x", "serverId": world.sid}), 401)


def test_renaming_an_app_renames_it_and_its_bot(people, world):
    dev = world.owner
    srv = dev.server("Renames")
    app, token = dev.app("Before")
    dev.install(app["id"], srv["id"])
    answer = dev.http.post(f"/api/dev/apps/{app['id']}/name", json={"name": "After"})
    body = succeeded(answer)
    assert body["app"]["id"] == app["id"] and body["app"]["name"] == "After"
    assert {a["id"]: a["name"] for a in dev.http.get("/api/dev/apps").json()["apps"]}[
        app["id"]] == "After"
    with people.bot(token) as bot:
        assert send(bot, srv["id"], srv["channels"][0]["id"], "hi")["author"]["username"] == \
            "After"
    refused(world.outsider.http.post(f"/api/dev/apps/{app['id']}/name", json={"name": "Mine"}),
            404, "app not found")
    refused(dev.http.post(f"/api/dev/apps/{UNKNOWN}/name", json={"name": "x"}), 404,
            "app not found")
    refused(dev.http.post(f"/api/dev/apps/{app['id']}/name", json={"name": ""}), 400)
    assert members(dev, srv["id"])[app["botUserId"]]["username"] == "After"


def test_a_reset_token_stops_the_old_token_at_once(people, world):
    dev = world.owner
    srv = dev.server("Resets")
    app, old = dev.app("Resettable")
    dev.install(app["id"], srv["id"])
    with people.bot(old) as before:
        succeeded(before.post("/api/bot/presence", json={"status": "online"}))
        refused(world.outsider.http.post(f"/api/dev/apps/{app['id']}/reset-token"), 404,
                "app not found")
        body = succeeded(dev.http.post(f"/api/dev/apps/{app['id']}/reset-token"))
        assert set(body) == {"ok", "token"}
        new = body["token"]
        assert new.startswith("mbt_") and new != old
        refused(before.post("/api/bot/presence", json={"status": "online"}), 401)
        refused(before.post("/api/bot/messages/send", json={
            "serverId": srv["id"], "channelId": srv["channels"][0]["id"], "content": "x"}), 401)
    with people.bot(new, "Bearer") as after:
        send(after, srv["id"], srv["channels"][0]["id"], "new token")
    refused(dev.http.post(f"/api/dev/apps/{UNKNOWN}/reset-token"), 404, "app not found")


def test_install_grants_a_role_named_after_the_app_with_all_but_administrator(people, world):
    dev = world.owner
    srv = dev.server("Installs")
    app, token = dev.app("Installed")
    answer = dev.http.post(f"/api/dev/apps/{app['id']}/install", json={"serverId": srv["id"]})
    assert answer.status_code == 200 and answer.json()["ok"] is True, answer.text
    [role] = [r for r in roles(dev, srv["id"]) if r["name"] == "Installed"]
    assert set(role["permissions"]) == ALL_BUT_ADMIN
    bot = members(dev, srv["id"])[app["botUserId"]]
    assert bot["bot"] is True and bot["roleIds"] == [role["id"]]
    again = dev.http.post(f"/api/dev/apps/{app['id']}/install", json={"serverId": srv["id"]})
    assert again.status_code == 200 and again.json()["ok"] is True, again.text
    assert [r["name"] for r in roles(dev, srv["id"])].count("Installed") == 1
    assert list(members(dev, srv["id"])).count(app["botUserId"]) == 1
    with people.bot(token) as client:
        succeeded(client.post("/api/bot/servers/rename", json={"serverId": srv["id"],
                                                               "name": "Bot-named"}))


def test_install_with_chosen_permissions_grants_only_those(people, world):
    dev = world.owner
    srv = dev.server("Chosen")
    app, token = dev.app("Picky")
    dev.install(app["id"], srv["id"], permissions=["manage_channels"])
    [role] = [r for r in roles(dev, srv["id"]) if r["name"] == "Picky"]
    assert role["permissions"] == ["manage_channels"]
    with people.bot(token) as client:
        succeeded(client.post("/api/bot/channels/create", json={"serverId": srv["id"],
                                                                "name": "botmade"}))
        refused(client.post("/api/bot/servers/rename", json={"serverId": srv["id"],
                                                             "name": "no"}),
                403, "missing permission: manage_server")


def test_install_needs_the_server_owner_or_an_administrator(world, crew):
    dev, (plain, admin) = world.owner, crew[:2]
    sid = dev.server("Guarded")["id"]
    for human in (plain, admin):
        dev.invite_in(human, sid)
    app, _ = dev.app("Guarded")
    path = f"/api/dev/apps/{app['id']}/install"
    refused(plain.http.post(path, json={"serverId": sid}), 403,
            "only the server owner or an administrator can install an app")
    refused(world.outsider.http.post(path, json={"serverId": sid}), 403)
    assert app["botUserId"] not in members(dev, sid)
    role = dev.http.post(f"/api/servers/{sid}/roles",
                         json={"name": "admins", "permissions": ["administrator"]}).json()["role"]
    dev.http.post(f"/api/servers/{sid}/members/{admin.id}/roles", json={"roleId": role["id"]})
    assert admin.http.post(path, json={"serverId": sid}).status_code == 200
    assert app["botUserId"] in members(dev, sid)
    refused(dev.http.post(path, json={"serverId": UNKNOWN}), 404, "server not found")
    refused(dev.http.post(f"/api/dev/apps/{UNKNOWN}/install", json={"serverId": sid}), 404,
            "app not found")
    for bad in ({}, {"serverId": 5}, {"serverId": sid, "permissions": ["fly"]},
                {"serverId": sid, "permissions": "kick_members"}):
        refused(dev.http.post(path, json=bad), 400)


def test_the_invite_helper_gives_a_bot_invite_url_serving_a_page(people, world):
    app = world.strong_app["id"]
    body = succeeded(world.owner.http.get(f"/api/dev/apps/{app}/invite"))
    assert set(body) == {"ok", "url"} and body["url"].endswith(f"/bot-invite/{app}")
    url = body["url"] if body["url"].startswith("http") else \
        str(world.owner.http.base_url).rstrip("/") + body["url"]
    page = httpx.get(url, timeout=15)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert app in page.text
    refused(world.outsider.http.get(f"/api/dev/apps/{app}/invite"), 404, "app not found")


def test_bootstrap_and_health(world):
    answer = world.owner.http.get("/api", params={"bot": "1"}, headers={"Authorization": ""})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("name", "gateway", "heartbeatInterval", "auth")} == {
        "name": "MaxChat", "gateway": "/gateway", "heartbeatInterval": HEARTBEAT_MS,
        "auth": ["Bearer", "Bot"]}
    health = world.owner.http.get("/health")
    assert (health.status_code, health.json()) == (200, {"ok": True})


# The 15 bot routes: refusals, in decision 4's order

def valid(route: str, w: World) -> dict:
    """A body the strong bot's call would succeed with (the refusal tests change one thing)."""
    s = {"serverId": w.sid}
    return {
        "messages/send": {**s, "channelId": w.cid, "content": "hi"},
        "messages/edit": {**s, "channelId": w.cid, "messageId": w.strong_message,
                          "content": "edited"},
        "messages/delete": {**s, "channelId": w.cid, "messageId": w.strong_message},
        "presence": {"status": "online"},
        "profile": {"bio": "hello"},
        "roles/add": {**s, "userId": w.member.id, "roleId": w.role},
        "roles/remove": {**s, "userId": w.member.id, "roleId": w.role},
        "members/nick": {**s, "userId": w.member.id, "nick": "nick"},
        "members/kick": {**s, "userId": w.member.id},
        "members/ban": {**s, "userId": w.member.id},
        "channels/create": {**s, "name": "made"},
        "channels/edit": {**s, "channelId": w.cid, "topic": "edited"},
        "channels/delete": {**s, "channelId": w.cid},
        "servers/rename": {**s, "name": "renamed"},
        "invites/create": s,
    }[route]


ROUTES = ["messages/send", "messages/edit", "messages/delete", "presence", "profile",
          "roles/add", "roles/remove", "members/nick", "members/kick", "members/ban",
          "channels/create", "channels/edit", "channels/delete", "servers/rename",
          "invites/create"]
IN_SERVER = [r for r in ROUTES if r not in ("presence", "profile")]


def test_the_seed_lists_15_bot_routes():
    assert len(ROUTES) == len(set(ROUTES)) == 15


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("authorization", [
    None, "", "Bot", "Bot nonsense", "Bearer mbt_" + "x" * 40, "Basic {token}", "{token}",
    "Bot {user}", "Bearer {user}", "Bot " + "x" * 5000,
], ids=["missing", "empty", "no token", "unknown", "unknown mbt_", "Basic scheme", "no scheme",
        "user token as Bot", "user token as Bearer", "huge"])
def test_a_bot_route_refuses_a_missing_or_bad_token_with_401_before_anything(
        server, world, route, authorization):
    headers = {} if authorization is None else {"Authorization": authorization.replace(
        "{token}", world.strong.headers["Authorization"].split()[1]).replace(
        "{user}", world.owner.token)}
    with watched(httpx.Client(base_url=server.url, timeout=15, headers=headers)) as client:
        refused(client.post(f"/api/bot/{route}", json=valid(route, world)), 401)
        refused(client.post(f"/api/bot/{route}", json={"serverId": 5}), 401)  # before the body
        refused(client.post(f"/api/bot/{route}", content=b"{nope"), 401)


@pytest.mark.parametrize("route", IN_SERVER)
@pytest.mark.parametrize("scheme", ["Bot", "Bearer", "bot", "BEARER"])
def test_a_good_token_is_accepted_with_either_scheme(people, world, route, scheme):
    """The token is checked first, so an unknown server's 404 shows it was accepted."""
    token = world.strong.headers["Authorization"].split()[1]
    client = people.bot(token, scheme)
    refused(client.post(f"/api/bot/{route}", json={**valid(route, world), "serverId": UNKNOWN}),
            404, "server not found")


@pytest.mark.parametrize("scheme", ["Bot", "Bearer"])
def test_presence_and_profile_accept_either_scheme(people, world, scheme):
    client = people.bot(world.weak.headers["Authorization"].split()[1], scheme)
    succeeded(client.post("/api/bot/presence", json={"status": "idle"}))
    succeeded(client.post("/api/bot/profile", json={"bio": f"{scheme} works"}))


@pytest.mark.parametrize("route", IN_SERVER)
@pytest.mark.parametrize("change", [
    "missing serverId", "int serverId", "null serverId", "empty serverId", "list body",
    "malformed JSON", "no body"])
def test_a_bot_route_refuses_a_wrong_body_with_400(world, route, change):
    body = valid(route, world)
    if change == "missing serverId":
        del body["serverId"]
    elif change == "int serverId":
        body["serverId"] = 123
    elif change == "null serverId":
        body["serverId"] = None
    elif change == "empty serverId":
        body["serverId"] = ""
    if change == "list body":
        answer = world.strong.post(f"/api/bot/{route}", json=[body])
    elif change == "malformed JSON":
        answer = world.strong.post(f"/api/bot/{route}", content=b'{"serverId": ',
                                   headers={"Content-Type": "application/json"})
    elif change == "no body":
        answer = world.strong.post(f"/api/bot/{route}")
    else:
        answer = world.strong.post(f"/api/bot/{route}", json=body)
    refused(answer, 400)


def wrong_bodies(w: World) -> list[tuple[str, dict]]:
    """Route-specific shapes and types, each a 400 even for an unknown server (body first)."""
    s = {"serverId": UNKNOWN}
    return [
        ("messages/send", {**s, "channelId": w.cid}),
        ("messages/send", {**s, "channelId": w.cid, "content": ""}),
        ("messages/send", {**s, "channelId": w.cid, "content": "x" * 4001}),
        ("messages/send", {**s, "channelId": 1, "content": "x"}),
        ("messages/edit", {**s, "channelId": w.cid, "messageId": w.strong_message}),
        ("messages/edit", {**s, "channelId": w.cid, "content": "x"}),
        ("messages/delete", {**s, "channelId": w.cid}),
        ("messages/delete", {**s, "channelId": w.cid, "messageId": 5}),
        ("presence", {"status": "away"}),
        ("presence", {}),
        ("presence", {"status": 1}),
        ("profile", {"username": "x"}),
        ("profile", {"bio": 5}),
        ("roles/add", {**s, "userId": w.member.id}),
        ("roles/add", {**s, "roleId": w.role}),
        ("roles/remove", {**s, "userId": 5, "roleId": w.role}),
        ("members/nick", {**s, "userId": w.member.id, "nick": "n" * 33}),
        ("members/nick", {**s, "nick": "n"}),
        ("members/kick", {**s}),
        ("members/kick", {**s, "userId": [w.member.id]}),
        ("members/ban", {**s}),
        ("channels/create", {**s}),
        ("channels/create", {**s, "name": ""}),
        ("channels/edit", {**s}),
        ("channels/delete", {**s}),
        ("servers/rename", {**s}),
        ("servers/rename", {**s, "name": ""}),
        ("servers/rename", {**s, "name": "x" * 101}),
        ("invites/create", {**s, "maxUses": "many"}),
    ]


def test_a_bot_route_refuses_a_wrong_route_specific_body_with_400(world):
    for route, body in wrong_bodies(world):
        answer = world.strong.post(f"/api/bot/{route}", json=body)
        assert answer.status_code == 400, f"{route} {body}: {answer.text}"
        refused(answer, 400)


@pytest.mark.parametrize("route", IN_SERVER)
def test_a_bot_route_refuses_an_unknown_server_with_404(world, route):
    for sid in (UNKNOWN, "not-a-server"):
        refused(world.strong.post(f"/api/bot/{route}", json={**valid(route, world),
                                                             "serverId": sid}),
                404, "server not found")


@pytest.mark.parametrize("route", IN_SERVER)
def test_a_bot_route_refuses_a_server_without_the_install_with_403(world, route):
    """The other ids are home's, unknown in `elsewhere`: the install is checked first."""
    refused(world.strong.post(f"/api/bot/{route}", json={**valid(route, world),
                                                         "serverId": world.elsewhere}),
            403, NOT_INSTALLED)
    refused(world.stray.post(f"/api/bot/{route}", json=valid(route, world)), 403, NOT_INSTALLED)


def unknown_ids(w: World) -> list[tuple[str, dict, str]]:
    """(route, change, message): each an unknown id the server would 404."""
    return [
        ("messages/send", {"channelId": UNKNOWN}, "channel not found"),
        ("messages/send", {"channelId": w.elsewhere_cid}, "channel not found"),
        ("messages/edit", {"channelId": UNKNOWN}, "channel not found"),
        ("messages/edit", {"messageId": UNKNOWN}, "message not found"),
        ("messages/edit", {"messageId": "not-an-id"}, "message not found"),
        ("messages/delete", {"channelId": UNKNOWN}, "channel not found"),
        ("messages/delete", {"messageId": UNKNOWN}, "message not found"),
        ("roles/add", {"userId": UNKNOWN}, "member not found"),
        ("roles/add", {"userId": w.outsider.id}, "member not found"),
        ("roles/add", {"roleId": UNKNOWN}, "role not found"),
        ("roles/remove", {"userId": UNKNOWN}, "member not found"),
        ("roles/remove", {"roleId": UNKNOWN}, "role not found"),
        ("members/nick", {"userId": UNKNOWN}, "member not found"),
        ("members/nick", {"userId": w.outsider.id}, "member not found"),
        ("members/kick", {"userId": UNKNOWN}, "member not found"),
        ("members/kick", {"userId": w.outsider.id}, "member not found"),
        ("members/ban", {"userId": UNKNOWN}, "member not found"),
        ("channels/edit", {"channelId": UNKNOWN}, "channel not found"),
        ("channels/delete", {"channelId": UNKNOWN}, "channel not found"),
        ("channels/delete", {"channelId": w.elsewhere_cid}, "channel not found"),
        ("invites/create", {"channelId": UNKNOWN}, "channel not found"),
    ]


@pytest.mark.parametrize("bot", ["strong", "weak"])
def test_a_bot_route_refuses_unknown_ids_with_404_before_permissions(world, bot):
    """The weak bot lacks every permission: a 404 still comes before its 403."""
    client = getattr(world, bot)
    for route, change, message in unknown_ids(world):
        answer = client.post(f"/api/bot/{route}", json={**valid(route, world), **change})
        assert answer.status_code == 404, f"{route} {change}: {answer.text}"
        refused(answer, 404, message)
    assert world.member.id in members(world.owner, world.sid)


def without_permission(w: World) -> list[tuple[str, dict, str]]:
    """(route, body changes, the permission the weak bot lacks)."""
    return [
        ("messages/delete", {"messageId": w.human_message}, "manage_messages"),
        ("messages/delete", {"messageId": w.strong_message}, "manage_messages"),
        ("roles/add", {}, "manage_roles"),
        ("roles/remove", {}, "manage_roles"),
        ("members/nick", {}, "manage_nicknames"),
        ("members/kick", {}, "kick_members"),
        ("members/ban", {}, "ban_members"),
        ("channels/create", {}, "manage_channels"),
        ("channels/edit", {}, "manage_channels"),
        ("channels/delete", {}, "manage_channels"),
        ("servers/rename", {}, "manage_server"),
    ]


def test_a_bot_without_the_permission_is_refused_with_403(world):
    before = (members(world.owner, world.sid), channels(world.owner, world.sid),
              world.owner.http.get(f"/api/servers/{world.sid}").json()["server"]["name"])
    for route, change, permission in without_permission(world):
        answer = world.weak.post(f"/api/bot/{route}", json={**valid(route, world), **change})
        assert answer.status_code == 403, f"{route}: {answer.text}"
        refused(answer, 403, f"missing permission: {permission}")
    assert (members(world.owner, world.sid), channels(world.owner, world.sid),
            world.owner.http.get(f"/api/servers/{world.sid}").json()["server"]["name"]) == before
    assert {world.human_message, world.strong_message} <= {
        m["id"] for m in history(world.owner, world.sid, world.cid)}


@pytest.mark.parametrize("route", ["members/nick", "members/kick", "members/ban"])
def test_nobody_can_nick_kick_or_ban_the_owner(world, route):
    refused(world.strong.post(f"/api/bot/{route}", json={**valid(route, world),
                                                         "userId": world.owner.id}),
            403, OWNER)
    owner = members(world.owner, world.sid)[world.owner.id]
    assert owner["nick"] is None
    assert world.owner.http.get(f"/api/servers/{world.sid}").status_code == 200


def test_a_bot_edits_only_its_own_messages(world):
    refused(world.strong.post("/api/bot/messages/edit", json={
        **valid("messages/edit", world), "messageId": world.human_message}),
            403, "you can only edit your own messages")
    refused(world.strong.post("/api/bot/messages/edit", json={
        **valid("messages/edit", world), "messageId": world.weak_message}),
            403, "you can only edit your own messages")
    shown = {m["id"]: m["content"] for m in history(world.owner, world.sid, world.cid)}
    assert (shown[world.human_message], shown[world.weak_message]) == ("a human's",
                                                                       "the weak bot's")
    refused(world.member.http.patch(
        f"/api/servers/{world.sid}/channels/{world.cid}/messages/{world.weak_message}",
        json={"content": "a human edits a bot"}), 403, "you can only edit your own messages")


# The 15 bot routes: successes, seen through the human routes

def test_messages_send(world):
    answer = world.strong.post("/api/bot/messages/send", json={
        "serverId": world.sid, "channelId": world.cid, "content": "beep"})
    body = succeeded(answer)
    assert set(body) == {"ok", "message"}
    sent = body["message"]
    assert set(sent) == MESSAGE_KEYS and sent["id"].isdigit()
    assert (sent["serverId"], sent["channelId"], sent["content"], sent["editedAt"]) == (
        world.sid, world.cid, "beep", None)
    assert sent["author"]["id"] == world.strong_app["botUserId"]
    assert sent["author"]["bot"] is True
    assert history(world.member, world.sid, world.cid)[0] == sent
    assert send(world.strong, world.sid, world.cid, "x" * 4000)["content"] == "x" * 4000


def test_messages_edit(world):
    mine = send(world.strong, world.sid, world.cid, "draft")
    body = succeeded(world.strong.post("/api/bot/messages/edit", json={
        "serverId": world.sid, "channelId": world.cid, "messageId": mine["id"],
        "content": "final"}))
    edited = body["message"]
    assert (edited["id"], edited["content"]) == (mine["id"], "final")
    assert isinstance(edited["editedAt"], int) and edited["editedAt"] >= mine["createdAt"]
    assert edited in history(world.member, world.sid, world.cid)


def test_messages_delete_own_and_any_with_manage_messages(world):
    mine = send(world.weak, world.sid, world.cid, "gone soon")
    succeeded(world.weak.post("/api/bot/messages/delete", json={
        "serverId": world.sid, "channelId": world.cid, "messageId": mine["id"]}))
    theirs = world.member.http.post(f"/api/servers/{world.sid}/channels/{world.cid}/messages",
                                    json={"content": "moderate me"}).json()["message"]
    succeeded(world.strong.post("/api/bot/messages/delete", json={
        "serverId": world.sid, "channelId": world.cid, "messageId": theirs["id"]}))
    left = {m["id"] for m in history(world.owner, world.sid, world.cid)}
    assert mine["id"] not in left and theirs["id"] not in left
    refused(world.strong.post("/api/bot/messages/delete", json={
        "serverId": world.sid, "channelId": world.cid, "messageId": theirs["id"]}), 404,
        "message not found")


@pytest.mark.parametrize("body", [{"status": "online"}, {"status": "idle"},
                                  {"status": "dnd", "activity": "working"},
                                  {"status": "invisible"}])
def test_presence(world, body):
    assert set(succeeded(world.strong.post("/api/bot/presence", json=body))) == {"ok"}


def test_profile(people, world):
    dev = world.owner
    srv = dev.server("Profiles")
    app, token = dev.app("Profiled")
    dev.install(app["id"], srv["id"])
    client = people.bot(token)
    body = succeeded(client.post("/api/bot/profile", json={
        "username": "Renamed Bot", "avatarUrl": "https://example.com/a.png", "bio": "I ping"}))
    assert body["user"]["username"] == "Renamed Bot" and body["user"]["bot"] is True
    sent = send(client, srv["id"], srv["channels"][0]["id"], "with my new face")
    author = history(dev, srv["id"], srv["channels"][0]["id"])[0]["author"]
    assert author == sent["author"]
    assert (author["username"], author["avatarUrl"]) == ("Renamed Bot",
                                                         "https://example.com/a.png")
    succeeded(client.post("/api/bot/profile", json={"bio": "only the bio"}))
    assert history(dev, srv["id"], srv["channels"][0]["id"])[0]["author"]["username"] == \
        "Renamed Bot"
    assert members(dev, srv["id"])[app["botUserId"]]["username"] == "Renamed Bot"


def test_roles_add_and_remove(world, crew):
    helper = crew[0]
    sid, _ = room(world, helper)
    role = world.owner.http.post(f"/api/servers/{sid}/roles", json={
        "name": "extra", "permissions": ["manage_channels"]}).json()["role"]["id"]
    refused(helper.http.post(f"/api/servers/{sid}/channels", json={"name": "nope"}), 403,
            "missing permission: manage_channels")
    succeeded(world.strong.post("/api/bot/roles/add", json={
        "serverId": sid, "userId": helper.id, "roleId": role}))
    assert members(world.owner, sid)[helper.id]["roleIds"] == [role]
    assert helper.http.post(f"/api/servers/{sid}/channels",
                            json={"name": "helpers"}).status_code == 201
    succeeded(world.strong.post("/api/bot/roles/remove", json={
        "serverId": sid, "userId": helper.id, "roleId": role}))
    assert members(world.owner, sid)[helper.id]["roleIds"] == []
    refused(helper.http.post(f"/api/servers/{sid}/channels", json={"name": "nope"}), 403,
            "missing permission: manage_channels")


def test_removing_the_bots_role_takes_its_permissions(people, world):
    dev = world.owner
    srv = dev.server("Demoted")
    app, token = dev.app("Demotable")
    dev.install(app["id"], srv["id"])
    client = people.bot(token)
    [role] = [r for r in roles(dev, srv["id"]) if r["name"] == "Demotable"]
    succeeded(client.post("/api/bot/servers/rename", json={"serverId": srv["id"],
                                                           "name": "still allowed"}))
    answer = dev.http.delete(f"/api/servers/{srv['id']}/members/{app['botUserId']}/roles/"
                             f"{role['id']}")
    assert answer.status_code == 200, answer.text
    refused(client.post("/api/bot/servers/rename", json={"serverId": srv["id"],
                                                         "name": "not any more"}),
            403, "missing permission: manage_server")


def test_members_nick(world, crew):
    target = crew[0]
    sid, _ = room(world, target)
    succeeded(world.strong.post("/api/bot/members/nick", json={
        "serverId": sid, "userId": target.id, "nick": "Nicky"}))
    assert members(world.owner, sid)[target.id]["nick"] == "Nicky"
    succeeded(world.strong.post("/api/bot/members/nick", json={
        "serverId": sid, "userId": target.id, "nick": None}))
    assert members(world.owner, sid)[target.id]["nick"] is None


def test_members_kick(world, crew):
    target = crew[0]
    sid, _ = room(world, target)
    succeeded(world.strong.post("/api/bot/members/kick", json={
        "serverId": sid, "userId": target.id, "reason": "spam"}))
    assert target.id not in members(world.owner, sid)
    refused(target.http.get(f"/api/servers/{sid}"), 403, NOT_MEMBER)
    world.owner.invite_in(target, sid)  # a kick is not a ban


def test_members_ban(world, crew):
    target = crew[0]
    sid, _ = room(world, target)
    code = succeeded(world.strong.post("/api/bot/invites/create",
                                       json={"serverId": sid}))["code"]
    succeeded(world.strong.post("/api/bot/members/ban", json={
        "serverId": sid, "userId": target.id, "reason": "abuse"}))
    assert target.id not in members(world.owner, sid)
    refused(target.http.get(f"/api/servers/{sid}"), 403, NOT_MEMBER)
    refused(target.http.post(f"/api/invites/{code}/accept"), 403, "you are banned from this server")
    assert target.id not in members(world.owner, sid)


def test_channels_create(world):
    body = succeeded(world.strong.post("/api/bot/channels/create", json={
        "serverId": world.sid, "name": "bot-news", "topic": "from a bot"}))
    made = body["channel"]
    assert set(made) == CHANNEL_KEYS and made["id"].isdigit()
    assert (made["serverId"], made["name"], made["type"], made["topic"]) == (
        world.sid, "bot-news", "text", "from a bot")
    assert channels(world.member, world.sid)[made["id"]] == made


def test_channels_edit(world):
    made = succeeded(world.strong.post("/api/bot/channels/create", json={
        "serverId": world.sid, "name": "to-edit"}))["channel"]
    body = succeeded(world.strong.post("/api/bot/channels/edit", json={
        "serverId": world.sid, "channelId": made["id"], "name": "edited", "topic": "new"}))
    assert (body["channel"]["id"], body["channel"]["name"], body["channel"]["topic"]) == (
        made["id"], "edited", "new")
    shown = channels(world.member, world.sid)[made["id"]]
    assert (shown["name"], shown["topic"]) == ("edited", "new")


def test_channels_delete(world):
    made = succeeded(world.strong.post("/api/bot/channels/create", json={
        "serverId": world.sid, "name": "to-delete"}))["channel"]
    succeeded(world.strong.post("/api/bot/channels/delete", json={
        "serverId": world.sid, "channelId": made["id"]}))
    assert made["id"] not in channels(world.member, world.sid)
    refused(world.member.http.post(
        f"/api/servers/{world.sid}/channels/{made['id']}/messages", json={"content": "x"}),
        404, "channel not found")
    refused(world.strong.post("/api/bot/channels/delete", json={
        "serverId": world.sid, "channelId": made["id"]}), 404, "channel not found")


def test_servers_rename(world):
    succeeded(world.strong.post("/api/bot/servers/rename", json={"serverId": world.sid,
                                                                 "name": "Bot's Home"}))
    assert world.member.http.get(
        f"/api/servers/{world.sid}").json()["server"]["name"] == "Bot's Home"


@pytest.mark.parametrize("bot", ["strong", "weak"])
def test_invites_create_gives_a_code_a_human_can_use(world, crew, bot):
    """`@everyone` carries create_invites (decision 4), so even the weak bot may."""
    sid, cid = room(world, weak=True)
    body = succeeded(getattr(world, bot).post("/api/bot/invites/create", json={
        "serverId": sid, "channelId": cid, "maxUses": 1}))
    assert set(body) == {"ok", "code", "url"} and body["code"] in body["url"]
    guest, late = crew[:2]
    answer = guest.http.post(f"/api/invites/{body['code']}/accept")
    assert answer.status_code == 200 and answer.json()["server"]["id"] == sid
    assert guest.id in members(world.owner, sid)
    refused(late.http.post(f"/api/invites/{body['code']}/accept"), 404)


def test_every_bot_route_succeeds_and_answers_ok(people, world, crew):
    """One call of each of the 15 in a server of their own, in an order that keeps every id
    alive until its route has run."""
    dev, (target, victim) = world.owner, crew[:2]
    srv = dev.server("All15")
    sid, cid = srv["id"], srv["channels"][0]["id"]
    for human in (target, victim):
        dev.invite_in(human, sid)
    role = dev.http.post(f"/api/servers/{sid}/roles", json={"name": "r"}).json()["role"]["id"]
    app, token = dev.app("AllRoutes")
    dev.install(app["id"], sid)
    client = people.bot(token)
    mid = send(client, sid, cid, "one")["id"]
    made = succeeded(client.post("/api/bot/channels/create",
                                 json={"serverId": sid, "name": "c"}))["channel"]["id"]
    calls = [
        ("messages/edit", {"serverId": sid, "channelId": cid, "messageId": mid, "content": "2"}),
        ("messages/delete", {"serverId": sid, "channelId": cid, "messageId": mid}),
        ("presence", {"status": "dnd"}),
        ("profile", {"bio": "all of them"}),
        ("roles/add", {"serverId": sid, "userId": target.id, "roleId": role}),
        ("roles/remove", {"serverId": sid, "userId": target.id, "roleId": role}),
        ("members/nick", {"serverId": sid, "userId": target.id, "nick": "t"}),
        ("members/kick", {"serverId": sid, "userId": target.id}),
        ("members/ban", {"serverId": sid, "userId": victim.id}),
        ("channels/edit", {"serverId": sid, "channelId": made, "topic": "t"}),
        ("channels/delete", {"serverId": sid, "channelId": made}),
        ("servers/rename", {"serverId": sid, "name": "All 15 done"}),
        ("invites/create", {"serverId": sid}),
    ]
    assert {route for route, _ in calls} | {"messages/send", "channels/create"} == set(ROUTES)
    for route, body in calls:
        answer = client.post(f"/api/bot/{route}", json=body)
        assert answer.status_code == 200 and answer.json()["ok"] is True, f"{route}: " \
                                                                          f"{answer.text}"
    assert set(members(dev, sid)) == {dev.id, app["botUserId"]}
    assert dev.http.get(f"/api/servers/{sid}").json()["server"]["name"] == "All 15 done"


def test_bot_and_dev_errors_are_json_envelopes_on_unknown_paths(world):
    answer = world.strong.post("/api/bot/messages/teleport", json={"serverId": world.sid})
    assert answer.status_code == 404 and list(answer.json()) == ["error"], answer.text

