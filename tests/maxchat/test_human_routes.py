"""MaxChat's human routes against a real server (maxchat.md decisions 2, 4 and 6, the "Human
routes" table): every route's success status and shape, its refusals with the exact
`{"error": ...}` envelope, the permissions of decision 4 (a plain member has only
`create_invites`), and never a 500."""
import secrets
import string
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.maxchat.checks import refused, watched
from tests.maxchat.conftest import Human

UNKNOWN = "999999999999"  # digits, never issued by this server
USER_KEYS = {"id", "username", "avatarUrl", "bio", "bot"}
SERVER_KEYS = {"id", "name", "ownerId", "channels", "roles"}
CHANNEL_KEYS = {"id", "serverId", "name", "type", "topic", "position"}
ROLE_KEYS = {"id", "serverId", "name", "color", "permissions", "position"}
MESSAGE_KEYS = {"id", "serverId", "channelId", "author", "content", "createdAt", "editedAt"}
AUTHOR_KEYS = {"id", "username", "avatarUrl", "bot"}
MEMBER_KEYS = {"userId", "username", "nick", "roleIds", "joinedAt", "bot"}
NOT_MEMBER = "not a member of this server"
NAME_CHARS = string.ascii_letters + string.digits + "_.-"


def unique(prefix: str = "user") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def is_digits(value: object) -> bool:
    return isinstance(value, str) and value.isdigit()


class People:
    """Humans made for this module, each client checked for 5xx, closed at its end."""

    def __init__(self, server) -> None:
        self.server, self.made = server, []

    def __call__(self, prefix: str = "user") -> Human:
        human = Human(self.server, unique(prefix))
        watched(human.http)
        self.made.append(human)
        return human


@pytest.fixture(scope="module")
def people(server) -> Iterator[People]:
    made = People(server)
    yield made
    for human in made.made:
        human.http.close()


@pytest.fixture(scope="module")
def anon(server) -> Iterator[httpx.Client]:
    with watched(httpx.Client(base_url=server.url, timeout=15)) as client:
        yield client


@pytest.fixture(scope="module")
def owner(people) -> Human:
    return people("owner")


@pytest.fixture(scope="module")
def member(people, owner, home) -> Human:
    """Joined `home` by invite, with no role: only @everyone's create_invites."""
    joined = people("member")
    owner.invite_in(joined, home["id"])
    return joined


@pytest.fixture(scope="module")
def outsider(people) -> Human:
    return people("outsider")


@pytest.fixture(scope="module")
def crew(people) -> list[Human]:
    """Four more humans, joined to fresh servers by the tests that remove or add members."""
    return [people(f"crew{n}") for n in range(4)]


@pytest.fixture(scope="module")
def home(owner) -> dict:
    return owner.server("Home")


def general(server: dict) -> str:
    return next(c["id"] for c in server["channels"] if c["name"] == "general")


def messages_path(sid: str, cid: str) -> str:
    return f"/api/servers/{sid}/channels/{cid}/messages"


def say(human: Human, sid: str, cid: str, content: str) -> dict:
    answer = human.http.post(messages_path(sid, cid), json={"content": content})
    assert answer.status_code == 201, answer.text
    return answer.json()["message"]


def history(human: Human, sid: str, cid: str, **query) -> list[dict]:
    answer = human.http.get(messages_path(sid, cid), params=query)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"ok", "messages"} and answer.json()["ok"] is True
    return answer.json()["messages"]


def members(human: Human, sid: str) -> dict[str, dict]:
    answer = human.http.get(f"/api/servers/{sid}/members")
    assert answer.status_code == 200, answer.text
    return {m["userId"]: m for m in answer.json()["members"]}


def make_role(owner: Human, sid: str, *permissions: str) -> dict:
    answer = owner.http.post(f"/api/servers/{sid}/roles",
                             json={"name": unique("role"), "permissions": list(permissions)})
    assert answer.status_code == 201, answer.text
    return answer.json()["role"]


def grant(owner: Human, sid: str, user: Human, *permissions: str) -> dict:
    role = make_role(owner, sid, *permissions)
    answer = owner.http.post(f"/api/servers/{sid}/members/{user.id}/roles",
                             json={"roleId": role["id"]})
    assert (answer.status_code, answer.json()) == (200, {"ok": True}), answer.text
    return role


