"""Botyard message pages (botyard.md §1.6, decisions 7 and 8): every page the server answers is
compared with `expected()`, a reference written here from the spec's rules, over one chat of
user and bot messages, some sent at once so that several share a millisecond."""
from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from tests.botyard.conftest import ADMIN_KEY, BotyardBot
from tests.servers import Server

pytestmark = pytest.mark.slow

DEFAULT_PAGE, DEFAULT_LIMIT = 1, 20  # botyard.md §1.6
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"  # the lower-case ULID alphabet
BURST = 24  # sends in flight at once, enough to put several in one millisecond
MAX_BURSTS = 3  # so the fixture sends at most 29 + 3 * 24 = 101 messages
CLIENT, BOT = "client", "bot"


def expected(sent: list[dict], chat_id: str, page: int = DEFAULT_PAGE,
             limit: int = DEFAULT_LIMIT, sender: str = "", since: int = 0) -> dict:
    """The page §1.6 defines: filter, count, take newest first by (timestamp, id), then list
    the page oldest first; `page` and `limit` are the parsed values."""
    matching = [m for m in sent if m["chatId"] == chat_id
                and (not sender or m["senderId"] == sender)
                and (not since or m["timestamp"] > since)]
    newest_first = sorted(matching, key=lambda m: (m["timestamp"], m["id"]), reverse=True)
    if limit < 0:
        chosen = newest_first
    else:
        offset = max(page - 1, 0) * limit
        chosen = newest_first[offset:offset + limit]
    return {"chatId": chat_id, "total": len(matching), "page": page, "limit": limit,
            "messages": chosen[::-1]}


def unknown_id() -> str:
    return "01" + "".join(secrets.choice(CROCKFORD) for _ in range(24))


@dataclass
class Conversation:
    """One chat room of a web user and a bot, and every message the server said it created."""

    server: Server
    user: httpx.Client
    bot: BotyardBot
    chat_id: str
    sent: list[dict] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        return self.user.user["id"]  # type: ignore[attr-defined]

    def open_chat(self) -> str:
        answer = self.user.post("/v1/client-api/chat", json={"botId": self.bot.id})
        assert answer.status_code == 201, answer.text
        assert answer.json()["userId"] == self.user_id and answer.json()["botId"] == self.bot.id
        return answer.json()["id"]

    def say(self, who: str, body: str, chat_id: str | None = None) -> dict:
        """One message by the user (`CLIENT`) or the bot (`BOT`), recorded from its 201."""
        chat_id = chat_id or self.chat_id
        if who == CLIENT:
            answer = self.user.post("/v1/client-api/chat/message",
                                    json={"chatId": chat_id, "body": body, "attachmentIds": []})
            sender = self.user_id
        else:
            answer = self.bot.http.post("/v1/bot-api/chat/message",
                                        json={"chatId": chat_id, "body": body})
            sender = self.bot.id
        assert answer.status_code == 201, answer.text
        made = answer.json()
        assert (made["chatId"], made["senderId"], made["body"]) == (chat_id, sender, body)
        assert set(made) == {"id", "chatId", "senderId", "body", "timestamp"}
        self.sent.append(made)
        return made

    def burst(self, sends: list[tuple[str, str]]) -> list[dict]:
        with ThreadPoolExecutor(max_workers=len(sends)) as pool:
            return list(pool.map(lambda s: self.say(*s), sends))

    def get(self, route: str, chat_id: str | None = None, **query: object) -> httpx.Response:
        chat_id = chat_id or self.chat_id
        if route == CLIENT:
            return self.user.get(f"/v1/client-api/chat/{chat_id}/messages", params=query)
        return self.bot.http.get(f"/v1/bot-api/chat/{chat_id}/messages", params=query)

    def page(self, route: str, chat_id: str | None = None, **query: object) -> dict:
        answer = self.get(route, chat_id, **query)
        assert answer.status_code == 200, (query, answer.text)
        return answer.json()

    def ties(self) -> list[list[dict]]:
        """The groups of this chat's messages that share a millisecond."""
        mine = [m for m in self.sent if m["chatId"] == self.chat_id]
        counts = Counter(m["timestamp"] for m in mine)
        return [[m for m in mine if m["timestamp"] == ms] for ms, n in sorted(counts.items())
                if n > 1]


