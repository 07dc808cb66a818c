"""A Telegram webhook on a log two nodes share: one node (the lease holder) delivers, so each
update reaches the receiver once wherever it was sent; when that node is SIGKILLed, the other
takes over and deliveries go on."""
import time

import httpx
import pytest

from tests.receivers import Receiver
from tests.scaleout.conftest import (
    TIMEOUT,
    Worker,
    begin,
    client,
    finish,
    node,
    register_bot,
    register_user,
    sent,
    until,
)

pytestmark = pytest.mark.slow
SECRET = "sc4le-0ut"
PER_USER = 15


def webhook_info(http: httpx.Client, token: str) -> dict:
    body = http.post(f"/bot{token}/getWebhookInfo").json()
    assert body["ok"], body
    return body["result"]


def test_a_webhook_is_delivered_once_by_one_node_and_taken_over_when_it_is_killed(
        tmp_path, postgres):
    log_url = postgres.new_database()
    a = node(tmp_path / "a", log_url).start()
    b = node(tmp_path / "b", log_url)
    try:
        with Receiver() as receiver, client(a) as on_a:
            bot = register_bot(on_a)
            token = bot["bot_api_token"]
            users = [register_user(on_a) for _ in range(2)]
            set_ = on_a.post(f"/bot{token}/setWebhook",
                             json={"url": f"{receiver.url}/hook", "secret_token": SECRET}).json()
            assert set_ == {"ok": True, "result": True, "description": "Webhook was set"}, set_
            sent(on_a, users[0], bot["fingerprint"], "alone")
            receiver.wait_for({"alone"}, TIMEOUT)  # A, alone on the log, holds the webhook's lease

            b.start()
            with client(b) as on_b:
                assert webhook_info(on_b, token)["url"] == f"{receiver.url}/hook"

                def sender(index: int) -> None:  # each user writes to both nodes in turn
                    with client(a) as to_a, client(b) as to_b:
                        for n in range(PER_USER):
                            sent((to_a, to_b)[(n + index) % 2], users[index],
                                 bot["fingerprint"], f"{index}-{n}")

                finish(begin(Worker(sender, 0), Worker(sender, 1)), 3 * TIMEOUT)
                both_up = {f"{i}-{n}" for i in range(2) for n in range(PER_USER)}
                receiver.wait_for(both_up, TIMEOUT)
                until(lambda: webhook_info(on_b, token),  # the deliveries are on record
                      lambda info: info["pending_update_count"] == 0)
                time.sleep(0.5)  # a second deliverer's repeats would land by now
                before_kill = receiver.updates()
                ids = [u["update_id"] for u in before_kill]
                assert len(ids) == len(set(ids)) == 1 + len(both_up), sorted(ids)

                a.kill()  # the lease holder
                after = [sent(on_b, users[1], bot["fingerprint"], f"after-{n}")
                         for n in range(5)]
                receiver.wait_for({f"after-{n}" for n in range(5)}, timeout=3 * TIMEOUT)
                until(lambda: webhook_info(on_b, token),
                      lambda info: info["pending_update_count"] == 0)
                info = webhook_info(on_b, token)
                assert "last_error_message" not in info, info

        hits = list(receiver.hits)
        assert {(hit.path, hit.headers.get("x-telegram-bot-api-secret-token"))
                for hit in hits} == {("/hook", SECRET)}
        updates = [hit.body for hit in hits]
        ids = [u["update_id"] for u in updates]
        assert len(ids) == len(set(ids)) == 1 + len(both_up) + len(after), sorted(ids)
        texts = [u["message"]["text"] for u in updates]
        for index in range(2):  # in order per chat
            assert [t for t in texts if t.startswith(f"{index}-")] == [
                f"{index}-{n}" for n in range(PER_USER)]
        assert [t for t in texts if t.startswith("after-")] == [f"after-{n}" for n in range(5)]
    finally:
        a.kill()
        assert b.process is None or b.stop() == 0
