"""BOTBUS_TELEGRAM_RATE_LIMIT / _CHAT_RATE_LIMIT (telegram.md decision 9): over the limit, 429
`Too Many Requests: retry after N` with `parameters.retry_after` and `Retry-After`, and
nothing recorded."""
import time

import httpx
import pytest

from tests.servers import served
from tests.telegram.conftest import new_bot, new_user


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    yield from served(tmp_path_factory, "limited", BOTBUS_TELEGRAM_RATE_LIMIT="3")


def test_sending_over_the_limit_is_refused_with_retry_after(limited):
    with httpx.Client(base_url=limited.url, timeout=15) as http:
        bot, user = new_bot(http), new_user(http)
        url = f"/bot{bot['bot_api_token']}/sendMessage"
        start = time.monotonic()
        answers = [http.post(url, data={"chat_id": user.id, "text": f"m{n}"}) for n in range(8)]
        seconds = time.monotonic() - start
        passed = [n for n, a in enumerate(answers) if a.status_code == 200]
        assert len(passed) <= 3 * (int(seconds) + 2), seconds  # 3 in each second touched
        refused = next(a for a in answers if a.status_code != 200)
        assert refused.status_code == 429
        body = refused.json()
        assert body["ok"] is False and body["error_code"] == 429
        wait = body["parameters"]["retry_after"]
        assert body["description"] == f"Too Many Requests: retry after {wait}"
        assert refused.headers["Retry-After"] == str(wait) and wait >= 1
        time.sleep(wait)
        assert http.post(url, data={"chat_id": user.id, "text": "later"}).json()["ok"]
        texts = [item["message"]["text"] for item in user.inbox()]
        assert texts == [f"m{n}" for n in passed] + ["later"]  # a refused send is not recorded


def test_reads_are_not_limited(limited):
    with httpx.Client(base_url=limited.url, timeout=15) as http:
        bot = new_bot(http)
        answers = [http.get(f"/bot{bot['bot_api_token']}/getMe") for _ in range(10)]
        assert {a.status_code for a in answers} == {200}
