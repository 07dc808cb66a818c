"""Webhooks (telegram.md decision 6, research-compat §1.4, §2.3): each library's own webhook
mode (PTB `run_webhook`, aiogram `SimpleRequestHandler` answering with a method, telebot
`run_webhooks`), then a receiver of the test's own: retries and their records, Retry-After,
no redirects, 409 for getUpdates, and a pending update delivered after a restart."""
import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from tests.receivers import Receiver
from tests.servers import Server, free_port, replay_log
from tests.telegram.conftest import new_bot, new_user, running_bot

STARTUP = 60.0  # importing aiogram alone takes seconds


def call(http: httpx.Client, token: str, method: str, **params: object) -> httpx.Response:
    return http.post(f"/bot{token}/{method}", json=params)


def info(http: httpx.Client, token: str) -> dict:
    body = call(http, token, "getWebhookInfo").json()
    assert body["ok"], body
    return body["result"]


def until(probe: Callable[[], dict], accept: Callable[[dict], bool], timeout=20.0) -> dict:
    deadline = time.monotonic() + timeout
    while not accept(found := probe()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert accept(found), found
    return found


def deliveries(server: Server, address: str) -> list[tuple[str, int, int, str]]:
    """(type, update_id, attempt, status or error) of this webhook's records in the log."""
    return [(line["type"], line["data"]["update_id"], line["data"]["attempt"],
             line["data"].get("error") or line["data"].get("status"))
            for line in replay_log(server.data, "Webhook.Delivered", "Webhook.DeliveryFailed")
            if line["data"]["address"] == address]


def test_ptb_run_webhook_echoes(server, http):
    bot, user, port = new_bot(http), new_user(http), free_port()
    token = bot["bot_api_token"]
    with running_bot("ptb_webhook.py", server, token, str(port), "ptb_Secret-1"):
        until(lambda: info(http, token), lambda i: i["url"] == f"http://127.0.0.1:{port}/ptb-hook")
        user.send(bot["alias"], "hello over a webhook")
        assert user.texts() == ["ptb: hello over a webhook"]
        assert until(lambda: info(http, token), lambda i: not i["pending_update_count"])


def test_aiogram_handler_returning_a_method_is_executed_from_the_answer(server, http):
    """`handle_in_background=False`: aiogram answers the POST with a multipart `method`; the
    handlers call nothing themselves, so only the server's execution reaches the user."""
    bot, user, port = new_bot(http), new_user(http), free_port()
    token = bot["bot_api_token"]
    with running_bot("aiogram_webhook.py", server, token, str(port), "aiogram-secret"):
        until(lambda: info(http, token), lambda i: i["url"].endswith("/aiogram-hook"), STARTUP)
        user.send(bot["alias"], "hi")
        assert user.texts(timeout=STARTUP) == ["aiogram: hi"]
        user.send(bot["alias"], "/doc")  # a SendDocument whose file is a part of the answer
        [item] = user.wait_for(1, accept=lambda i: "message" in i)
        document = item["message"]["document"]
        assert item["message"]["caption"] == "from the answer"
        assert document["file_name"] == "answer.bin"
        downloaded = http.get(f"/v1/files/{document['file_id']}", headers=user.headers)
        assert downloaded.content == bytes(range(256)) * 3 + b"aiogram webhook answer"


def test_telebot_run_webhooks_echoes(server, http):
    bot, user, port = new_bot(http), new_user(http), free_port()
    token = bot["bot_api_token"]
    with running_bot("telebot_webhook.py", server, token, str(port)):
        until(lambda: info(http, token), lambda i: i["url"].endswith("/telebot-hook/"))
        sent = user.send(bot["alias"], "hello telebot")
        [item] = user.wait_for(1, accept=lambda i: "message" in i)
        assert item["message"]["text"] == "telebot: hello telebot"
        assert item["message"]["reply_to_message_id"] == sent["message_id"]


def test_a_method_in_a_json_or_urlencoded_answer_is_executed(server, http):
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    as_json = {"Content-Type": "application/json"}
    answers = [(200, as_json, json.dumps({"method": "sendMessage", "chat_id": user.id,
                                          "text": "from JSON"}).encode()),
               (200, {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(
                   {"method": "sendMessage", "chat_id": user.id, "text": "from a form"}).encode()),
               (200, as_json, b'{"method": "deleteWebhook"}'),  # ignored, as Telegram does
               (200, as_json, b'{"method": "getMe"}')]
    with Receiver(answers) as receiver:
        call(http, token, "setWebhook", url=receiver.url)
        for text in ("a", "b", "c", "d"):
            user.send(bot["alias"], text)
        assert user.texts(2) == ["from JSON", "from a form"]
        receiver.wait(4)
        until(lambda: info(http, token), lambda i: not i["pending_update_count"])
        assert info(http, token)["url"] == receiver.url


def test_a_500_is_retried_in_order_and_delivered_once_more(server, http):
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    with Receiver([(500, {})]) as receiver:
        assert call(http, token, "setWebhook", url=f"{receiver.url}/hook",
                    secret_token="s3cr3t_-").json()["description"] == "Webhook was set"
        before = time.time()
        user.send(bot["alias"], "one")
        user.send(bot["alias"], "two")
        receiver.wait(1)
        failing = until(lambda: info(http, token), lambda i: "last_error_date" in i)
        assert failing["pending_update_count"] == 2
        assert failing["last_error_message"] == \
            "Wrong response from the webhook: 500 Internal Server Error"
        assert int(before) <= failing["last_error_date"] <= time.time() + 1
        first, again, second = receiver.wait(3)
        assert until(lambda: info(http, token), lambda i: not i["pending_update_count"])
        time.sleep(1.5)  # and nothing more comes
        assert len(receiver.hits) == 3
    assert again.at - first.at >= 0.9  # backoff: 1 s
    assert first.body == again.body and first.body["message"]["text"] == "one"  # same update_id
    assert second.body["message"]["text"] == "two"  # after "one" was delivered, never before
    for hit in receiver.hits:
        assert hit.path == "/hook" and hit.headers["content-type"] == "application/json"
        assert hit.headers["x-telegram-bot-api-secret-token"] == "s3cr3t_-"
    one, two = first.body["update_id"], second.body["update_id"]
    assert deliveries(server, bot["fingerprint"]) == [
        ("Webhook.DeliveryFailed", one, 1, "Wrong response from the webhook: 500 Internal "
         "Server Error"), ("Webhook.Delivered", one, 2, 200), ("Webhook.Delivered", two, 1, 200)]


def test_retry_after_is_honoured(server, http):
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    with Receiver([(429, {"Retry-After": "3"})]) as receiver:
        call(http, token, "setWebhook", url=receiver.url)
        user.send(bot["alias"], "slow down")
        receiver.wait(1)
        assert until(lambda: info(http, token), lambda i: "last_error_message" in i)[
            "last_error_message"] == "Wrong response from the webhook: 429 Too Many Requests"
        first, again = receiver.wait(2, timeout=10)
    assert again.at - first.at >= 2.9 and first.body == again.body  # not the 1 s backoff


def test_a_redirect_is_not_followed_and_is_the_last_error(server, http):
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    with Receiver() as receiver:
        receiver.answers = [(307, {"Location": f"{receiver.url}/followed"})] * 50
        call(http, token, "setWebhook", url=f"{receiver.url}/hook")
        user.send(bot["alias"], "where to?")
        state = until(lambda: info(http, token), lambda i: "last_error_message" in i)
        assert state["last_error_message"] == \
            "Wrong response from the webhook: 307 Temporary Redirect"
        assert state["pending_update_count"] == 1
        time.sleep(1.5)  # a retry or two: to /hook again, never to /followed
        assert {hit.path for hit in receiver.hits} == {"/hook"}
        assert info(http, token)["pending_update_count"] == 1
        receiver.answers = []
        call(http, token, "setWebhook", url=f"{receiver.url}/followed")  # the bot's own fix
        until(lambda: info(http, token), lambda i: not i["pending_update_count"])
    assert receiver.hits[-1].path == "/followed"
    assert receiver.hits[-1].body["message"]["text"] == "where to?"


def test_get_updates_while_a_webhook_is_set_is_409(server, http):
    token = new_bot(http)["bot_api_token"]
    assert call(http, token, "setWebhook", url="http://127.0.0.1:9/hook").json()["ok"]
    assert info(http, token)["url"] == "http://127.0.0.1:9/hook"
    answered = []
    for verb in (http.get, http.post):
        conflict = verb(f"/bot{token}/getUpdates")
        answered.append(time.monotonic())
        assert conflict.status_code == 409
        assert conflict.json() == {"ok": False, "error_code": 409, "description": (
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
            "to delete the webhook first")}
    assert answered[1] - answered[0] >= 2.9  # one 409 per 3 s: a library's loop slows down
    assert call(http, token, "deleteWebhook").json()["description"] == "Webhook was deleted"
    assert info(http, token)["url"] == ""
    assert call(http, token, "getUpdates", timeout=0).json() == {"ok": True, "result": []}


def test_a_pending_update_is_delivered_once_after_a_restart(tmp_path):
    server, receiver = Server(tmp_path / "data").start(), Receiver()  # not listening yet
    try:
        with httpx.Client(base_url=server.url, timeout=15) as client:
            bot, user = new_bot(client), new_user(client)
            token = bot["bot_api_token"]
            call(client, token, "setWebhook", url=f"{receiver.url}/hook")
            user.send(bot["alias"], "sent while the receiver was down")
            down = until(lambda: info(client, token), lambda i: "last_error_message" in i)
            assert down["pending_update_count"] == 1
        assert server.stop() == 0
        server.start()
        with receiver, httpx.Client(base_url=server.url, timeout=15) as client:
            [hit] = receiver.wait(1, timeout=20)
            assert hit.body["message"]["text"] == "sent while the receiver was down"
            until(lambda: info(client, token), lambda i: not i["pending_update_count"])
            time.sleep(1.5)  # and only once
            assert len(receiver.hits) == 1
            assert info(client, token)["url"] == f"{receiver.url}/hook"
        records = deliveries(server, bot["fingerprint"])
        assert records[-1] == ("Webhook.Delivered", hit.body["update_id"], len(records), 200)
        assert {kind for kind, *_ in records[:-1]} == {"Webhook.DeliveryFailed"}
    finally:
        server.stop()