def sign_up(server: Server, nickname: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=15)
    answer = client.post("/v1/client-api/user", json={"nickname": nickname})
    assert answer.status_code == 201, answer.text
    client.user = answer.json()  # type: ignore[attr-defined]
    return client


def make_bot(server: Server) -> BotyardBot:
    answer = httpx.post(server.url + "/v1/admin-api/bot", timeout=15,
                        json={"name": f"pages {secrets.token_hex(4)}"},
                        headers={"Authorization": ADMIN_KEY})
    assert answer.status_code == 201, answer.text
    return BotyardBot(server, answer.json())


@pytest.fixture(scope="module")
def chat(server: Server) -> Iterator[Conversation]:
    """60+ messages: a sequential exchange, then concurrent bursts of both senders until
    some share a millisecond; a second room of the same pair holds a few more, which no
    page of the first may show."""
    user, bot = sign_up(server, "pages reader"), make_bot(server)
    talk = Conversation(server, user, bot, "")
    talk.chat_id = talk.open_chat()
    other = talk.open_chat()
    for i in range(12):
        talk.say(CLIENT, f"question {i}")
        talk.say(BOT, f"answer {i}")
    talk.say(CLIENT, "")  # an empty body is allowed (§1.5)
    talk.say(BOT, "ответ ✓")
    for i in range(3):
        talk.say(CLIENT, f"elsewhere {i}", chat_id=other)
    for round_ in range(MAX_BURSTS):
        talk.burst([(CLIENT if i % 3 else BOT, f"burst {round_}.{i}") for i in range(BURST)])
        if round_ >= 1 and len(talk.ties()) >= 2:
            break
    yield talk
    user.close()
    bot.http.close()


def test_the_chat_has_60_messages_from_both_sides_and_some_share_a_millisecond(
        chat: Conversation) -> None:
    """The fixture's premise: without equal timestamps the tie-break tests would test nothing."""
    mine = [m for m in chat.sent if m["chatId"] == chat.chat_id]
    assert len(mine) >= 60
    assert {m["senderId"] for m in mine} == {chat.user_id, chat.bot.id}
    assert len({m["id"] for m in chat.sent}) == len(chat.sent)
    assert chat.ties(), "no two messages shared a millisecond"


@pytest.mark.parametrize("route", [CLIENT, BOT])
def test_the_default_page_is_the_newest_20_listed_oldest_first(
        chat: Conversation, route: str) -> None:
    got = chat.page(route)
    assert got == expected(chat.sent, chat.chat_id)
    assert len(got["messages"]) == 20 and got["total"] > 20
    stamps = [(m["timestamp"], m["id"]) for m in got["messages"]]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize("route", [CLIENT, BOT])
