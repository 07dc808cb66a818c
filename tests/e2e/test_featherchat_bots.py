"""featherChat v1 bot API against a real server: the seed's shapes and rules."""
import threading
import time

import httpx

from tests.conftest import fingerprint, register_bot, register_user, send_as_user


def call(http, token, method, **params):
    return http.post(f"/v1/bot/{token}/{method}", json=params).json()


def test_register_returns_seed_token_alias_and_bot_api_token(http):
    fp = fingerprint()
    body = http.post("/v1/bot/register", json={"name": "WeatherBot", "fingerprint": fp}).json()
    result = body["result"]
    assert body["ok"] is True
    prefix, secret = result["token"].split(":")
    assert prefix == fp[:16] and len(secret) == 32 and int(secret, 16) >= 0
    assert result["alias"] == "@weatherbot"
    assert result["name"] == "WeatherBot" and result["fingerprint"] == fp
    number, api_secret = result["bot_api_token"].split(":")
    assert number.isdigit() and len(api_secret) >= 30


def test_alias_rule_follows_the_code_not_the_sample(http):
    assert register_bot(http, "weather")["alias"] == "@weather_bot"
    assert register_bot(http, "echo_bot")["alias"] == "@echo_bot"
    assert register_bot(http, "MYBOT")["alias"] == "@mybot_bot"


def test_taken_alias_is_refused_not_overwritten(http):
    first = register_bot(http, "TakenBot")
    again = http.post("/v1/bot/register", json={"name": "TakenBot", "fingerprint": fingerprint()})
    assert again.status_code == 200
    assert again.json() == {"ok": False, "description": "alias already taken"}
    user = register_user(http)
    sent = send_as_user(http, user, to="@takenbot", text="hi")
    assert sent["ok"]
    updates = call(http, first["token"], "getUpdates")["result"]
    assert [u["message"]["text"] for u in updates] == ["hi"]


def test_get_me_with_both_tokens_get_and_post(http):
    bot = register_bot(http, "MeBot")
    expected = {"id": bot["fingerprint"], "is_bot": True, "first_name": "MeBot",
                "username": "MeBot"}
    assert http.get(f"/v1/bot/{bot['token']}/getMe").json() == {"ok": True, "result": expected}
    assert call(http, bot["bot_api_token"], "getMe")["result"] == expected
    assert http.get(f"/v1/bot/{bot['token']}/GETME").json()["result"] == expected


def test_invalid_token_on_every_method(http):
    for method in ("getMe", "getUpdates", "sendMessage"):
        body = http.post(f"/v1/bot/aabb:cc/{method}", json={}).json()
        assert body == {"ok": False, "description": "invalid token"}


def test_user_text_reaches_bot_with_seed_shape_and_increasing_update_ids(http):
    bot, user = register_bot(http), register_user(http)
    for text in ("one", "two"):
        assert send_as_user(http, user, to=bot["fingerprint"], text=text)["ok"]
    updates = call(http, bot["token"], "getUpdates")["result"]
    assert [u["update_id"] for u in updates] == [1, 2]
    message = updates[0]["message"]
    fp = user["fingerprint"]
    assert message["from"] == {"id": fp, "is_bot": False, "first_name": fp[:12]}
    assert message["chat"] == {"id": fp, "type": "private"}
    assert message["text"] == "one" and isinstance(message["date"], int)
    assert len(message["message_id"]) == 36  # a uuid


def test_get_updates_deletes_what_it_returns(http):
    bot, user = register_bot(http), register_user(http)
    send_as_user(http, user, to=bot["fingerprint"], text="once")
    assert len(call(http, bot["token"], "getUpdates")["result"]) == 1
    assert call(http, bot["token"], "getUpdates")["result"] == []
    send_as_user(http, user, to=bot["fingerprint"], text="next")
    assert [u["update_id"] for u in call(http, bot["token"], "getUpdates")["result"]] == [2]


