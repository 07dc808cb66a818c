"""What the real Botyard web client does (botyard.md decision 13), end to end over HTTP with its
cookie: service info, sign-up, bots and commands, a chat room, a message with the client's extra
fields, the bot's reply found by the client's own poll, then the room deleted. Every answer to
a cookie-authenticated request renews the cookie (decision 10); a deleted room's messages leave
every page but stay in the log."""
import threading
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tests.botyard.conftest import ADMIN_KEY, start_server
from tests.servers import replay_log

WEEK_S = 10080 * 60  # limits.user.authTokenLifetime's default, in minutes


def token_cookie(answer: httpx.Response) -> dict[str, str]:
    """The attributes of the answer's `token` Set-Cookie (name → value, lower-case names)."""
    found = [value for value in answer.headers.get_list("set-cookie")
             if value.startswith("token=")]
    assert len(found) == 1, (answer.request.url, answer.headers.get_list("set-cookie"))
    first, *rest = [part.strip() for part in found[0].split(";")]
    attributes = {"token": first.partition("=")[2]}
    for part in rest:
        name, _, value = part.partition("=")
        attributes[name.lower()] = value
    return attributes


def assert_renewed(answer: httpx.Response) -> None:
    """Decision 10: HttpOnly, SameSite=Lax, Path=/, no Domain, no Secure, Expires in 7 days."""
    cookie = token_cookie(answer)
    assert cookie["token"].count(".") == 2  # a JWT
    assert "httponly" in cookie and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert "domain" not in cookie and "secure" not in cookie
    expires = parsedate_to_datetime(cookie["expires"]).timestamp()
    assert abs(expires - (time.time() + WEEK_S)) < 120


class PollingBot(threading.Thread):
    """A Botyard bot on its own thread: it finds the user's room through the bot API, polls
    its messages until the user's arrives, and answers it; `replied` is the reply's 201 body."""

    def __init__(self, url: str, key: str, user_id: str, timeout: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=url, timeout=15, headers={"Authorization": key})
        self.user_id, self.deadline = user_id, time.monotonic() + timeout
        self.seen: dict | None = None
        self.replied: dict | None = None

    def run(self) -> None:
        try:
            while self.replied is None and time.monotonic() < self.deadline:
                for chat in self.http.get("/v1/bot-api/chats",
                                          params={"user_id": self.user_id}).json():
                    page = self.http.get(f"/v1/bot-api/chat/{chat['id']}/messages",
                                         params={"sender_id": self.user_id}).json()
                    if page["messages"]:
                        self.seen = page["messages"][-1]
                        self.answer(chat["id"], self.seen)
                        return
                time.sleep(0.05)
        finally:
            self.http.close()

    def answer(self, chat_id: str, message: dict) -> None:
        sent = self.http.post("/v1/bot-api/chat/message",
                              json={"chatId": chat_id, "body": f"echo: {message['body']}"})
        assert sent.status_code == 201, sent.text
        self.replied = sent.json()


@pytest.fixture
def own_server(tmp_path):
    running = start_server(tmp_path / "data", {
        "service": {"name": "Botbus yard", "description": "bots for everyone",
                    "socials": [{"title": "GitHub", "url": "https://github.com/example"}]}})
    yield running
    running.stop()