def invite_code(human: Human, sid: str, **body) -> str:
    answer = human.http.post(f"/api/servers/{sid}/invites", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


def fresh(owner: Human, *joining: Human) -> str:
    """A new server of `owner`'s, `joining` invited in: its id."""
    sid = owner.server(unique("srv"))["id"]
    for human in joining:
        owner.invite_in(human, sid)
    return sid


# Accounts

def register(anon: httpx.Client, username: str, password: str = "password123") -> httpx.Response:
    return anon.post("/api/auth/register", json={"username": username, "password": password})


def test_register_answers_201_with_the_user_and_a_token(anon):
    name = unique("Reg")
    answer = register(anon, name)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"ok", "user", "token"} and body["ok"] is True
    assert set(body["user"]) == USER_KEYS
    assert body["user"]["username"] == name and body["user"]["bot"] is False
    assert is_digits(body["user"]["id"])
    assert isinstance(body["token"], str) and len(body["token"]) >= 16
    me = anon.get("/api/users/@me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json() == {"ok": True, "user": body["user"]}


def test_register_accepts_the_shortest_and_longest_usernames_and_passwords(anon):
    shortest = "".join(secrets.choice(NAME_CHARS) for _ in range(2))
    longest = "".join(secrets.choice(NAME_CHARS) for _ in range(32))
    assert register(anon, shortest, "p" * 8).status_code == 201
    assert register(anon, longest, "p" * 128).status_code == 201


@pytest.mark.parametrize("body", [
    {"username": "a", "password": "password123"},
    {"username": "a" * 33, "password": "password123"},
    {"username": "has space", "password": "password123"},
    {"username": "bad!char", "password": "password123"},
    {"username": "émile", "password": "password123"},
    {"username": "", "password": "password123"},
    {"username": 12345, "password": "password123"},
    {"username": "valid_name", "password": "short7!"},
    {"username": "valid_name", "password": "p" * 129},
    {"username": "valid_name", "password": 12345678},
    {"password": "password123"},
    {"username": "valid_name"},
    {},
], ids=["1 char", "33 chars", "space", "bang", "non-ascii", "empty", "int username",
        "7-char password", "129-char password", "int password", "no username", "no password",
        "empty body"])
def test_register_refuses_a_bad_username_or_password_with_400(anon, body):
    refused(anon.post("/api/auth/register", json=body), 400)


def test_register_refuses_a_malformed_body_with_400(anon):
    refused(anon.post("/api/auth/register", content=b"{not json",
                      headers={"Content-Type": "application/json"}), 400)
    refused(anon.post("/api/auth/register", json=["alice", "password123"]), 400)


def test_a_username_is_unique_ignoring_case(anon):
    name = unique("Case")
    assert register(anon, name).status_code == 201
    refused(register(anon, name), 409, "username already taken")
    refused(register(anon, name.swapcase()), 409, "username already taken")


def test_login_gives_a_new_token_and_both_tokens_work(anon):
    name = unique("login")
    first = register(anon, name, "correct horse").json()
    answer = anon.post("/api/auth/login", json={"username": name, "password": "correct horse"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"ok", "user", "token"} and body["ok"] is True
    assert body["user"] == first["user"] and body["token"] != first["token"]
    for token in (first["token"], body["token"]):
        me = anon.get("/api/users/@me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["user"]["id"] == first["user"]["id"]


def test_login_refuses_a_wrong_password_or_unknown_user_with_401(anon):
    name = unique("login")
    register(anon, name, "correct horse")
    for body in ({"username": name, "password": "wrong horse"},
                 {"username": unique("nobody"), "password": "correct horse"}):
        refused(anon.post("/api/auth/login", json=body), 401, "invalid username or password")


def test_logout_revokes_only_the_token_it_was_sent_with(anon):
    name = unique("logout")
    kept = register(anon, name).json()["token"]
    used = anon.post("/api/auth/login",
                     json={"username": name, "password": "password123"}).json()["token"]
    answer = anon.post("/api/auth/logout", headers={"Authorization": f"Bearer {used}"})
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    refused(anon.get("/api/users/@me", headers={"Authorization": f"Bearer {used}"}), 401)
    refused(anon.post("/api/auth/logout", headers={"Authorization": f"Bearer {used}"}), 401)
    assert anon.get("/api/users/@me",
                    headers={"Authorization": f"Bearer {kept}"}).status_code == 200


def test_users_me_answers_the_callers_user(owner):
    answer = owner.http.get("/api/users/@me")
    assert (answer.status_code, answer.json()) == (200, {"ok": True, "user": owner.user})
    assert owner.user["username"] == owner.username


def human_routes(sid: str, cid: str, mid: str, uid: str, rid: str) -> list[tuple[str, str]]:
    s = f"/api/servers/{sid}"
    return [
        ("POST", "/api/auth/logout"), ("GET", "/api/users/@me"),
        ("POST", "/api/servers"), ("GET", "/api/servers"), ("GET", s), ("POST", s + "/name"),
        ("GET", s + "/channels"), ("POST", s + "/channels"),
        ("GET", messages_path(sid, cid)), ("POST", messages_path(sid, cid)),
        ("PATCH", f"{messages_path(sid, cid)}/{mid}"),
        ("DELETE", f"{messages_path(sid, cid)}/{mid}"),
        ("GET", s + "/members"), ("GET", s + "/roles"), ("POST", s + "/roles"),
        ("POST", f"{s}/members/{uid}/roles"), ("DELETE", f"{s}/members/{uid}/roles/{rid}"),
        ("POST", f"{s}/members/{uid}/kick"), ("POST", f"{s}/members/{uid}/ban"),
        ("DELETE", f"{s}/bans/{uid}"), ("POST", s + "/leave"), ("POST", s + "/invites"),
        ("POST", "/api/invites/abcdef/accept"), ("POST", "/api/presence"),
    ]


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer nonsense", "Bearer mut_" + "x" * 40, "Bot {token}",
    "Basic {token}", "{token}", "Bearer " + "x" * 5000,
], ids=["missing", "empty", "no token", "unknown", "unknown mut_", "Bot scheme",
        "Basic scheme", "no scheme", "huge"])
def test_every_human_route_refuses_a_missing_or_bad_bearer_with_401(
        server, owner, member, home, authorization):
    sid, cid = home["id"], general(home)
    mid = say(member, sid, cid, "a message for the 401 checks")["id"]
    rid = home["roles"][0]["id"]
    headers = {} if authorization is None else {
        "Authorization": authorization.replace("{token}", owner.token)}
    body = {"name": "x", "content": "x", "roleId": rid, "status": "online",
            "username": "someone", "password": "password123"}
    with watched(httpx.Client(base_url=server.url, timeout=15, headers=headers)) as client:
        for method, path in human_routes(sid, cid, mid, member.id, rid):
            answer = client.request(method, path, json=None if method in ("GET", "DELETE")
                                    else body)
            assert answer.status_code == 401, f"{method} {path}: {answer.text}"
            refused(answer, 401)
    assert members(owner, sid)[member.id]["userId"] == member.id  # nothing happened


def test_a_bot_token_is_not_a_user_token(owner):
    app, token = owner.app("NotAUser")
    with watched(httpx.Client(base_url=str(owner.http.base_url), timeout=15,
                              headers={"Authorization": f"Bearer {token}"})) as bot:
        refused(bot.get("/api/users/@me"), 401)
        refused(bot.get("/api/servers"), 401)


# Servers

def test_creating_a_server_makes_general_everyone_and_the_owner_a_member(owner):
    answer = owner.http.post("/api/servers", json={"name": "Created"})
    assert answer.status_code == 201, answer.text
    assert set(answer.json()) == {"ok", "server"} and answer.json()["ok"] is True
    made = answer.json()["server"]
    assert set(made) == SERVER_KEYS
    assert is_digits(made["id"]) and made["name"] == "Created" and made["ownerId"] == owner.id
    [channel] = made["channels"]
    assert set(channel) == CHANNEL_KEYS and is_digits(channel["id"])
    assert (channel["serverId"], channel["name"], channel["type"]) == (made["id"], "general",
                                                                       "text")
    [everyone] = made["roles"]
    assert set(everyone) == ROLE_KEYS and is_digits(everyone["id"])
    assert (everyone["serverId"], everyone["name"], everyone["permissions"]) == (
        made["id"], "@everyone", ["create_invites"])
    assert owner.id in members(owner, made["id"])
    assert owner.http.get(f"/api/servers/{made['id']}").json()["server"] == made


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x" * 101}, {"name": 5}, {}],
                         ids=["empty", "101 chars", "int", "missing"])
