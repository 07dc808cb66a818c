"""featherChat v1 user side against a real server (telegram.md decision 4): registration and
alias rules, every content kind a user sends and the exact update the bot gets, and the inbox.
Live delivery over the WebSocket is in test_live_sockets.py."""
import base64
import secrets
import time
import uuid

import pytest

from tests.conftest import fingerprint, register_bot, register_user, send_as_user

INVALID_TOKEN = {"ok": False, "description": "invalid token"}
ALIAS_RULE = "alias must be 1-32 alphanumeric chars"
RESERVED = ("aliases ending with 'Bot' or '_bot' are reserved for bots — "
            "register via /v1/bot/register first")
ONE_CONTENT = "exactly one of text, raw_encrypted, document, call_signal is required"
SETTLE = 0.2  # lets the server finish registering or dropping a socket it just saw


def refusal(description: str) -> dict:
    return {"ok": False, "description": description}


def updates(http, bot: dict) -> list[dict]:
    body = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={}).json()
    assert body["ok"], body
    return body["result"]


def bot_send(http, bot: dict, chat_id: str, text: str) -> dict:
    body = http.post(f"/v1/bot/{bot['token']}/sendMessage",
                     json={"chat_id": chat_id, "text": text}).json()
    assert body["ok"], body
    return body["result"]


def inbox(http, user: dict) -> list[dict]:
    body = http.get("/v1/messages/inbox",
                    headers={"Authorization": f"Bearer {user['token']}"}).json()
    assert body["ok"], body
    return body["result"]


def user_message(user: dict, sent: dict, **content) -> dict:
    """The seed's user-message shape, as the bot must see it."""
    fp = user["fingerprint"]
    return {"message_id": sent["message_id"],
            "from": {"id": fp, "is_bot": False, "first_name": fp[:12]},
            "chat": {"id": fp, "type": "private"},
            "date": sent["date"], **content}


def bot_message(bot: dict, sent: dict) -> dict:
    """The seed's bot-message shape, as the user must see it in the inbox or on the socket."""
    fp = bot["fingerprint"]
    return {"message_id": sent["message_id"], "from": {"id": fp, "is_bot": True},
            "chat": {"id": fp, "type": "private"}, "date": sent["date"], "text": sent["text"]}


def accepted(body: dict) -> dict:
    assert body["ok"] is True, body
    result = body["result"]
    assert set(result) == {"message_id", "date"}
    uuid.UUID(result["message_id"])
    assert isinstance(result["date"], int) and abs(result["date"] - time.time()) < 60
    return result


def ws_url(server, token: str | None) -> str:
    url = server.url.replace("http://", "ws://") + "/v1/ws"
    return url if token is None else f"{url}?token={token}"


# Registration and aliases

def test_register_returns_token_normalized_fingerprint_and_integer_id(http):
    fp = fingerprint()
    grouped = ":".join(fp[i:i + 4].upper() for i in range(0, len(fp), 4))
    body = http.post("/v1/users/register", json={"fingerprint": grouped, "name": "Ann"}).json()
    assert body["ok"] is True
    result = body["result"]
    assert set(result) == {"token", "fingerprint", "id"}
    assert result["fingerprint"] == fp
    assert isinstance(result["id"], int) and not isinstance(result["id"], bool)
    assert isinstance(result["token"], str) and len(result["token"]) >= 20
    other = register_user(http)
    assert other["id"] != result["id"] and other["token"] != result["token"]


def test_name_and_alias_are_optional(http):
    assert register_user(http)["fingerprint"]
    assert register_user(http, name="Just A Name")["fingerprint"]
    assert register_user(http, alias="u" + secrets.token_hex(6))["fingerprint"]


@pytest.mark.parametrize("alias", ["a", "Z9", "x" * 32, "robotics", "Bot1", "botanist"])
def test_valid_user_aliases(http, alias):
    """Each alias is used once per server (the module's server is fresh on every run)."""
    body = http.post("/v1/users/register", json={"fingerprint": fingerprint(), "alias": alias})
    assert body.json()["ok"] is True, body.json()


@pytest.mark.parametrize("alias", ["", "a-b", "has space", "under_score", "x" * 33, "dot.ted",
                                   "@at", "tab\t"])
def test_alias_must_be_1_to_32_alphanumeric(http, alias):
    body = http.post("/v1/users/register", json={"fingerprint": fingerprint(), "alias": alias})
    assert body.status_code == 200
    assert body.json() == refusal(ALIAS_RULE)


@pytest.mark.parametrize("alias", ["coolbot", "CoolBot", "COOLBOT", "bot", "Bot", "robot",
                                   "my2bot"])
def test_aliases_ending_in_bot_are_reserved_for_bots(http, alias):
    body = http.post("/v1/users/register", json={"fingerprint": fingerprint(), "alias": alias})
    assert body.status_code == 200
    assert body.json() == refusal(RESERVED)


def test_alias_with_underscore_bot_fails_the_alphanumeric_rule_first(http):
    body = http.post("/v1/users/register", json={"fingerprint": fingerprint(), "alias": "my_bot"})
    assert body.json() == refusal(ALIAS_RULE)


