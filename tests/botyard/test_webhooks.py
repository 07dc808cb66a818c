"""Botyard webhooks (botyard.md decision 6, §1.7): a user's message is POSTed to its bot's
webhook as the very PreparedMessage JSON the user got back, the secret verbatim as
`Authorization` and `X-Botbus-Delivery: <message id>`, from the durable outbox: never inside
the user's request, retried with backoff, in order per chat, each attempt an event in the log,
and still pending after a restart. A bot's own messages, and messages sent while no webhook
was set, are never pushed. The receiver is a real local HTTP server, as in
tests/telegram/test_webhooks.py."""
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.botyard.conftest import ADMIN_KEY, start_server
from tests.receivers import Hit, Receiver
from tests.servers import replay_log


class Party:
    """A bot (its key) and a signed-in web user with one chat room with it, on one server."""

    def __init__(self, url: str) -> None:
        admin = {"Authorization": ADMIN_KEY}
        made = httpx.post(url + "/v1/admin-api/bot", headers=admin, timeout=15,
                          json={"name": f"hook bot {secrets.token_hex(4)}"})
        assert made.status_code == 201, made.text
        self.bot_id = made.json()["bot"]["id"]
        self.bot = httpx.Client(base_url=url, timeout=15,
                                headers={"Authorization": made.json()["key"]})
        self.user = httpx.Client(base_url=url, timeout=15)
        signed = self.user.post("/v1/client-api/user", json={"nickname": "hook user"})
        assert signed.status_code == 201, signed.text
        self.user_id = signed.json()["id"]
        self.chat_id = self.open_chat()

    def open_chat(self) -> str:
        opened = self.user.post("/v1/client-api/chat", json={"botId": self.bot_id})
        assert opened.status_code == 201, opened.text
        return opened.json()["id"]

    def set_webhook(self, url: str, secret: str | None = None) -> httpx.Response:
        body = {"url": url} if secret is None else {"url": url, "secret": secret}
        return self.bot.post("/v1/bot-api/bot/webhook", json=body)

    def send(self, text: str, chat_id: str | None = None, **extra: object) -> dict:
        sent = self.user.post("/v1/client-api/chat/message",
                              json={"chatId": chat_id or self.chat_id, "body": text, **extra})
        assert sent.status_code == 201, sent.text
        return sent.json()

    def close(self) -> None:
        self.bot.close()
        self.user.close()


@pytest.fixture
def party(server) -> Iterator[Party]:
    made = Party(server.url)
    yield made
    made.close()


def texts(hits: list[Hit]) -> list[str]:
    return [hit.body["body"] for hit in hits]


def attempts_for(data: Path, url: str) -> list[tuple[str, int, int]]:
    """(type, update_id, attempt) of every delivery record of the webhook set to `url`."""
    lines = replay_log(data, "Webhook.Set", "Webhook.Delivered", "Webhook.DeliveryFailed")
    addresses = {line["data"]["address"] for line in lines
                 if line["type"] == "Webhook.Set" and line["data"]["url"] == url}
    assert len(addresses) == 1, lines
    return [(line["type"], line["data"]["update_id"], line["data"]["attempt"])
            for line in lines if line["type"] != "Webhook.Set"
            and line["data"]["address"] in addresses]


def test_a_users_message_is_posted_as_the_prepared_message_with_the_secret(party):
    """Body = the 201's JSON exactly; the secret verbatim as Authorization, no scheme."""
    with Receiver(path="/hook") as receiver:
        shown = party.set_webhook(receiver.url, "s3")
        assert shown.status_code == 200
        assert shown.json() == {"botId": party.bot_id, "url": receiver.url, "secret": "s3"}
        sent = party.send("hello over a webhook")
        [hit] = receiver.wait(1)
    assert hit.body == sent
    assert set(sent) == {"id", "chatId", "senderId", "body", "timestamp"}
    assert (sent["chatId"], sent["senderId"]) == (party.chat_id, party.user_id)
    assert hit.path == "/hook"
    assert hit.headers["content-type"] == "application/json"
    assert hit.headers["authorization"] == "s3"
    assert hit.delivery == sent["id"]