def test_the_web_clients_flow_end_to_end(own_server):
    server = own_server
    admin = {"Authorization": ADMIN_KEY}
    made = httpx.post(server.url + "/v1/admin-api/bot", headers=admin, timeout=15,
                      json={"name": "Echo", "description": "says it back"})
    assert made.status_code == 201, made.text
    bot, key = made.json()["bot"], made.json()["key"]
    with httpx.Client(base_url=server.url, headers={"Authorization": key}) as as_bot:
        added = as_bot.post("/v1/bot-api/bot/commands",
                            json=[{"alias": "start", "description": "begin"}])
        assert added.status_code == 201, added.text

    with httpx.Client(base_url=server.url, timeout=15) as web:
        cookie_answers: list[httpx.Response] = []

        def signed(answer: httpx.Response, status: int = 200) -> httpx.Response:
            assert answer.status_code == status, (answer.request.url, answer.text)
            cookie_answers.append(answer)
            return answer

        info = web.get("/v1/client-api/service-info")
        assert info.status_code == 200
        assert info.json() == {"name": "Botbus yard", "description": "bots for everyone",
                               "socials": [{"title": "GitHub",
                                            "url": "https://github.com/example"}]}

        joined = web.post("/v1/client-api/user", json={"nickname": "Web Client-1"})
        assert joined.status_code == 201, joined.text
        user = joined.json()
        assert set(user) == {"id", "nickname"} and user["nickname"] == "Web Client-1"
        assert_renewed(joined)

        assert signed(web.get("/v1/client-api/user")).json() == user
        listed = web.get("/v1/client-api/bots")
        assert listed.status_code == 200 and bot in listed.json()
        assert bot == {"id": bot["id"], "name": "Echo", "description": "says it back"}
        assert web.get(f"/v1/client-api/bot/{bot['id']}").json() == bot
        commands = signed(web.get(f"/v1/client-api/bot/{bot['id']}/commands")).json()
        assert [(c["alias"], c["description"]) for c in commands] == [("start", "begin")]

        room = signed(web.post("/v1/client-api/chat", json={"botId": bot["id"]}), 201).json()
        assert set(room) == {"id", "userId", "botId"}
        assert (room["userId"], room["botId"]) == (user["id"], bot["id"])
        chats = signed(web.get("/v1/client-api/chats", params={"bot_id": bot["id"]})).json()
        assert chats == [room]

        replier = PollingBot(server.url, key, user["id"])
        replier.start()
        own = signed(web.post("/v1/client-api/chat/message", json={
            "chatId": room["id"], "body": "hello bot", "senderId": user["id"],
            "attachmentIds": []}), 201).json()
        assert set(own) == {"id", "chatId", "senderId", "body", "timestamp"}
        assert (own["chatId"], own["senderId"], own["body"]) == (room["id"], user["id"],
                                                                 "hello bot")
        replier.join(15)
        assert replier.replied is not None, "the bot never saw the message"
        assert replier.seen is not None and replier.seen["id"] == own["id"]
        reply = replier.replied

        # the client's reply poll, made once: the reply is there at once (read-after-write)
        polled = signed(web.get(f"/v1/client-api/chat/{room['id']}/messages", params={
            "sender_id": bot["id"], "page": 1, "limit": 1, "since": own["timestamp"]})).json()
        assert polled["total"] == 1 and (polled["page"], polled["limit"]) == (1, 1)
        [seen] = polled["messages"]
        assert seen == reply
        assert seen["senderId"] == bot["id"] and seen["body"] == "echo: hello bot"
        assert seen["timestamp"] > own["timestamp"]

        whole = signed(web.get(f"/v1/client-api/chat/{room['id']}/messages")).json()
        assert [m["id"] for m in whole["messages"]] == [own["id"], reply["id"]]
        assert whole["total"] == 2 and whole["chatId"] == room["id"]

        deleted = signed(web.delete(f"/v1/client-api/chat/{room['id']}"))
        assert deleted.json() == {"message": "Chat deleted."}
        gone = signed(web.get(f"/v1/client-api/chat/{room['id']}/messages"), 404)
        assert gone.json() == {"message": "Chat not found."}
        assert signed(web.get("/v1/client-api/chats", params={"bot_id": bot["id"]})).json() == []
        again = signed(web.post("/v1/client-api/chat/message",
                                json={"chatId": room["id"], "body": "anyone?"}), 404)
        assert again.json() == {"message": "Chat not found."}

        for answer in cookie_answers:
            assert_renewed(answer)

    with httpx.Client(base_url=server.url, headers={"Authorization": key}) as as_bot:
        page = as_bot.get(f"/v1/bot-api/chat/{room['id']}/messages")
        assert (page.status_code, page.json()) == (404, {"message": "Chat not found."})
        lost = as_bot.get(f"/v1/bot-api/chat/message/{own['id']}")
        assert (lost.status_code, lost.json()) == (404, {"message": "Message not found."})
        assert as_bot.get("/v1/bot-api/chats", params={"user_id": user["id"]}).json() == []

    assert server.stop() == 0
    sent = [line for line in replay_log(server.data, "Message.Sent")
            if line["data"].get("chat") == room["id"]]
    assert [(line["data"]["sender_id"], line["data"]["content"]["text"]) for line in sent] == [
        (user["id"], "hello bot"), (bot["id"], "echo: hello bot")]
    closed = [line for line in replay_log(server.data, "ChatRooms.Deleted")
              if line["data"]["chat_id"] == room["id"]]
    assert len(closed) == 1