def test_taken_alias_is_refused_case_insensitively(http):
    alias = "ann" + secrets.token_hex(4)
    register_user(http, alias=alias)
    for spelling in (alias, alias.upper()):
        body = http.post("/v1/users/register", json={"fingerprint": fingerprint(),
                                                      "alias": spelling})
        assert body.status_code == 200
        assert body.json() == refusal("alias already taken")


def test_registered_fingerprint_is_refused_in_any_spelling(http):
    user = register_user(http)
    fp = user["fingerprint"]
    for spelling in (fp, fp.upper(), ":".join(fp[i:i + 2] for i in range(0, len(fp), 2))):
        body = http.post("/v1/users/register", json={"fingerprint": spelling}).json()
        assert body == refusal("fingerprint already registered")
    bot = register_bot(http)
    body = http.post("/v1/users/register", json={"fingerprint": bot["fingerprint"]}).json()
    assert body == refusal("fingerprint already registered")


# Sending: each content kind and the exact update the bot gets

def test_text_reaches_the_bot_in_the_seed_user_message_shape(http):
    bot, user = register_bot(http), register_user(http, name="Display Name")
    sent = accepted(send_as_user(http, user, to=bot["fingerprint"], text="hello"))
    assert updates(http, bot) == [
        {"update_id": 1, "message": user_message(user, sent, text="hello")}]


def test_raw_encrypted_reaches_the_bot_with_text_null(http):
    bot, user = register_bot(http), register_user(http)
    blob = base64.b64encode(secrets.token_bytes(200)).decode()
    sent = accepted(send_as_user(http, user, to=bot["fingerprint"], raw_encrypted=blob))
    assert updates(http, bot) == [{"update_id": 1, "message": user_message(
        user, sent, text=None, raw_encrypted=blob)}]


def test_document_header_reaches_the_bot_without_text(http):
    bot, user = register_bot(http), register_user(http)
    document = {"file_name": "report.pdf", "file_size": 204800}
    sent = accepted(send_as_user(http, user, to=bot["fingerprint"], document=document))
    [update] = updates(http, bot)
    assert update == {"update_id": 1, "message": user_message(user, sent, document=document)}
    assert "text" not in update["message"]


@pytest.mark.parametrize("kind", ["Offer", "IceCandidate", "Hangup", "Transfer"])
def test_call_signal_reaches_the_bot_as_slash_call_text(http, kind):
    bot, user = register_bot(http), register_user(http)
    signal = {"type": kind, "payload": f"v=0 {kind} payload"}
    sent = accepted(send_as_user(http, user, to=bot["fingerprint"], call_signal=signal))
    assert updates(http, bot) == [{"update_id": 1, "message": user_message(
        user, sent, text=f"/call_{kind}", call_signal=signal)}]


def test_call_signal_payload_defaults_to_empty(http):
    bot, user = register_bot(http), register_user(http)
    sent = accepted(send_as_user(http, user, to=bot["fingerprint"], call_signal={"type": "Busy"}))
    assert updates(http, bot)[0]["message"] == user_message(
        user, sent, text="/call_Busy", call_signal={"type": "Busy", "payload": ""})


def test_every_kind_in_order_with_increasing_update_ids(http):
    bot, user = register_bot(http), register_user(http)
    blob = base64.b64encode(b"ciphertext").decode()
    for message in ({"text": "1"}, {"raw_encrypted": blob},
                    {"document": {"file_name": "a.txt", "file_size": 0}},
                    {"call_signal": {"type": "Ringing", "payload": ""}}):
        accepted(send_as_user(http, user, to=bot["fingerprint"], **message))
    got = updates(http, bot)
    assert [u["update_id"] for u in got] == [1, 2, 3, 4]
    assert [u["message"].get("text") for u in got] == ["1", None, None, "/call_Ringing"]
    assert updates(http, bot) == []


def test_send_by_alias_in_any_case_and_by_grouped_fingerprint(http):
    name = f"Alias{secrets.token_hex(3)}Bot"
    bot, user = register_bot(http, name), register_user(http)
    alias = bot["alias"]
    assert alias == "@" + name.lower()
    fp = bot["fingerprint"]
    grouped = ":".join(fp[i:i + 4].upper() for i in range(0, len(fp), 4))
    for to, text in ((alias, "lower"), (alias.upper(), "upper"), (grouped, "grouped")):
        accepted(send_as_user(http, user, to=to, text=text))
    assert [u["message"]["text"] for u in updates(http, bot)] == ["lower", "upper", "grouped"]


def test_default_bot_alias_suffix_is_reachable(http):
    name = f"w{secrets.token_hex(3)}"
    bot, user = register_bot(http, name), register_user(http)
    assert bot["alias"] == f"@{name}_bot"
    accepted(send_as_user(http, user, to=f"@{name}_bot", text="hi"))
    assert [u["message"]["text"] for u in updates(http, bot)] == ["hi"]


