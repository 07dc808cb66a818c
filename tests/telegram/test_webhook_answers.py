"""What a hostile or odd receiver answers: a 2xx answer is read up to a cap
(api/webhook_http.py ANSWER_MAX, 1 MiB), a longer one still delivers its update, once, but its
method is never run, so a receiver's gigabytes are never held; a small answer's method still
runs (see test_webhooks.py too). A `Retry-After` that is no number is the usual backoff."""
import json
import time

import pytest

from tests.receivers import Receiver
from tests.telegram.conftest import new_bot, new_user
from tests.telegram.test_webhooks import call, deliveries, info, until

CAP = 1 << 20
JSON = {"Content-Type": "application/json"}


def answer(chat_id: int, text: str, padding: int = 0) -> bytes:
    """A sendMessage answer, then `padding` spaces: still valid JSON when read whole."""
    method = {"method": "sendMessage", "chat_id": chat_id, "text": text}
    return json.dumps(method).encode() + b" " * padding


@pytest.mark.parametrize("length", ["declared", "until closed"])
def test_an_answer_over_the_cap_is_delivered_once_and_its_method_not_run(server, http, length):
    """Declared: refused on its Content-Length. Until closed: no length, so it is read as it
    comes, and left once past the cap. Either way the update counts as delivered."""
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    huge = answer(user.id, "from a huge answer", padding=CAP + 64 * 1024)
    headers = JSON if length == "declared" else {**JSON, "Content-Length": None}
    with Receiver([(200, headers, huge), (200, JSON, answer(user.id, "from a small answer"))]
                  ) as receiver:
        call(http, token, "setWebhook", url=receiver.url)
        user.send(bot["alias"], "one")
        user.send(bot["alias"], "two")  # same chat: posted only once "one" was delivered
        assert user.texts() == ["from a small answer"]
        until(lambda: info(http, token), lambda i: not i["pending_update_count"])
        time.sleep(1.5)  # no retry comes, and no late message
        assert len(receiver.hits) == 2
        assert user.inbox() == []
        state = info(http, token)
    assert "last_error_message" not in state
    one, two = (hit.body["update_id"] for hit in receiver.hits)
    assert deliveries(server, bot["fingerprint"]) == [
        ("Webhook.Delivered", one, 1, 200), ("Webhook.Delivered", two, 1, 200)]
    logged = [line for line in server.log_text().splitlines() if "answer too long" in line]
    assert any(bot["fingerprint"] in line for line in logged)
    assert "from a huge answer" not in server.log_text()


def test_a_retry_after_of_digits_float_refuses_is_the_usual_backoff(server, http):
    """"²" is a digit to `str.isdigit`, and `float` refuses it: the worker once crashed on it
    and never retried the update."""
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    utf8 = "²".encode().decode("latin-1")  # the receiver writes headers as latin-1
    with Receiver([(429, {"Retry-After": utf8})]) as receiver:
        call(http, token, "setWebhook", url=receiver.url)
        user.send(bot["alias"], "odd header")
        first, again = receiver.wait(2, timeout=10)
        until(lambda: info(http, token), lambda i: not i["pending_update_count"])
    assert again.at - first.at < 2.5 and first.body == again.body  # the 1 s backoff
    update = first.body["update_id"]
    assert deliveries(server, bot["fingerprint"]) == [
        ("Webhook.DeliveryFailed", update, 1, "Wrong response from the webhook: 429 Too Many "
         "Requests"), ("Webhook.Delivered", update, 2, 200)]