def test_creating_a_server_refuses_a_bad_name_with_400(owner, body):
    refused(owner.http.post("/api/servers", json=body), 400)


def test_listing_servers_shows_only_the_callers(owner, outsider, home):
    theirs = outsider.server(unique("theirs"))
    listed = owner.http.get("/api/servers")
    assert listed.status_code == 200 and set(listed.json()) == {"ok", "servers"}
    ids = [s["id"] for s in listed.json()["servers"]]
    assert home["id"] in ids and theirs["id"] not in ids
    assert all(set(s) == SERVER_KEYS for s in listed.json()["servers"])
    assert [s["id"] for s in outsider.http.get("/api/servers").json()["servers"]] == [
        theirs["id"]]


def test_getting_a_server_is_404_unknown_and_403_for_a_non_member(owner, outsider, home):
    answer = owner.http.get(f"/api/servers/{home['id']}")
    assert answer.status_code == 200 and answer.json()["server"]["id"] == home["id"]
    refused(owner.http.get(f"/api/servers/{UNKNOWN}"), 404, "server not found")
    refused(owner.http.get("/api/servers/not-digits"), 404, "server not found")
    refused(outsider.http.get(f"/api/servers/{home['id']}"), 403, NOT_MEMBER)


def test_renaming_a_server_needs_manage_server(owner, member, outsider, home):
    sid = home["id"]
    answer = owner.http.post(f"/api/servers/{sid}/name", json={"name": "Renamed home"})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"ok", "server"} and answer.json()["ok"] is True
    assert answer.json()["server"]["name"] == "Renamed home"
    assert member.http.get(f"/api/servers/{sid}").json()["server"]["name"] == "Renamed home"
    refused(member.http.post(f"/api/servers/{sid}/name", json={"name": "Mine now"}), 403,
            "missing permission: manage_server")
    refused(outsider.http.post(f"/api/servers/{sid}/name", json={"name": "Mine now"}), 403,
            NOT_MEMBER)
    refused(owner.http.post(f"/api/servers/{UNKNOWN}/name", json={"name": "x"}), 404,
            "server not found")
    refused(owner.http.post(f"/api/servers/{sid}/name", json={"name": ""}), 400)
    refused(owner.http.post(f"/api/servers/{sid}/name", json={}), 400)
    assert owner.http.get(f"/api/servers/{sid}").json()["server"]["name"] == "Renamed home"


