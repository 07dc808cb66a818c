"""What the reference server drops in time (research-compat §1.3, §1.4), on a real server
whose clock runs short: a bot's updates older than `BOTBUS_UPDATE_RETENTION` are gone,
polled or pushed, while a user's inbox keeps everything; a webhook whose receiver answers
only 410 Gone for `BOTBUS_WEBHOOK_GONE_AFTER` is removed and its updates wait for
getUpdates. Every drop is an event, so a rebuild from the log agrees."""
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.receivers import Receiver
from tests.servers import ROOT, Server, replay_log, served
from tests.telegram.conftest import new_bot, new_user
from tests.telegram.test_webhooks import call, info, until

RETENTION = 2.0  # seconds; swept every half second
GONE_AFTER = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """The tests' `http` client (conftest's) talks to this one."""
    yield from served(tmp_path_factory, "botbus", BOTBUS_UPDATE_RETENTION=str(RETENTION))


@pytest.fixture(scope="module")
def gone_server(tmp_path_factory) -> Iterator[Server]:
    """Its own: its 410 runs outlast the other's retention."""
    yield from served(tmp_path_factory, "gone", BOTBUS_WEBHOOK_GONE_AFTER=str(GONE_AFTER))


@pytest.fixture
def gone_http(gone_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gone_server.url, timeout=15) as client:
        yield client


def updates(http: httpx.Client, token: str, **params: object) -> list[dict]:
    body = call(http, token, "getUpdates", timeout=0, **params).json()
    assert body["ok"], body
    return body["result"]


def test_an_update_past_the_retention_is_dropped_and_a_fresh_one_waits(server, http):
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    user.send(bot["alias"], "old")
    [old] = updates(http, token)  # seen, not confirmed: it still waits, until it expires
    answer = call(http, token, "sendMessage", chat_id=user.id, text="for the user").json()
    assert answer["ok"], answer
    until(lambda: {"left": updates(http, token)}, lambda found: not found["left"],
          timeout=RETENTION + 5)
    user.send(bot["alias"], "fresh")
    [fresh] = updates(http, token)
    assert fresh["message"]["text"] == "fresh"
    assert fresh["update_id"] == old["update_id"] + 1  # an expired id is never given again
    assert user.texts(1) == ["for the user"]  # a person's inbox is never swept
    [expired] = [event for event in replay_log(server.data, "UpdateQueue.UpdatesExpired")
                 if event["data"]["address"] == bot["fingerprint"]]
    assert expired["data"]["before"] > old["message"]["date"] * 1000


def test_a_webhook_that_keeps_failing_loses_the_update_at_the_retention(server, http):
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    with Receiver([(500, {})] * 50) as receiver:
        call(http, token, "setWebhook", url=receiver.url)
        user.send(bot["alias"], "never taken")
        receiver.wait(1)
        assert info(http, token)["pending_update_count"] == 1
        until(lambda: info(http, token), lambda hook: hook["pending_update_count"] == 0,
              timeout=RETENTION + 5)
        tried = len(receiver.hits)
        time.sleep(2.5)  # past the next backoff: nothing is tried again
        assert len(receiver.hits) == tried
        assert info(http, token)["url"] == receiver.url


def test_a_webhook_answering_only_410_is_removed_and_its_update_waits(gone_server, gone_http):
    server, http = gone_server, gone_http
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    with Receiver([(410, {})] * 50) as receiver:
        call(http, token, "setWebhook", url=f"{receiver.url}/gone")
        user.send(bot["alias"], "anyone there?")
        removed = until(lambda: info(http, token), lambda hook: hook["url"] == "",
                        timeout=GONE_AFTER + 10)
        hits = len(receiver.hits)
        assert hits >= 2  # 410 on each attempt (1 s, then 2 s apart) for 2 s
        assert removed["pending_update_count"] == 1
        [update] = updates(http, token)  # no 409: the webhook is gone
        assert update["message"]["text"] == "anyone there?"
        time.sleep(1.5)
        assert len(receiver.hits) == hits
    [event] = [event for event in replay_log(server.data, "Webhook.Removed")
               if event["data"]["address"] == bot["fingerprint"]]
    assert event["data"]["reason"].startswith("the webhook answered 410 Gone for ")


def test_a_run_of_410s_broken_by_another_answer_starts_again(gone_http):
    http = gone_http
    bot, user = new_bot(http), new_user(http)
    token = bot["bot_api_token"]
    # at 0 s, 1 s (backoff 1), 3 s (2), 7 s (4): the 410s at 0 and 3 s are 3 s apart, but
    # the 500 between them broke the run
    with Receiver([(410, {}), (500, {}), (410, {})]) as receiver:  # then 200s
        call(http, token, "setWebhook", url=receiver.url)
        user.send(bot["alias"], "one")
        receiver.wait(4, timeout=15)
        until(lambda: info(http, token), lambda hook: hook["pending_update_count"] == 0)
        assert info(http, token)["url"] == receiver.url


def test_a_rebuild_from_the_log_drops_the_same_updates(server, gone_server):
    for done in (server, gone_server):
        out = subprocess.run([sys.executable, "-m", "replay", "verify", *done.store_args()],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