@pytest.mark.parametrize("limit", [1, 7, 10, 20, 33, 200])
def test_pages_walk_the_whole_chat_without_overlap(
        chat: Conversation, route: str, limit: int) -> None:
    """Page n+1 holds the `limit` messages before page n; together they hold each message
    once, and the page past the end is empty with the same total."""
    mine = [m for m in chat.sent if m["chatId"] == chat.chat_id]
    pages = -(-len(mine) // limit)
    seen: list[str] = []
    for number in range(pages, 0, -1):  # oldest page first, so the ids come out in order
        got = chat.page(route, page=number, limit=limit)
        assert got == expected(chat.sent, chat.chat_id, number, limit)
        assert got["messages"], number
        seen += [m["id"] for m in got["messages"]]
    assert seen == [m["id"] for m in sorted(mine, key=lambda m: (m["timestamp"], m["id"]))]
    beyond = chat.page(route, page=pages + 1, limit=limit)
    assert beyond == {"chatId": chat.chat_id, "total": len(mine), "page": pages + 1,
                      "limit": limit, "messages": []}


@pytest.mark.parametrize("route", [CLIENT, BOT])
@pytest.mark.parametrize("query, parsed", [
    ({"page": 0, "limit": 9}, (0, 9)),  # page <= 0 is page 1, echoed as given
    ({"page": -3, "limit": 9}, (-3, 9)),
    ({"page": 2, "limit": 0}, (2, 0)),  # limit 0: nothing
    ({"page": 1, "limit": -1}, (1, -1)),  # a negative limit: everything
    ({"page": 3, "limit": -5}, (3, -5)),  # ... from the newest, whatever the page
    ({"page": 0, "limit": -5}, (0, -5)),
    ({"page": "abc"}, (DEFAULT_PAGE, DEFAULT_LIMIT)),  # unparsable: the defaults
    ({"page": 2, "limit": "x"}, (2, DEFAULT_LIMIT)),
    ({"page": "", "limit": ""}, (DEFAULT_PAGE, DEFAULT_LIMIT)),
    ({"page": "1.5", "limit": "2e1"}, (DEFAULT_PAGE, DEFAULT_LIMIT)),
    ({"page": "2", "limit": "0x10"}, (2, DEFAULT_LIMIT)),
    ({"page": "abc", "limit": "x", "since": "y"}, (DEFAULT_PAGE, DEFAULT_LIMIT)),
])
def test_page_and_limit_edge_values(chat: Conversation, route: str, query: dict,
                                    parsed: tuple[int, int]) -> None:
    page, limit = parsed
    assert chat.page(route, **query) == expected(chat.sent, chat.chat_id, page, limit)


@pytest.mark.parametrize("route", [CLIENT, BOT])
@pytest.mark.parametrize("query, parsed", [
    ({"limit": "99999999999999999999"}, (DEFAULT_PAGE, DEFAULT_LIMIT, 0)),
    ({"page": "99999999999999999999", "limit": 5}, (DEFAULT_PAGE, 5, 0)),
    ({"since": "99999999999999999999"}, (DEFAULT_PAGE, DEFAULT_LIMIT, 0)),
    ({"page": str(2**63 - 1), "limit": 2}, (2**63 - 1, 2, 0)),
])
def test_numbers_past_64_bits_fail_to_parse_and_never_break_the_page(
        chat: Conversation, route: str, query: dict, parsed: tuple[int, int, int]) -> None:
    """Botyard's values are Go int64s: a longer number does not parse, so it is the default;
    a page so far on that page x limit passes 2**63 is past the end."""
    page, limit, since = parsed
    assert chat.page(route, **query) == expected(chat.sent, chat.chat_id, page, limit,
                                                 since=since)


def test_a_negative_limit_lists_the_whole_chat_and_limit_0_none(chat: Conversation) -> None:
    everything = chat.page(CLIENT, limit=-1)["messages"]
    mine = [m for m in chat.sent if m["chatId"] == chat.chat_id]
    assert everything == sorted(mine, key=lambda m: (m["timestamp"], m["id"]))
    nothing = chat.page(CLIENT, limit=0)
    assert nothing["messages"] == [] and nothing["total"] == len(mine)


@pytest.mark.parametrize("route", [CLIENT, BOT])
@pytest.mark.parametrize("who", [CLIENT, BOT])
@pytest.mark.parametrize("limit", [5, 20])
def test_sender_id_keeps_one_side_of_the_chat(chat: Conversation, route: str, who: str,
                                               limit: int) -> None:
    sender = chat.user_id if who == CLIENT else chat.bot.id
    count = sum(m["chatId"] == chat.chat_id and m["senderId"] == sender for m in chat.sent)
    assert count > limit
    for number in range(1, -(-count // limit) + 2):
        got = chat.page(route, page=number, limit=limit, sender_id=sender)
        assert got == expected(chat.sent, chat.chat_id, number, limit, sender=sender)
        assert {m["senderId"] for m in got["messages"]} <= {sender}


@pytest.mark.parametrize("route", [CLIENT, BOT])
def test_an_unknown_sender_id_matches_nothing(chat: Conversation, route: str) -> None:
    got = chat.page(route, sender_id=unknown_id())
    assert (got["total"], got["messages"]) == (0, [])


@pytest.mark.parametrize("route", [CLIENT, BOT])
def test_since_is_strict_and_drops_every_message_of_that_millisecond(
        chat: Conversation, route: str) -> None:
    """`since` = a shared timestamp leaves out the whole group; one less lets it in."""
    group = chat.ties()[len(chat.ties()) // 2]
    since = group[0]["timestamp"]
    later = [m for m in chat.sent if m["chatId"] == chat.chat_id and m["timestamp"] > since]
    got = chat.page(route, since=since, limit=-1)
    assert got == expected(chat.sent, chat.chat_id, limit=-1, since=since)
    assert got["total"] == len(later) and got["messages"] == sorted(
        later, key=lambda m: (m["timestamp"], m["id"]))
    assert not {m["id"] for m in group} & {m["id"] for m in got["messages"]}
    before = chat.page(route, since=since - 1, limit=-1)
    assert {m["id"] for m in group} <= {m["id"] for m in before["messages"]}
    assert before["total"] == len(later) + len(group)


@pytest.mark.parametrize("route", [CLIENT, BOT])
def test_since_pages_and_senders_combine(chat: Conversation, route: str) -> None:
    mine = sorted((m for m in chat.sent if m["chatId"] == chat.chat_id),
                  key=lambda m: (m["timestamp"], m["id"]))
    for since in (mine[len(mine) // 3]["timestamp"], mine[-1]["timestamp"],
                  mine[0]["timestamp"] - 1, -5):
        for sender in ("", chat.user_id, chat.bot.id):
            for page, limit in ((1, 4), (2, 4), (1, 100)):
                got = chat.page(route, page=page, limit=limit, sender_id=sender, since=since)
                assert got == expected(chat.sent, chat.chat_id, page, limit, sender, since), (
                    since, sender, page, limit)


@pytest.mark.parametrize("route", [CLIENT, BOT])
def test_since_0_or_unparsable_is_no_filter(chat: Conversation, route: str) -> None:
    for since in (0, "y", ""):
        assert chat.page(route, since=since, limit=-1) == expected(
            chat.sent, chat.chat_id, limit=-1), since


@pytest.mark.parametrize("route", [CLIENT, BOT])
def test_equal_timestamps_are_ordered_by_id_across_a_page_boundary(
        chat: Conversation, route: str) -> None:
    """A page boundary inside a group of equal timestamps: the newer id goes on the newer
    page, and each page lists the group by ascending id."""
    newest_first = sorted((m for m in chat.sent if m["chatId"] == chat.chat_id),
                          key=lambda m: (m["timestamp"], m["id"]), reverse=True)
    for group in chat.ties():
        ids = sorted(m["id"] for m in group)
        split = next(i for i, m in enumerate(newest_first) if m["id"] == ids[-1]) + 1
        first, second = chat.page(route, page=1, limit=split), chat.page(route, page=2,
                                                                           limit=split)
        assert first == expected(chat.sent, chat.chat_id, 1, split)
        assert second == expected(chat.sent, chat.chat_id, 2, split)
        assert first["messages"][0]["id"] == ids[-1]  # the newest id of the group alone
        assert [m["id"] for m in second["messages"] if m["id"] in ids] == ids[:-1][-split:]


@pytest.mark.parametrize("query", [
    {}, {"page": 2, "limit": 9}, {"limit": -1}, {"page": 0, "limit": 3},
    {"sender_id": "bot", "limit": 6}, {"since": "mid", "page": 2, "limit": 5},
])
def test_the_client_route_and_the_bot_route_answer_the_same_page(
        chat: Conversation, query: dict) -> None:
    query = dict(query)
    if query.get("sender_id") == "bot":
        query["sender_id"] = chat.bot.id
    if query.get("since") == "mid":
        query["since"] = chat.ties()[0][0]["timestamp"]
    assert chat.page(CLIENT, **query) == chat.page(BOT, **query)


def test_the_web_clients_reply_poll_sees_the_bots_reply_at_once(chat: Conversation) -> None:
    """`sender_id=<bot>&page=1&limit=1&since=<ts of the user's message>` right after the bot
    answers: read-after-write, on both routes."""
    room = chat.open_chat()
    for i in range(3):
        mine = chat.say(CLIENT, f"ping {i}", chat_id=room)
        reply = chat.say(BOT, f"pong {i}", chat_id=room)
        query = {"sender_id": chat.bot.id, "page": 1, "limit": 1, "since": mine["timestamp"]}
        want = expected(chat.sent, room, 1, 1, chat.bot.id, mine["timestamp"])
        if reply["timestamp"] > mine["timestamp"]:
            assert want["messages"] == [reply] and want["total"] == 1
        for route in (CLIENT, BOT):
            assert chat.page(route, chat_id=room, **query) == want, (i, route)


def test_a_message_shows_in_the_page_right_after_its_201(chat: Conversation) -> None:
    room = chat.open_chat()
    for who in (CLIENT, BOT, CLIENT):
        made = chat.say(who, f"now {who}", chat_id=room)
        for route in (CLIENT, BOT):
            got = chat.page(route, chat_id=room, limit=1)
            assert got == expected(chat.sent, room, 1, 1)
            assert got["messages"] == [made]


def error(status: int, message: str) -> tuple[int, dict]:
    return status, {"message": message}


@pytest.fixture
def strangers(server: Server, new_user, new_bot) -> Conversation:
    """Another user with another bot, and their chat."""
    theirs = Conversation(server, new_user("someone else"), new_bot(), "")
    theirs.chat_id = theirs.open_chat()
    theirs.say(CLIENT, "not yours")
    return theirs


@pytest.mark.parametrize("route", [CLIENT, BOT])
@pytest.mark.parametrize("chat_id", ["unknown", "01hc76p6ma76qfrs0bfr5x2pry", "x"])
def test_an_unknown_chat_is_404(chat: Conversation, route: str, chat_id: str) -> None:
    chat_id = unknown_id() if chat_id == "unknown" else chat_id
    answer = chat.get(route, chat_id)
    assert (answer.status_code, answer.json()) == error(404, "Chat not found.")


def test_another_users_chat_is_403(chat: Conversation, strangers: Conversation) -> None:
    answer = chat.get(CLIENT, strangers.chat_id)
    assert (answer.status_code, answer.json()) == error(
        403, "Chat is not related to current user.")


def test_another_bots_chat_is_403(chat: Conversation, strangers: Conversation) -> None:
    answer = chat.get(BOT, strangers.chat_id)
    assert (answer.status_code, answer.json()) == error(
        403, "Chat is not related to current bot.")


def test_another_users_chat_with_the_same_bot_is_403_to_the_user_only(
        server: Server, chat: Conversation, new_user) -> None:
    """The bot reads every chat it is in; a user only their own."""
    theirs = Conversation(server, new_user("third user"), chat.bot, "")
    theirs.chat_id = theirs.open_chat()
    made = theirs.say(CLIENT, "hello bot")
    answer = chat.get(CLIENT, theirs.chat_id)
    assert (answer.status_code, answer.json()) == error(
        403, "Chat is not related to current user.")
    assert chat.page(BOT, theirs.chat_id) == expected([made], theirs.chat_id)
    assert theirs.page(CLIENT) == expected([made], theirs.chat_id)


@pytest.mark.parametrize("route, headers, status, message", [
    (CLIENT, {"Cookie": "token=not-a-jwt"}, 401, "User is unauthorized."),
    (BOT, {"Authorization": ""}, 403, "Bot key is required."),
    (BOT, {"Authorization": "no-colon"}, 403, "Invalid bot key."),
    (BOT, {"Authorization": "unknown"}, 403, "Invalid bot key."),
])
def test_a_page_without_valid_credentials_is_refused(
        chat: Conversation, route: str, headers: dict, status: int, message: str) -> None:
    if headers.get("Authorization") == "unknown":
        headers = {"Authorization": f"{unknown_id()}:{'a' * 26}"}
    path = (f"/v1/client-api/chat/{chat.chat_id}/messages" if route == CLIENT
            else f"/v1/bot-api/chat/{chat.chat_id}/messages")
    answer = httpx.get(chat.server.url + path, headers=headers, timeout=15)
    assert (answer.status_code, answer.json()) == error(status, message)


def test_a_deleted_chat_is_404_on_both_routes(chat: Conversation) -> None:
    room = chat.open_chat()
    chat.say(CLIENT, "soon gone", chat_id=room)
    chat.say(BOT, "me too", chat_id=room)
    assert chat.page(BOT, room)["total"] == 2
    answer = chat.user.delete(f"/v1/client-api/chat/{room}")
    assert (answer.status_code, answer.json()) == (200, {"message": "Chat deleted."})
    for route in (CLIENT, BOT):
        for query in ({}, {"page": 1, "limit": 1, "sender_id": chat.bot.id, "since": 1}):
            answer = chat.get(route, room, **query)
            assert (answer.status_code, answer.json()) == error(404, "Chat not found."), route
    again = chat.user.delete(f"/v1/client-api/chat/{room}")
    assert (again.status_code, again.json()) == error(404, "Chat not found.")
    assert chat.page(CLIENT) == expected(chat.sent, chat.chat_id)  # the other rooms keep theirs