# Channels

def test_channels_are_listed_and_created_with_manage_channels(owner, member, outsider, home):
    sid = home["id"]
    listed = owner.http.get(f"/api/servers/{sid}/channels")
    assert listed.status_code == 200 and set(listed.json()) == {"ok", "channels"}
    assert general(home) in [c["id"] for c in listed.json()["channels"]]
    answer = owner.http.post(f"/api/servers/{sid}/channels",
                             json={"name": "news", "topic": "what is new"})
    assert answer.status_code == 201, answer.text
    assert set(answer.json()) == {"ok", "channel"} and answer.json()["ok"] is True
    made = answer.json()["channel"]
    assert set(made) == CHANNEL_KEYS and is_digits(made["id"])
    assert (made["serverId"], made["name"], made["type"], made["topic"]) == (
        sid, "news", "text", "what is new")
    assert made in member.http.get(f"/api/servers/{sid}/channels").json()["channels"]
    refused(member.http.post(f"/api/servers/{sid}/channels", json={"name": "mine"}), 403,
            "missing permission: manage_channels")
    refused(outsider.http.post(f"/api/servers/{sid}/channels", json={"name": "mine"}), 403,
            NOT_MEMBER)
    refused(outsider.http.get(f"/api/servers/{sid}/channels"), 403, NOT_MEMBER)
    refused(owner.http.get(f"/api/servers/{UNKNOWN}/channels"), 404, "server not found")
    refused(owner.http.post(f"/api/servers/{UNKNOWN}/channels", json={"name": "x"}), 404,
            "server not found")
    for bad in ({"name": ""}, {}, {"name": 3}, {"name": "x" * 101}):
        refused(owner.http.post(f"/api/servers/{sid}/channels", json=bad), 400)


# Messages

def test_sending_a_message_answers_201_with_the_message(member, home):
    sid, cid = home["id"], general(home)
    before = int(time.time() * 1000)
    answer = member.http.post(messages_path(sid, cid), json={"content": "hello there"})
    assert answer.status_code == 201, answer.text
    assert set(answer.json()) == {"ok", "message"} and answer.json()["ok"] is True
    sent = answer.json()["message"]
    assert set(sent) == MESSAGE_KEYS and is_digits(sent["id"])
    assert (sent["serverId"], sent["channelId"], sent["content"], sent["editedAt"]) == (
        sid, cid, "hello there", None)
    assert AUTHOR_KEYS <= set(sent["author"])
    assert {k: sent["author"][k] for k in AUTHOR_KEYS} == {
        "id": member.id, "username": member.username, "avatarUrl": None, "bot": False}
    assert abs(sent["createdAt"] - before) < 60_000
    assert history(member, sid, cid, limit=1) == [sent]


@pytest.mark.parametrize("body", [{"content": ""}, {"content": "x" * 4001}, {"content": 5},
                                  {"content": None}, {}],
                         ids=["empty", "4001 chars", "int", "null", "missing"])
def test_sending_refuses_content_outside_1_to_4000_chars_with_400(member, home, body):
    refused(member.http.post(messages_path(home["id"], general(home)), json=body), 400)


