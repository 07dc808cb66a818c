"""What one node just wrote is not refused as not found by another that has not applied it yet:
a miss makes that node follow the log and run the request again (api/misses.py).

Node b here never hears of node a's appends (the FAULT_DEAF_TO_OTHERS fault), so it applies
them only when it follows for a reason of its own: without the follow on a miss, every one
of these requests would be refused."""
import asyncio
import json
import os
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.maxchat.conftest import Human, bot_http, gateway_url
from tests.maxchat.test_gateway import gateway, synchronously, with_bot
from tests.scaleout.conftest import Pair, client, logged, node
from tests.servers import ROOT
from tests.telegram.conftest import User, new_bot, new_user

pytestmark = pytest.mark.slow
FAULTS = str(ROOT / "tests" / "faults")


@pytest.fixture(scope="module")
def deaf(tmp_path_factory, postgres) -> Iterator[Pair]:
    """Node a, and node b deaf to a's appends."""
    root, url = tmp_path_factory.mktemp("misses"), postgres.new_database()
    a = node(root / "a", url).start()
    b = node(root / "b", url, FAULT_DEAF_TO_OTHERS="1",
             PYTHONPATH=os.pathsep.join([FAULTS, os.environ.get("PYTHONPATH", "")])).start()
    yield Pair(a, b, url)
    for server in (b, a):
        assert server.stop() == 0, server.log_text()[-3000:]


def telegram(http: httpx.Client, bot: dict, method: str, **params: object) -> httpx.Response:
    return http.post(f"/bot{bot['bot_api_token']}/{method}", json=params)


def ok(answer: httpx.Response) -> dict:
    assert answer.status_code == 200 and answer.json()["ok"], answer.text
    return answer.json()["result"]


def installed_on_a(deaf: Pair, name: str) -> tuple[dict, str]:
    """A MaxChat server made on node a, with a bot installed: (the server, the bot's token)."""
    owner = Human(deaf.a, f"owner_{name}")
    try:
        home = owner.server(name)
        return home, with_bot(owner, home)[1]
    finally:
        owner.http.close()


def test_a_token_issued_on_one_node_is_accepted_by_the_other_at_once(deaf: Pair):
    with client(deaf.a) as on_a, client(deaf.b) as on_b:
        bot = new_bot(on_a)
        me = ok(telegram(on_b, bot, "getMe"))
        assert me["username"] == bot["alias"].removeprefix("@")
        user = new_user(on_a)
        inbox = on_b.get("/v1/messages/inbox", headers={"Authorization": f"Bearer {user.token}"})
        assert inbox.status_code == 200 and inbox.json() == {"ok": True, "result": []}


def test_a_message_sent_through_one_node_is_edited_through_the_other(deaf: Pair):
    with client(deaf.a) as on_a, client(deaf.b) as on_b:
        bot, user = new_bot(on_a), new_user(on_a)
        user.send(bot["fingerprint"], "hello")
        ok(telegram(on_b, bot, "getMe"))  # b is past the bot and the user now
        sent = ok(telegram(on_a, bot, "sendMessage", chat_id=user.id, text="draft"))
        edited = ok(telegram(on_b, bot, "editMessageText", chat_id=user.id,
                             message_id=sent["message_id"], text="final"))
        assert (edited["message_id"], edited["text"]) == (sent["message_id"], "final")


def test_a_chat_made_on_one_node_is_found_by_the_other(deaf: Pair):
    with client(deaf.a) as on_a, client(deaf.b) as on_b:
        bot = new_bot(on_a)
        ok(telegram(on_b, bot, "getMe"))
        user: User = new_user(on_a)  # after b followed: b has not applied it
        user.send(bot["fingerprint"], "hi")
        answer = ok(telegram(on_b, bot, "sendMessage", chat_id=user.id, text="hello from b"))
        assert answer["chat"]["id"] == user.id
        assert user.texts() == ["hello from b"]