def test_attachments_reach_the_webhook_as_file_objects(party):
    uploaded = party.user.post("/v1/client-api/files",
                               files=[("file", ("dot.png", b"\x89PNG tiny", "image/png"))])
    assert uploaded.status_code == 200, uploaded.text
    with Receiver(path="/hook") as receiver:
        party.set_webhook(receiver.url, "s3")
        sent = party.send("see attached", attachmentIds=[uploaded.json()[0]["id"]])
        [hit] = receiver.wait(1)
    assert sent["attachments"] == uploaded.json()
    assert hit.body == sent


def test_without_a_secret_there_is_no_authorization_header(party):
    with Receiver(path="/hook") as receiver:
        shown = party.set_webhook(receiver.url)
        assert shown.json() == {"botId": party.bot_id, "url": receiver.url}  # omitempty
        sent = party.send("no secret")
        [hit] = receiver.wait(1)
    assert "authorization" not in hit.headers
    assert hit.body == sent and hit.delivery == sent["id"]


def test_the_user_is_answered_without_waiting_for_the_receiver(party):
    """Decision 6: the original posts inside the request; here the 201 comes first."""
    with Receiver(path="/hook") as receiver:
        receiver.gate, receiver.hold = threading.Event(), 2.0
        party.set_webhook(receiver.url, "s3")
        started = time.monotonic()
        sent = party.send("do not wait for me")
        answered = time.monotonic() - started
        assert not receiver.hits  # the receiver has not answered yet
        assert answered < 1.0, answered
        receiver.gate.set()
        [hit] = receiver.wait(1)
    assert hit.body == sent


def test_a_bots_own_message_never_triggers_the_webhook(party):
    with Receiver(path="/hook") as receiver:
        party.set_webhook(receiver.url, "s3")
        own = party.bot.post("/v1/bot-api/chat/message",
                             json={"chatId": party.chat_id, "body": "from the bot"})
        assert own.status_code == 201, own.text
        first = party.send("from the user")
        second = party.send("and again")
        hits = receiver.wait(2)
    assert [hit.body for hit in hits] == [first, second]  # in one chat, in order: none before
    assert {hit.body["senderId"] for hit in receiver.hits} == {party.user_id}


def test_messages_sent_before_the_webhook_was_set_are_not_delivered_later(party):
    before = party.send("while no webhook was set")
    with Receiver(path="/hook") as receiver:
        party.set_webhook(receiver.url, "s3")
        after = party.send("after the webhook was set")
        [hit] = receiver.wait(1)
        sentinel = party.send("sentinel")
        receiver.wait(2)
    assert texts(receiver.hits) == [after["body"], sentinel["body"]]
    assert before["id"] not in {hit.delivery for hit in receiver.hits}
    assert hit.body == after


def test_a_deleted_webhook_gets_no_later_messages(party):
    with Receiver(path="/hook") as receiver:
        party.set_webhook(receiver.url, "s3")
        first = party.send("delivered")
        receiver.wait(1)
        deleted = party.bot.delete("/v1/bot-api/bot/webhook")
        assert (deleted.status_code, deleted.json()) == (200, {"message": "Webhook deleted."})
        gone = party.bot.get("/v1/bot-api/bot/webhook")
        assert (gone.status_code, gone.json()) == (404, {"message": "Webhook not found."})
        missed = party.send("while deleted")
        party.set_webhook(receiver.url, "s3")  # set again: the missed one stays missed
        last = party.send("after setting it again")
        receiver.wait(2)
    assert [hit.body for hit in receiver.hits] == [first, last]
    assert missed["id"] not in {hit.delivery for hit in receiver.hits}