def test_sending_4000_chars_and_unknown_places(member, outsider, home):
    sid, cid = home["id"], general(home)
    assert say(member, sid, cid, "x" * 4000)["content"] == "x" * 4000
    refused(member.http.post(messages_path(sid, UNKNOWN), json={"content": "hi"}), 404,
            "channel not found")
    refused(member.http.post(messages_path(UNKNOWN, cid), json={"content": "hi"}), 404,
            "server not found")
    refused(outsider.http.post(messages_path(sid, cid), json={"content": "hi"}), 403, NOT_MEMBER)
    refused(outsider.http.get(messages_path(sid, cid)), 403, NOT_MEMBER)
    refused(member.http.get(messages_path(sid, UNKNOWN)), 404, "channel not found")


@pytest.fixture(scope="module")
def crowded(owner, member, home) -> tuple[str, str, list[str]]:
    """A channel of 120 messages; their ids, oldest first."""
    sid = home["id"]
    cid = owner.http.post(f"/api/servers/{sid}/channels",
                          json={"name": "crowded"}).json()["channel"]["id"]
    ids = [say(owner if n % 2 else member, sid, cid, f"message {n}")["id"] for n in range(120)]
    return sid, cid, ids


def test_listing_is_newest_first_with_a_default_limit_of_50(owner, crowded):
    sid, cid, ids = crowded
    listed = history(owner, sid, cid)
    assert [m["id"] for m in listed] == ids[::-1][:50]
    assert [m["content"] for m in listed[:2]] == ["message 119", "message 118"]
    assert [m["id"] for m in history(owner, sid, cid, limit=1)] == [ids[-1]]
    assert [m["id"] for m in history(owner, sid, cid, limit=100)] == ids[::-1][:100]


def test_the_before_cursor_pages_through_120_messages_without_overlap(member, crowded):
    sid, cid, ids = crowded
    seen, pages, before = [], [], None
    while True:
        page = history(member, sid, cid, limit=50, **({"before": before} if before else {}))
        if not page:
            break
        pages.append(len(page))
        seen += [m["id"] for m in page]
        before = page[-1]["id"]
    assert pages == [50, 50, 20]
    assert seen == ids[::-1] and len(set(seen)) == 120
    assert [m["id"] for m in history(member, sid, cid, before=ids[10], limit=100)] == \
        ids[:10][::-1]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"limit": -1},
                                   {"limit": "ten"}, {"before": "not-an-id"}],
                         ids=["limit 0", "limit 101", "limit -1", "limit text", "bad before"])
def test_listing_refuses_a_limit_outside_1_to_100_with_400(owner, crowded, query):
    sid, cid, _ = crowded
    refused(owner.http.get(messages_path(sid, cid), params=query), 400)


def test_editing_is_for_ones_own_messages_and_sets_edited_at(owner, member, home):
    sid, cid = home["id"], general(home)
    mine = say(member, sid, cid, "first draft")
    path = f"{messages_path(sid, cid)}/{mine['id']}"
    answer = member.http.patch(path, json={"content": "second draft"})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"ok", "message"} and answer.json()["ok"] is True
    edited = answer.json()["message"]
    assert set(edited) == MESSAGE_KEYS
    assert (edited["id"], edited["content"], edited["createdAt"]) == (
        mine["id"], "second draft", mine["createdAt"])
    assert isinstance(edited["editedAt"], int) and edited["editedAt"] >= mine["createdAt"]
    assert edited in history(owner, sid, cid, limit=100)
    refused(owner.http.patch(path, json={"content": "the owner's words"}), 403,
            "you can only edit your own messages")
    refused(member.http.patch(path, json={"content": ""}), 400)
    refused(member.http.patch(path, json={"content": "x" * 4001}), 400)
    refused(member.http.patch(f"{messages_path(sid, cid)}/{UNKNOWN}", json={"content": "x"}),
            404, "message not found")
    refused(member.http.patch(f"{messages_path(sid, UNKNOWN)}/{mine['id']}",
                              json={"content": "x"}), 404, "channel not found")
    assert history(owner, sid, cid, limit=100)[0]["content"] == "second draft"


def test_deleting_own_message_or_with_manage_messages(owner, crew):
    member, other = crew[0], crew[1]
    sid = fresh(owner, member, other)
    cid = general(owner.http.get(f"/api/servers/{sid}").json()["server"])
    mine = say(member, sid, cid, "delete me")
    theirs = say(other, sid, cid, "not yours")
    owners = say(owner, sid, cid, "the owner's")
    refused(member.http.delete(f"{messages_path(sid, cid)}/{theirs['id']}"), 403,
            "missing permission: manage_messages")
    refused(member.http.delete(f"{messages_path(sid, cid)}/{owners['id']}"), 403,
            "missing permission: manage_messages")
    answer = member.http.delete(f"{messages_path(sid, cid)}/{mine['id']}")
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    answer = owner.http.delete(f"{messages_path(sid, cid)}/{theirs['id']}")
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    left = [m["id"] for m in history(member, sid, cid, limit=100)]
    assert mine["id"] not in left and theirs["id"] not in left and owners["id"] in left
    refused(member.http.delete(f"{messages_path(sid, cid)}/{mine['id']}"), 404,
            "message not found")
    refused(member.http.patch(f"{messages_path(sid, cid)}/{mine['id']}",
                              json={"content": "back"}), 404, "message not found")
    grant(owner, sid, other, "manage_messages")
    answer = other.http.delete(f"{messages_path(sid, cid)}/{owners['id']}")
    assert (answer.status_code, answer.json()) == (200, {"ok": True})