def test_long_poll_is_woken_by_the_send(http, server):
    bot, user = register_bot(http), register_user(http)

    def later():  # its own client: an httpx.Client is not to be shared across threads
        time.sleep(0.5)
        with httpx.Client(base_url=server.url, timeout=15) as own:
            send_as_user(own, user, to=bot["fingerprint"], text="wake")

    sender = threading.Thread(target=later)
    sender.start()
    started = time.monotonic()
    updates = call(http, bot["token"], "getUpdates", timeout=5)["result"]
    elapsed = time.monotonic() - started
    sender.join()
    assert [u["message"]["text"] for u in updates] == ["wake"]
    assert 0.4 < elapsed < 3


def test_timeout_is_capped_at_five_seconds(http):
    bot = register_bot(http)
    started = time.monotonic()
    assert call(http, bot["token"], "getUpdates", timeout=60)["result"] == []
    assert 4.5 < time.monotonic() - started < 7


def test_send_message_normalizes_chat_id_and_reports_delivery(http):
    bot, other = register_bot(http), register_bot(http)
    fp = other["fingerprint"]
    grouped = ":".join(fp[i:i + 4].upper() for i in range(0, len(fp), 4))
    result = call(http, bot["token"], "sendMessage", chat_id=grouped, text="hello bot")["result"]
    assert result["chat"] == {"id": fp, "type": "private"}
    assert result["text"] == "hello bot" and result["delivered"] is False
    update = call(http, other["token"], "getUpdates")["result"][0]
    assert update["message"]["from"] == {"id": bot["fingerprint"], "is_bot": True}
    assert update["message"]["text"] == "hello bot"
    assert update["message"]["message_id"] == result["message_id"]


def test_empty_chat_id_after_stripping_is_refused_and_appends_nothing(http, server):
    bot = register_bot(http)
    before = call(http, bot["token"], "getUpdates")
    body = call(http, bot["token"], "sendMessage", chat_id="xyz-!", text="lost")
    assert body == {"ok": False,
                    "description": "chat_id is empty after removing non-hex characters"}
    assert before["ok"]


def test_two_pollers_never_share_an_update(http, server):

    bot, user = register_bot(http), register_user(http)
    seen: list[int] = []

    def poll():
        with httpx.Client(base_url=server.url, timeout=15) as client:
            for _ in range(6):
                result = call(client, bot["token"], "getUpdates", timeout=1)["result"]
                seen.extend(u["update_id"] for u in result)

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    for poller in pollers:
        poller.start()
    for index in range(30):
        send_as_user(http, user, to=bot["fingerprint"], text=str(index))
    for poller in pollers:
        poller.join()
    seen.extend(u["update_id"] for u in call(http, bot["token"], "getUpdates")["result"])
    assert sorted(seen) == list(range(1, 31))


def test_a_bot_that_leaks_long_polls_has_its_oldest_ended_past_eight(http):
    """A bot polls one at a time; one that never awaits a poll before the next could pile up
    connections and tasks without end. Past eight at once, the oldest answer [] at once, and
    updates go to the newest."""
    bot, user = register_bot(http), register_user(http)
    answers: dict[int, dict] = {}

    def poll(i: int) -> None:
        with httpx.Client(base_url=str(http.base_url), timeout=15) as own:
            answers[i] = call(own, bot["token"], "getUpdates", timeout=5)

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(20)]
    before_any_timeout = time.monotonic() + 4.5  # each poll asks to wait 5 s
    for thread in threads:
        thread.start()
        time.sleep(0.1)  # started in order: each is the newest when it comes
    for thread in threads[:12]:
        thread.join(timeout=max(before_any_timeout - time.monotonic(), 0))
    ended = sorted(i for i in answers if answers[i] == {"ok": True, "result": []})
    assert ended == list(range(12)), answers
    assert send_as_user(http, user, to=bot["alias"], text="to the newest")["ok"]
    for thread in threads[12:]:
        thread.join(timeout=15)
    got = [i for i, answer in answers.items() if answer["result"]]
    assert len(got) == 1 and got[0] >= 12
    assert answers[got[0]]["result"][0]["message"]["text"] == "to the newest"
