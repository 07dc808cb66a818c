"""BOTBUS_TELEGRAM_RATE_LIMIT holds on featherChat's `/v1/bot/<token>/sendMessage` too: a bot's
tokens work on both families (telegram.md decision 2), so the limit counts its sends through
either. Over it: 429 in featherChat's envelope, `Too Many Requests: retry after N` with
`Retry-After: N`, and nothing recorded."""
import math
import time

import httpx
import pytest

from tests.servers import served
from tests.telegram.conftest import new_bot, new_user

LIMIT = 3


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    yield from served(tmp_path_factory, "limited", BOTBUS_TELEGRAM_RATE_LIMIT=str(LIMIT))


def feather(http: httpx.Client, bot: dict, user, text: str, spelling: str = "sendMessage"):
    return http.post(f"/v1/bot/{bot['token']}/{spelling}",
                     json={"chat_id": user.fingerprint, "text": text})


def telegram(http: httpx.Client, bot: dict, user, text: str):
    return http.post(f"/bot{bot['bot_api_token']}/sendMessage",
                     data={"chat_id": user.id, "text": text})


def test_featherchat_sends_over_the_limit_are_refused_with_retry_after(limited):
    with httpx.Client(base_url=limited.url, timeout=15) as http:
        bot, user = new_bot(http), new_user(http)
        start = time.monotonic()
        answers = [feather(http, bot, user, f"m{n}", ("sendMessage", "sendmessage")[n % 2])
                   for n in range(8)]
        seconds = time.monotonic() - start
        passed = [n for n, a in enumerate(answers) if a.status_code == 200]
        assert len(passed) <= LIMIT * (int(seconds) + 2), seconds  # 3 in each second touched
        refused = next(a for a in answers if a.status_code != 200)
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        assert refused.json() == {"ok": False,
                                  "description": f"Too Many Requests: retry after {wait}"}
        assert wait >= 1
        time.sleep(wait)
        assert feather(http, bot, user, "later").json()["ok"] is True
        texts = [item["message"]["text"] for item in user.inbox()]
        assert texts == [f"m{n}" for n in passed] + ["later"]  # a refused send is not recorded


def test_the_limit_counts_a_bots_sends_through_both_families_together(limited):
    """The limiter's windows are seconds of the monotonic clock, one clock for every process
    on the machine: calls made within one such second fall in one window."""
    with httpx.Client(base_url=limited.url, timeout=15) as http:
        bot, user = new_bot(http), new_user(http)
        for _ in range(5):  # a slow machine may straddle a second: try a new one
            time.sleep(1 - time.monotonic() % 1 + 0.01)
            second = math.floor(time.monotonic())
            answers = [telegram(http, bot, user, "a"), feather(http, bot, user, "b"),
                       telegram(http, bot, user, "c"), feather(http, bot, user, "d"),
                       telegram(http, bot, user, "e")]
            if math.floor(time.monotonic()) == second:
                break
        else:
            pytest.fail("five calls never fitted in one second")
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        assert answers[3].json()["description"].startswith("Too Many Requests: retry after ")
        assert answers[4].json()["parameters"]["retry_after"] >= 1