# Members and roles

def test_members_are_listed_with_their_shape(owner, member, outsider, home):
    answer = member.http.get(f"/api/servers/{home['id']}/members")
    assert answer.status_code == 200 and set(answer.json()) == {"ok", "members"}
    listed = {m["userId"]: m for m in answer.json()["members"]}
    assert all(set(m) == MEMBER_KEYS for m in listed.values())
    joined = listed[member.id]
    assert (joined["username"], joined["nick"], joined["roleIds"], joined["bot"]) == (
        member.username, None, [], False)
    assert isinstance(joined["joinedAt"], int) and abs(
        joined["joinedAt"] - time.time() * 1000) < 600_000
    assert listed[owner.id]["username"] == owner.username
    assert outsider.id not in listed
    refused(outsider.http.get(f"/api/servers/{home['id']}/members"), 403, NOT_MEMBER)
    refused(owner.http.get(f"/api/servers/{UNKNOWN}/members"), 404, "server not found")


def test_roles_are_listed_and_created_with_manage_roles(owner, member, outsider, home):
    sid = home["id"]
    answer = owner.http.post(f"/api/servers/{sid}/roles", json={
        "name": "mods", "color": 16711680, "permissions": ["kick_members", "manage_messages"]})
    assert answer.status_code == 201, answer.text
    assert set(answer.json()) == {"ok", "role"} and answer.json()["ok"] is True
    role = answer.json()["role"]
    assert set(role) == ROLE_KEYS and is_digits(role["id"])
    assert (role["serverId"], role["name"], role["color"]) == (sid, "mods", 16711680)
    assert set(role["permissions"]) == {"kick_members", "manage_messages"}
    listed = member.http.get(f"/api/servers/{sid}/roles")
    assert listed.status_code == 200 and set(listed.json()) == {"ok", "roles"}
    assert role in listed.json()["roles"]
    assert "@everyone" in [r["name"] for r in listed.json()["roles"]]
    refused(member.http.post(f"/api/servers/{sid}/roles", json={"name": "mine"}), 403,
            "missing permission: manage_roles")
    refused(outsider.http.get(f"/api/servers/{sid}/roles"), 403, NOT_MEMBER)
    refused(owner.http.post(f"/api/servers/{sid}/roles",
                            json={"name": "bad", "permissions": ["fly"]}), 400,
            "unknown permission: fly")
    for bad in ({"name": ""}, {}, {"name": "x", "permissions": "kick_members"},
                {"name": "x", "color": "red"}):
        refused(owner.http.post(f"/api/servers/{sid}/roles", json=bad), 400)


def test_a_role_gives_its_permissions_until_it_is_removed(owner, crew):
    helper = crew[0]
    sid = fresh(owner, helper)
    refused(helper.http.post(f"/api/servers/{sid}/name", json={"name": "Helper's"}), 403,
            "missing permission: manage_server")
    role = grant(owner, sid, helper, "manage_server")
    assert members(owner, sid)[helper.id]["roleIds"] == [role["id"]]
    assert helper.http.post(f"/api/servers/{sid}/name",
                            json={"name": "Helper's"}).status_code == 200
    answer = owner.http.delete(f"/api/servers/{sid}/members/{helper.id}/roles/{role['id']}")
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    assert members(owner, sid)[helper.id]["roleIds"] == []
    refused(helper.http.post(f"/api/servers/{sid}/name", json={"name": "Again"}), 403,
            "missing permission: manage_server")


def test_adding_a_role_refuses_unknown_ids_and_callers_without_manage_roles(
        owner, member, outsider, home):
    sid = home["id"]
    role = make_role(owner, sid, "manage_channels")
    path = f"/api/servers/{sid}/members/{member.id}/roles"
    refused(member.http.post(path, json={"roleId": role["id"]}), 403,
            "missing permission: manage_roles")
    refused(owner.http.post(path, json={"roleId": UNKNOWN}), 404, "role not found")
    refused(owner.http.post(f"/api/servers/{sid}/members/{UNKNOWN}/roles",
                            json={"roleId": role["id"]}), 404, "member not found")
    refused(owner.http.post(f"/api/servers/{sid}/members/{outsider.id}/roles",
                            json={"roleId": role["id"]}), 404, "member not found")
    refused(owner.http.post(path, json={}), 400)
    refused(owner.http.post(path, json={"roleId": 5}), 400)
    refused(member.http.delete(f"{path}/{role['id']}"), 403, "missing permission: manage_roles")
    assert role["id"] not in members(owner, sid)[member.id]["roleIds"]