def test_messages_of_one_chat_arrive_in_order_even_across_a_retry(party):
    """The second message's first attempt fails; the later ones wait for it."""
    other_chat = party.open_chat()
    with Receiver([200, 500], path="/hook") as receiver:
        party.set_webhook(receiver.url, "s3")
        sent = [party.send(f"message {n}") for n in range(5)]
        hits = receiver.wait(6)
        elsewhere = party.send("in another chat", chat_id=other_chat)
        receiver.wait(7)
    in_chat = [hit for hit in receiver.hits if hit.body["chatId"] == party.chat_id]
    assert [hit.delivery for hit in in_chat] == [
        sent[0]["id"], sent[1]["id"], sent[1]["id"], sent[2]["id"], sent[3]["id"], sent[4]["id"]]
    assert [hit.body for hit in hits] == [sent[0], sent[1], *sent[1:]]
    assert receiver.hits[-1].body == elsewhere


def test_a_failing_receiver_is_retried_with_backoff_and_every_attempt_is_logged(tmp_path):
    """500, 500, 200: one delivery id throughout, about 1 s then 2 s apart, and in the log
    two Webhook.DeliveryFailed and one Webhook.Delivered for it."""
    server = start_server(tmp_path / "data")
    try:
        party = Party(server.url)
        with Receiver([500, 500], path="/hook") as receiver:
            party.set_webhook(receiver.url, "s3")
            sent = party.send("try, try again")
            first, again, third = receiver.wait(3, timeout=15)
            sentinel = party.send("sentinel")  # after the delivery, in the same chat
            receiver.wait(4)
        party.close()
        assert server.stop() == 0
    finally:
        server.stop()
    assert [hit.delivery for hit in receiver.hits] == [sent["id"]] * 3 + [sentinel["id"]]
    assert first.raw == again.raw == third.raw and first.body == sent
    assert again.at - first.at >= 0.9  # backoff starts at ~1 s
    assert third.at - again.at >= again.at - first.at - 0.1  # and does not shrink
    records = attempts_for(server.data, receiver.url)
    update_id = records[0][1]
    mine = [record for record in records if record[1] == update_id]
    assert mine == [("Webhook.DeliveryFailed", update_id, 1),
                    ("Webhook.DeliveryFailed", update_id, 2),
                    ("Webhook.Delivered", update_id, 3)]
    assert [kind for kind, found, _ in records if found != update_id] == ["Webhook.Delivered"]


@pytest.mark.parametrize("receiver_state", ["down", "refusing"])
def test_a_pending_webhook_is_delivered_after_a_restart(tmp_path, receiver_state: str):
    """Sent while the receiver is down (nothing listens) or refusing (answers 503); the server
    stops, the receiver answers 200, the server starts on the same data: the message arrives."""
    server, receiver = start_server(tmp_path / "data"), Receiver(path="/hook")
    refusing = receiver_state == "refusing"
    try:
        party = Party(server.url)
        if refusing:
            receiver.otherwise = 503
            receiver.__enter__()
        party.set_webhook(receiver.url, "s3")
        sent = party.send("sent before the restart")
        if refusing:
            receiver.wait(1)  # an attempt made and refused
        party.close()
        assert server.stop() == 0
        refused = len(receiver.hits)
        receiver.otherwise = 200
        if not refusing:
            receiver.__enter__()
        server.start()
        delivered = receiver.wait(refused + 1, timeout=20)[-1]
        with httpx.Client(base_url=server.url, headers=party.bot.headers) as bot:
            shown = bot.get("/v1/bot-api/bot/webhook")  # the webhook itself is in the log
        assert shown.json() == {"botId": party.bot_id, "url": receiver.url, "secret": "s3"}
        assert server.stop() == 0
    finally:
        receiver.__exit__()
        server.stop()
    assert delivered.body == sent and delivered.delivery == sent["id"]
    assert delivered.headers["authorization"] == "s3"
    assert {hit.delivery for hit in receiver.hits} == {sent["id"]}
    assert len(receiver.hits) == refused + 1  # delivered once, after the restart
    records = attempts_for(server.data, receiver.url)
    assert [kind for kind, *_ in records].count("Webhook.Delivered") == 1
    assert records[-1][0] == "Webhook.Delivered"
    assert records[-1][2] == len(records)  # the attempts are numbered across the restart