@pytest.mark.parametrize("content", [
    {},
    {"text": "a", "raw_encrypted": "aGk="},
    {"text": "a", "document": {"file_name": "f", "file_size": 1}},
    {"raw_encrypted": "aGk=", "call_signal": {"type": "Offer"}},
    {"text": "a", "raw_encrypted": "aGk=", "document": {"file_name": "f", "file_size": 1},
     "call_signal": {"type": "Offer"}},
])
def test_exactly_one_content_is_required(http, content):
    bot, user = register_bot(http), register_user(http)
    assert send_as_user(http, user, to=bot["fingerprint"], **content) == refusal(ONE_CONTENT)
    assert updates(http, bot) == []


def test_null_contents_count_as_absent(http):
    bot, user = register_bot(http), register_user(http)
    accepted(send_as_user(http, user, to=bot["fingerprint"], text="only", raw_encrypted=None,
                          document=None, call_signal=None))
    assert [u["message"]["text"] for u in updates(http, bot)] == ["only"]


@pytest.mark.parametrize("blob", ["not base64!", "aGk", "@@@@", "aGk=\n", "aGk=aGk="])
def test_raw_encrypted_must_be_base64(http, blob):
    bot, user = register_bot(http), register_user(http)
    body = send_as_user(http, user, to=bot["fingerprint"], raw_encrypted=blob)
    assert body == refusal("raw_encrypted must be base64")
    assert updates(http, bot) == []


def test_unknown_alias_is_refused(http):
    user = register_user(http)
    body = send_as_user(http, user, to=f"@nobody{secrets.token_hex(4)}", text="hi")
    assert body == refusal("alias not found")
    assert send_as_user(http, user, to="@", text="hi") == refusal("alias not found")


def test_recipient_without_hex_is_refused(http):
    user = register_user(http)
    body = send_as_user(http, user, to="xyz-!", text="hi")
    assert body == refusal("to must be a fingerprint or @alias")


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer nope", "Basic {token}", "{token}", "Bearer {bot_token}",
    "Bearer {bot_api_token}", "Bearer {token}x", "Token {token}",
])
def test_missing_or_bad_bearer_token(http, authorization):
    bot, user = register_bot(http), register_user(http)
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization.format(
            token=user["token"], bot_token=bot["token"], bot_api_token=bot["bot_api_token"])
    send = http.post("/v1/messages/send", json={"to": bot["fingerprint"], "text": "hi"},
                     headers=headers)
    assert send.status_code == 200 and send.json() == INVALID_TOKEN
    read = http.get("/v1/messages/inbox", headers=headers)
    assert read.status_code == 200 and read.json() == INVALID_TOKEN
    assert updates(http, bot) == []


def test_bearer_scheme_is_case_insensitive(http):
    bot, user = register_bot(http), register_user(http)
    body = http.post("/v1/messages/send", json={"to": bot["fingerprint"], "text": "hi"},
                     headers={"Authorization": f"bearer {user['token']}"}).json()
    accepted(body)


# Inbox

def test_inbox_returns_bot_replies_oldest_first_and_a_read_empties_it(http):
    bot, other, user = register_bot(http), register_bot(http), register_user(http)
    assert inbox(http, user) == []
    sent = []
    for sender, text in ((bot, "first"), (other, "second"), (bot, "third")):
        result = bot_send(http, sender, user["fingerprint"], text)
        assert result["delivered"] is False
        assert result["chat"] == {"id": user["fingerprint"], "type": "private"}
        sent.append((sender, result))
    items = inbox(http, user)
    assert [item["message"] for item in items] == [bot_message(b, s) for b, s in sent]
    for item in items:
        assert set(item) <= {"update_id", "message"}
    ids = [item["update_id"] for item in items if "update_id" in item]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert inbox(http, user) == []


def test_bot_reply_to_a_grouped_upper_case_fingerprint_reaches_the_inbox(http):
    bot, user = register_bot(http), register_user(http)
    fp = user["fingerprint"]
    grouped = "-".join(fp[i:i + 4].upper() for i in range(0, len(fp), 4))
    result = bot_send(http, bot, grouped, "normalized")
    assert result["chat"]["id"] == fp
    assert [item["message"]["text"] for item in inbox(http, user)] == ["normalized"]


def test_inbox_is_per_user(http):
    bot, alice, bob = register_bot(http), register_user(http), register_user(http)
    bot_send(http, bot, alice["fingerprint"], "for alice")
    assert inbox(http, bob) == []
    assert [item["message"]["text"] for item in inbox(http, alice)] == ["for alice"]


def test_echo_round_trip_user_to_bot_to_inbox(http):
    bot, user = register_bot(http), register_user(http)
    accepted(send_as_user(http, user, to=bot["alias"], text="ping"))
    [update] = updates(http, bot)
    reply = bot_send(http, bot, update["message"]["chat"]["id"],
                     "Echo: " + update["message"]["text"])
    assert [item["message"] for item in inbox(http, user)] == [bot_message(bot, reply)]