# Kicks, bans, leaving

def test_a_kick_needs_kick_members_and_never_hits_the_owner(owner, crew):
    boss, (mod, victim, plain) = owner, crew[:3]
    sid = fresh(boss, mod, victim, plain)
    refused(plain.http.post(f"/api/servers/{sid}/members/{victim.id}/kick", json={}), 403,
            "missing permission: kick_members")
    grant(boss, sid, mod, "kick_members")
    refused(mod.http.post(f"/api/servers/{sid}/members/{boss.id}/kick", json={}), 403,
            "cannot act on the server owner")
    refused(mod.http.post(f"/api/servers/{sid}/members/{UNKNOWN}/kick", json={}), 404,
            "member not found")
    answer = mod.http.post(f"/api/servers/{sid}/members/{victim.id}/kick",
                           json={"reason": "spam"})
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    assert victim.id not in members(boss, sid)
    refused(victim.http.get(f"/api/servers/{sid}"), 403, NOT_MEMBER)
    assert sid not in [s["id"] for s in victim.http.get("/api/servers").json()["servers"]]
    refused(mod.http.post(f"/api/servers/{sid}/members/{victim.id}/kick", json={}), 404,
            "member not found")
    boss.invite_in(victim, sid)  # a kick is not a ban


def test_a_ban_keeps_the_user_out_until_it_is_lifted(owner, crew):
    boss, (mod, victim, plain) = owner, crew[:3]
    sid = fresh(boss, mod, victim, plain)
    code = invite_code(boss, sid)
    refused(plain.http.post(f"/api/servers/{sid}/members/{victim.id}/ban", json={}), 403,
            "missing permission: ban_members")
    grant(boss, sid, mod, "ban_members")
    refused(mod.http.post(f"/api/servers/{sid}/members/{boss.id}/ban", json={}), 403,
            "cannot act on the server owner")
    answer = mod.http.post(f"/api/servers/{sid}/members/{victim.id}/ban",
                           json={"reason": "rude"})
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    assert victim.id not in members(boss, sid)
    refused(victim.http.get(f"/api/servers/{sid}"), 403, NOT_MEMBER)
    refused(victim.http.post(f"/api/invites/{code}/accept"), 403, "you are banned from this server")
    refused(plain.http.delete(f"/api/servers/{sid}/bans/{victim.id}"), 403,
            "missing permission: ban_members")
    refused(victim.http.post(f"/api/invites/{code}/accept"), 403, "you are banned from this server")
    answer = boss.http.delete(f"/api/servers/{sid}/bans/{victim.id}")
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    refused(boss.http.delete(f"/api/servers/{sid}/bans/{victim.id}"), 404, "ban not found")
    answer = victim.http.post(f"/api/invites/{code}/accept")
    assert answer.status_code == 200, answer.text
    assert victim.id in members(boss, sid)


def test_the_owner_cannot_leave_and_a_member_can(owner, crew):
    boss, leaver = owner, crew[0]
    sid = fresh(boss, leaver)
    refused(boss.http.post(f"/api/servers/{sid}/leave"), 400, "the owner cannot leave the server")
    answer = leaver.http.post(f"/api/servers/{sid}/leave")
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    assert sid not in [s["id"] for s in leaver.http.get("/api/servers").json()["servers"]]
    assert leaver.id not in members(boss, sid)
    refused(leaver.http.get(f"/api/servers/{sid}"), 403, NOT_MEMBER)
    refused(leaver.http.post(f"/api/servers/{sid}/leave"), 403, NOT_MEMBER)
    refused(leaver.http.post(f"/api/servers/{UNKNOWN}/leave"), 404, "server not found")
    assert boss.http.get(f"/api/servers/{sid}").json()["server"]["ownerId"] == boss.id


# Invites

def test_an_invite_answers_201_with_a_code_and_url_and_joins(owner, crew):
    srv = owner.server(unique("srv"))
    sid = srv["id"]
    answer = owner.http.post(f"/api/servers/{sid}/invites", json={"channelId": general(srv)})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"ok", "code", "url"} and body["ok"] is True
    assert isinstance(body["code"], str) and body["code"] and body["code"] in body["url"]
    guest = crew[0]
    joined = guest.http.post(f"/api/invites/{body['code']}/accept")
    assert joined.status_code == 200 and set(joined.json()) == {"ok", "server"}
    assert joined.json()["server"]["id"] == sid and set(joined.json()["server"]) == SERVER_KEYS
    assert guest.id in members(owner, sid)
    again = guest.http.post(f"/api/invites/{body['code']}/accept")  # already a member
    assert again.status_code == 200 and again.json()["server"]["id"] == sid
    assert list(members(owner, sid)).count(guest.id) == 1