def test_a_cookie_answer_renews_the_session_with_a_new_token(server, new_user):
    """The sliding session: each answer carries a fresh token, and the fresh token works."""
    web = new_user("Slider")
    first = web.get("/v1/client-api/user")
    assert first.status_code == 200
    renewed = token_cookie(first)["token"]
    with httpx.Client(base_url=server.url, cookies={"token": renewed}) as other:
        again = other.get("/v1/client-api/user")
        assert again.status_code == 200 and again.json() == web.user
        assert_renewed(again)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/client-api/user"),
    ("GET", "/v1/client-api/chats?bot_id=x"),
    ("POST", "/v1/client-api/chat"),
    ("POST", "/v1/client-api/chat/message"),
    ("DELETE", "/v1/client-api/chat/01hc76p6ma76qfrs0bfr5x2pry"),
])
def test_without_a_valid_cookie_the_client_api_is_401_and_sets_no_cookie(server, method, path):
    for cookies in ({}, {"token": "not-a-jwt"}):
        with httpx.Client(base_url=server.url, cookies=cookies) as web:
            answer = web.request(method, path, json={} if method == "POST" else None)
        assert (answer.status_code, answer.json()) == (401, {"message": "User is unauthorized."})
        assert not any(value.startswith("token=")
                       for value in answer.headers.get_list("set-cookie"))


def test_service_info_always_has_a_description_string_and_a_socials_array(server):
    """The web client calls `.length` and `.map` on them (decision 13)."""
    info = httpx.get(server.url + "/v1/client-api/service-info")
    assert info.status_code == 200
    assert isinstance(info.json()["name"], str)
    assert isinstance(info.json()["description"], str)
    assert isinstance(info.json()["socials"], list)


def test_the_clients_poll_does_not_see_its_own_message_or_older_replies(
        server, new_user, new_bot):
    """`since` is strict and `sender_id` filters: the poll finds nothing until the bot answers
    after the user's message, then exactly that answer."""
    bot, web = new_bot(), new_user("Poller")
    room = web.post("/v1/client-api/chat", json={"botId": bot.id}).json()
    early = bot.http.post("/v1/bot-api/chat/message", json={"chatId": room["id"], "body": "hi"})
    assert early.status_code == 201
    own = web.post("/v1/client-api/chat/message", json={
        "chatId": room["id"], "body": "question", "senderId": web.user["id"],
        "attachmentIds": []}).json()
    poll = {"sender_id": bot.id, "page": 1, "limit": 1, "since": own["timestamp"]}
    before = web.get(f"/v1/client-api/chat/{room['id']}/messages", params=poll).json()
    assert before == {"chatId": room["id"], "total": 0, "page": 1, "limit": 1, "messages": []}
    mine = web.get(f"/v1/client-api/chat/{room['id']}/messages",
                   params={**poll, "sender_id": web.user["id"],
                           "since": own["timestamp"] - 1}).json()
    assert [m["id"] for m in mine["messages"]] == [own["id"]]
    answer = bot.http.post("/v1/bot-api/chat/message",
                           json={"chatId": room["id"], "body": "answer"}).json()
    after = web.get(f"/v1/client-api/chat/{room['id']}/messages", params=poll).json()
    assert answer["timestamp"] > own["timestamp"]  # else the strict `since` would hide it
    assert after["total"] == 1 and after["messages"] == [answer]