def test_a_callback_delivered_by_one_node_is_answered_through_the_other(deaf: Pair):
    with client(deaf.a) as on_a, client(deaf.b) as on_b:
        bot, user = new_bot(on_a), new_user(on_a)
        user.send(bot["fingerprint"], "menu?")
        ok(telegram(on_b, bot, "getMe"))
        keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
        ok(telegram(on_a, bot, "sendMessage", chat_id=user.id, text="pick", reply_markup=keyboard))
        shown, = user.wait_for(1, accept=lambda item: "message" in item)
        assert user.press(shown["message"]["message_id"], "go")["ok"]  # through a
        query = ok(telegram(on_a, bot, "getUpdates"))[-1]["callback_query"]
        assert ok(telegram(on_b, bot, "answerCallbackQuery", callback_query_id=query["id"],
                           text="Done")) is True
        answer, = user.wait_for(1, accept=lambda item: "callback_answer" in item)
        assert answer["callback_answer"]["text"] == "Done"


def test_a_real_miss_is_still_refused_and_appends_nothing(deaf: Pair, tmp_path):
    with client(deaf.a) as on_a, client(deaf.b) as on_b:
        bot, user = new_bot(on_a), new_user(on_a)
        ok(telegram(on_b, bot, "getMe"))
        before = len(logged(deaf.log_url, tmp_path / "before"))
        missing = telegram(on_b, bot, "editMessageText", chat_id=user.id,
                           message_id=987654321, text="x")
        assert missing.status_code == 400
        assert missing.json() == {"ok": False, "error_code": 400,
                                  "description": "Bad Request: message to edit not found"}
        unknown = telegram(on_b, {"bot_api_token": "123:not-a-token"}, "getMe")
        assert unknown.status_code == 401
        assert len(logged(deaf.log_url, tmp_path / "after")) == before


def test_a_maxchat_bot_installed_on_one_node_posts_through_the_other(deaf: Pair):
    home, token = installed_on_a(deaf, "misses")
    with bot_http(deaf.b, token) as http:
        answer = http.post("/api/bot/messages/send", json={
            "serverId": home["id"], "channelId": home["channels"][0]["id"],
            "content": "through b"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"]["content"] == "through b"


def test_a_botyard_bot_made_on_one_node_is_served_by_the_other(deaf: Pair):
    made = httpx.post(f"{deaf.a.url}/v1/admin-api/bot", json={"name": "Across"}, timeout=15,
                      headers={"Authorization": deaf.admin_key()})
    assert made.status_code == 201, made.text
    shown = httpx.get(f"{deaf.b.url}/v1/bot-api/bot", timeout=15,
                      headers={"Authorization": made.json()["key"]})
    assert shown.status_code == 200, shown.text
    assert shown.json() == made.json()["bot"]


def test_an_upload_to_a_chat_made_on_one_node_is_stored_whole_by_the_other(deaf: Pair):
    """The request runs twice on b, the form it read kept: its file too, from the start."""
    data = os.urandom(200_000)
    with client(deaf.a) as on_a, client(deaf.b) as on_b:
        bot = new_bot(on_a)
        ok(telegram(on_b, bot, "getMe"))
        user = new_user(on_a)
        user.send(bot["fingerprint"], "send me the file")
        token = bot["bot_api_token"]
        sent = ok(on_b.post(f"/bot{token}/sendDocument", data={"chat_id": str(user.id)},
                            files={"document": ("across.bin", data)}))
        assert (sent["document"]["file_name"], sent["document"]["file_size"]) == \
            ("across.bin", len(data))
        path = ok(telegram(on_b, bot, "getFile", file_id=sent["document"]["file_id"]))[
            "file_path"]
        assert on_b.get(f"/file/bot{token}/{path}").content == data


@synchronously
async def test_sockets_opened_on_one_node_with_a_token_made_on_the_other_are_accepted(deaf: Pair):
    """A socket's token is checked before its first frame: no request runs again there, the
    token is looked up again once the node has followed."""
    with client(deaf.a) as on_a:
        bot, user = new_bot(on_a), new_user(on_a)
        user.send(bot["fingerprint"], "hello")
    url = deaf.b.url.replace("http://", "ws://") + "/v1/ws"
    async with connect(url, additional_headers={"Authorization": f"Bearer {user.token}"}) as ws:
        with client(deaf.b) as on_b:
            ok(telegram(on_b, bot, "sendMessage", chat_id=user.id, text="live from b"))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert frame["message"]["text"] == "live from b"

    home, token = installed_on_a(deaf, "sockets")
    async with gateway(gateway_url(deaf.b)) as socket:
        ready = await socket.identify(token, beat=False)
        assert [s["id"] for s in ready["d"]["servers"]] == [home["id"]]