def test_an_invites_url_opens_a_page_naming_its_server_and_a_bogus_one_is_404(owner):
    sid = owner.server("<Home> & co")["id"]
    url = owner.http.post(f"/api/servers/{sid}/invites", json={}).json()["url"]
    assert url.startswith(str(owner.http.base_url).rstrip("/") + "/invite/")
    page = httpx.get(url, timeout=15)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Join &lt;Home&gt; &amp; co" in page.text and "<Home>" not in page.text
    assert url.rsplit("/", 1)[1] + "/accept" in page.text  # the form posts to accept
    refused(httpx.get(url + "x", timeout=15), 404, "invite not found")


def test_an_invite_with_max_uses_1_is_used_up_after_one_join(owner, crew):
    sid = fresh(owner)
    code = invite_code(owner, sid, maxUses=1)
    first, second = crew[0], crew[1]
    assert first.http.post(f"/api/invites/{code}/accept").status_code == 200
    refused(second.http.post(f"/api/invites/{code}/accept"), 404, "invite not found")
    assert first.id in members(owner, sid) and second.id not in members(owner, sid)


def test_an_expired_invite_is_404(owner, crew):
    sid = fresh(owner)
    code, lasting = invite_code(owner, sid, expiresInSec=1), invite_code(owner, sid,
                                                                        expiresInSec=60)
    late = crew[0]
    time.sleep(1.5)
    refused(late.http.post(f"/api/invites/{code}/accept"), 404, "invite not found")
    assert late.id not in members(owner, sid)
    assert late.http.post(f"/api/invites/{lasting}/accept").status_code == 200


def test_an_unknown_invite_is_404_and_a_bad_invite_body_400(owner, outsider, home):
    refused(outsider.http.post("/api/invites/nosuchcode/accept"), 404, "invite not found")
    refused(outsider.http.post(f"/api/servers/{home['id']}/invites", json={}), 403, NOT_MEMBER)
    refused(owner.http.post(f"/api/servers/{UNKNOWN}/invites", json={}), 404,
            "server not found")
    for bad in ({"maxUses": "x"}, {"expiresInSec": "soon"}, {"maxUses": -1}):
        refused(owner.http.post(f"/api/servers/{home['id']}/invites", json=bad), 400)


# Permissions of a plain member (decision 4)

def test_a_plain_member_has_only_create_invites(owner, crew):
    plain, other, joiner = crew[:3]
    sid = fresh(owner, plain, other)
    cid = general(owner.http.get(f"/api/servers/{sid}").json()["server"])
    theirs = say(other, sid, cid, "someone else's")
    role = make_role(owner, sid, "manage_server")
    s = f"/api/servers/{sid}"
    attempts = [
        ("manage_server", "POST", s + "/name", {"name": "taken over"}),
        ("manage_channels", "POST", s + "/channels", {"name": "mine"}),
        ("manage_roles", "POST", s + "/roles", {"name": "mine"}),
        ("manage_roles", "POST", f"{s}/members/{plain.id}/roles", {"roleId": role["id"]}),
        ("manage_messages", "DELETE", f"{messages_path(sid, cid)}/{theirs['id']}", None),
        ("kick_members", "POST", f"{s}/members/{other.id}/kick", {}),
        ("ban_members", "POST", f"{s}/members/{other.id}/ban", {}),
    ]
    for permission, method, path, body in attempts:
        answer = plain.http.request(method, path, json=body)
        assert answer.status_code == 403, f"{permission}: {answer.text}"
        refused(answer, 403)
    assert other.id in members(owner, sid) and role["id"] not in members(owner, sid)[
        plain.id]["roleIds"]
    code = invite_code(plain, sid)
    assert joiner.http.post(f"/api/invites/{code}/accept").status_code == 200


# Presence

@pytest.mark.parametrize("body", [{"status": "online"}, {"status": "idle"},
                                  {"status": "dnd", "activity": "busy"},
                                  {"status": "invisible"}])
def test_presence_answers_200(member, body):
    answer = member.http.post("/api/presence", json=body)
    assert (answer.status_code, answer.json()) == (200, {"ok": True})


@pytest.mark.parametrize("body", [{"status": "away"}, {"status": ""}, {"status": 1}, {}],
                         ids=["away", "empty", "int", "missing"])
def test_presence_refuses_a_bad_status_with_400(member, body):
    refused(member.http.post("/api/presence", json=body), 400)
