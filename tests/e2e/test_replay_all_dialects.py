"""The replay tool and the core's fault guarantees over a history of every dialect, on a real
`botbus serve`: `verify` passes, `rebuild` gives the live read models row for row (every table
of every read model, their positions and faults), and a restart after it answers the same; a
log restored from a backup is projected again; a one-model rebuild carries its faults; a
SIGKILL under load, or in an upload, loses nothing acknowledged and names no missing file."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from sqlite_utils import Database
from websockets.sync.client import connect

from domain.application import Botbus
from projections import READ_MODELS
from replay.cli import main
from tests.conftest import register_bot, register_user, send_as_user
from tests.receivers import Receiver
from tests.servers import ROOT, Server, on_postgres

pytestmark = pytest.mark.slow
ADMIN = "all-dialects-admin-key-0123456789"
FAULTS = ROOT / "tests" / "faults"
# A bot's reply_markup is any JSON: these only look like the log's typed values
TYPED = {"inline_keyboard": [], "at": {"_type_": "datetime_iso", "_data_": "2020-01-01T00:00"}}
UNKNOWN = {"inline_keyboard": [], "_type_": "nobody_registered", "_data_": 1}
TYPED_ALONE = {"_type_": "nobody_registered", "_data_": [1]}


def replay(server: Server, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "replay", *args, *server.store_args()],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def tables(data: Path) -> dict[str, list]:
    """Every row of every read model's tables, their tracking and their faults."""
    db = Database(data / "projections.db")
    names = [t for m in READ_MODELS for t in m.TABLES] + ["tracking", "projection_faults"]
    found = {name: sorted(map(repr, db[name].rows)) for name in names}
    db.close()
    return found


def ok(response: httpx.Response, *codes: int):
    assert response.status_code in (codes or (200, 201)), response.text
    return response.json()


def tg(http: httpx.Client, token: str, method: str, **params):
    body = http.post(f"/bot{token}/{method}", json=params).json()
    assert body["ok"], (method, body)
    return body["result"]


def workload(server: Server, http: httpx.Client) -> dict:
    """featherChat, Telegram, Botyard and MaxChat writes; returns what the reads need."""
    admin = {"Authorization": ADMIN}
    bot, other, user, live = register_bot(http), register_bot(http), register_user(http), \
        register_user(http)
    ok(http.post("/v1/admin/bots", json={"name": "Made bot"}, headers=admin))
    bearer, token = {"Authorization": f"Bearer {user['token']}"}, bot["bot_api_token"]
    for text in ("one", "two", "three"):
        assert send_as_user(http, user, to=bot["fingerprint"], text=text)["ok"]
    ok(http.post("/v1/messages/send", data={"to": bot["fingerprint"]}, headers=bearer,
                 files={"document": ("a.txt", b"a user's file")}))
    updates = tg(http, token, "getUpdates")
    tg(http, token, "getUpdates", offset=updates[1]["update_id"] + 1)
    chat = updates[0]["message"]["chat"]["id"]
    button = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    sent = tg(http, token, "sendMessage", chat_id=chat, text="<b>hi</b>", parse_mode="HTML",
              reply_markup=button)
    tg(http, token, "editMessageText", chat_id=chat, message_id=sent["message_id"], text="hi!",
       reply_markup=button)
    gone = tg(http, token, "sendMessage", chat_id=chat, text="gone")
    tg(http, token, "deleteMessage", chat_id=chat, message_id=gone["message_id"])
    tg(http, token, "setMyCommands", commands=[{"command": "start", "description": "Go"}])
    tg(http, token, "setMyName", name="Renamed")
    document = ok(http.post(f"/bot{token}/sendDocument", data={"chat_id": str(chat)},
                            files={"document": ("b.bin", b"\x00bot bytes")}))["result"]
    tg(http, token, "copyMessage", chat_id=chat, from_chat_id=chat, message_id=sent["message_id"])
    inbox = ok(http.get("/v1/messages/inbox", headers=bearer))["result"]
    assert ok(http.post("/v1/callbacks/press", headers=bearer, json={
        "message_id": inbox[0]["message"]["message_id"], "data": "yes"}))["ok"]
    pressed = [u for u in tg(http, token, "getUpdates") if "callback_query" in u]
    assert pressed, inbox
    tg(http, token, "answerCallbackQuery", callback_query_id=pressed[0]["callback_query"]["id"])
    with connect(server.url.replace("http", "ws") + f"/v1/ws?token={live['token']}") as ws:
        time.sleep(0.2)
        for text in ("acked", "returned"):
            ok(http.post(f"/v1/bot/{other['token']}/sendMessage",
                         json={"chat_id": live["fingerprint"], "text": text}))
        first = json.loads(ws.recv(timeout=5))
        ws.recv(timeout=5)
        ws.send(json.dumps({"ack": [first["message"]["message_id"]]}))
        time.sleep(0.2)
    with Receiver([500]) as receiver:  # failed once, then delivered
        tg(http, token, "setWebhook", url=receiver.url)
        assert send_as_user(http, user, to=bot["fingerprint"], text="pushed")["ok"]
        receiver.wait(2, timeout=10)
        tg(http, token, "deleteWebhook")
    for markup in (TYPED, UNKNOWN, TYPED_ALONE):  # unread: the user reads them after it all
        tg(http, token, "sendMessage", chat_id=chat, text="typed", reply_markup=markup)
    made = ok(http.post("/v1/admin-api/bot", json={"name": "Yard bot"}, headers=admin))
    doomed = ok(http.post("/v1/admin-api/bot", json={"name": "Doomed"}, headers=admin))
    key = {"Authorization": ok(http.put(f"/v1/admin-api/bot/{made['bot']['id']}/key",
                                        headers=admin))["key"]}
    ok(http.post("/v1/bot-api/bot/commands", json=[{"alias": "start"}], headers=key))
    ok(http.put("/v1/bot-api/bot", json={"description": "yard"}, headers=key))
    web = httpx.Client(base_url=server.url, timeout=15)
    ok(web.post("/v1/client-api/user", json={"nickname": "webby"}))
    upload = ok(web.post("/v1/client-api/files", files={"file": ("p.png", b"png", "image/png")}))
    rooms = [ok(web.post("/v1/client-api/chat", json={"botId": made["bot"]["id"]}))["id"]
             for _ in range(2)]
    with Receiver() as hook:
        ok(http.post("/v1/bot-api/bot/webhook", json={"url": hook.url}, headers=key))
        for room in rooms:
            ok(web.post("/v1/client-api/chat/message", json={
                "chatId": room, "body": "hi", "attachmentIds": [upload[0]["id"]]}))
            ok(http.post("/v1/bot-api/chat/message", json={"chatId": room, "body": "yo"},
                         headers=key))
        hook.wait(2, timeout=10)
        ok(http.delete("/v1/bot-api/bot/webhook", headers=key))
    ok(web.delete(f"/v1/client-api/chat/{rooms[1]}"))
    cookies = dict(web.cookies)
    web.close()
    ok(http.delete(f"/v1/admin-api/bot/{doomed['bot']['id']}", headers=admin))
    people = [ok(http.post("/api/auth/register", json={"username": name, "password": "pw123456"}))
              for name in ("owner", "guest", "third")]
    owner, guest, third = ({"Authorization": f"Bearer {p['token']}"} for p in people)
    home = ok(http.post("/api/servers", json={"name": "Home"}, headers=owner))["server"]
    sid, general = home["id"], home["channels"][0]["id"]
    code = ok(http.post(f"/api/servers/{sid}/invites", json={}, headers=owner))["code"]
    for joining in (guest, third):
        ok(http.post(f"/api/invites/{code}/accept", headers=joining))
    app = ok(http.post("/api/dev/apps", json={"name": "PingBot"}, headers=owner))
    ok(http.post(f"/api/dev/apps/{app['app']['id']}/install", json={"serverId": sid},
                 headers=owner))
    maxbot = {"Authorization": f"Bot {app['token']}"}
    with connect(server.url.replace("http", "ws") + "/gateway") as gateway:
        gateway.recv(timeout=5)
        gateway.send(json.dumps({"op": "IDENTIFY", "d": {"token": app["token"]}}))
        assert json.loads(gateway.recv(timeout=5))["t"] == "READY"
        said = ok(http.post("/api/bot/messages/send", headers=maxbot, json={
            "serverId": sid, "channelId": general, "content": "hello"}))["message"]
        ok(http.post("/api/bot/messages/edit", headers=maxbot, json={
            "serverId": sid, "channelId": general, "messageId": said["id"], "content": "hi"}))
    path = f"/api/servers/{sid}/channels/{general}/messages"
    doomed_message = ok(http.post(path, json={"content": "soon gone"}, headers=guest))["message"]
    ok(http.delete(f"{path}/{doomed_message['id']}", headers=guest))
    ok(http.post(f"/api/servers/{sid}/channels", json={"name": "random"}, headers=owner))
    role = ok(http.post(f"/api/servers/{sid}/roles", headers=owner, json={
        "name": "mods", "permissions": ["manage_messages"]}))["role"]
    ok(http.post(f"/api/servers/{sid}/members/{people[1]['user']['id']}/roles",
                 json={"roleId": role["id"]}, headers=owner))
    ok(http.post(f"/api/servers/{sid}/members/{people[2]['user']['id']}/ban", json={},
                 headers=owner))
    ok(http.post("/api/presence", json={"status": "idle"}, headers=guest))
    ok(http.post("/api/auth/logout", headers=third))
    return {"user": user, "bot": bot, "key": key, "cookies": cookies, "room": rooms[0],
            "yard_bot": made["bot"]["id"], "sid": sid, "owner": owner, "general": general,
            "file": document["document"]["file_id"]}


def reads(http: httpx.Client, at: dict) -> dict:
    """Answers that reading does not change, in every dialect."""
    web = httpx.Client(base_url=http.base_url, cookies=at["cookies"], timeout=15)
    server, token = f"/api/servers/{at['sid']}", at["bot"]["bot_api_token"]
    got = {path: ok(web.get(path)) for path in (
        f"/v1/client-api/chat/{at['room']}/messages", "/v1/client-api/bots",
        f"/v1/client-api/chats?bot_id={at['yard_bot']}")}
    got |= {path: ok(http.get(path, headers=at["key"])) for path in (
        "/v1/bot-api/bot", "/v1/bot-api/bot/commands")}
    got |= {path: ok(http.get(path, headers=at["owner"])) for path in (
        server, f"{server}/members", f"{server}/roles", f"{server}/channels",
        f"{server}/channels/{at['general']}/messages", "/api/users/@me", "/api/dev/apps")}
    got |= {method: tg(http, token, method) for method in (
        "getMe", "getMyCommands", "getMyName", "getWebhookInfo")}
    got["getFile"] = tg(http, token, "getFile", file_id=at["file"])
    web.close()
    return got


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> SimpleNamespace:
    server = Server(tmp_path_factory.mktemp("dialects") / "data", env={"ADMIN_SECRET_KEY": ADMIN})
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            at = workload(server, http)
            served = reads(http, at)
    finally:
        server.stop()
    live, verified = tables(server.data), replay(server, "verify")
    rebuilt = replay(server, "rebuild", "--quiet")
    after_rebuild = tables(server.data)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            again, health = reads(http, at), http.get("/health")
            inbox = ok(http.get("/v1/messages/inbox", headers={
                "Authorization": f"Bearer {at['user']['token']}"}))["result"]
    finally:
        server.stop()
    return SimpleNamespace(**locals())


def test_verify_passes_on_the_history_of_every_dialect(history):
    assert history.verified.returncode == 0, history.verified.stdout + history.verified.stderr


def test_rebuild_gives_every_table_of_every_read_model_row_for_row(history):
    assert history.rebuilt.returncode == 0, history.rebuilt.stderr
    assert history.after_rebuild == history.live


def test_a_restart_after_the_rebuild_serves_the_same_answers(history):
    assert history.again == history.served
    assert history.health.status_code == 200, history.health.text


def test_reply_markup_that_looks_like_a_typed_value_reads_back_as_the_bot_sent_it(history):
    """Before the transcoder escaped it: the first came back as a datetime's text, the
    others were set aside by every rebuild (their update ids given to later updates)."""
    typed = [item["message"]["reply_markup"] for item in history.inbox
             if item.get("message", {}).get("text") == "typed"]
    assert typed == [TYPED, UNKNOWN, TYPED_ALONE]


def test_client_json_that_looks_typed_or_past_64_bits_is_stored_as_given(tmp_path, monkeypatch):
    """On the real store: what a command recorded is what every rebuild reads back (orjson
    read an integer past 64 bits as a float, and any {_type_, _data_} as a typed value)."""
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    contents = [{"text": "big", "n": [2**70 + 1, -(2**63) - 1]}, {"text": "t", "m": TYPED},
                {"text": "u", "reply_markup": UNKNOWN}, {"text": "a", "x": TYPED_ALONE}]
    app = Botbus.open(data)
    try:
        unit = app.new_unit()
        bot = app.register_bot(unit, "TypedBot", "ab" * 16)
        user = app.register_user(unit, "cd" * 16)
        app.save(*unit.aggregates)
        unit = app.new_unit()
        for content in contents:
            app.send_message(unit, user.user_id, bot.fingerprint, content, False)
        app.save(*unit.aggregates)
    finally:
        app.close()
    assert main(["rebuild", "--quiet", "--data", str(data)]) == 0
    db = Database(data / "projections.db")
    stored = [json.loads(row["content"]) for row in db["messages"].rows_where(order_by="position")]
    faults = list(db["projection_faults"].rows)
    db.close()
    assert (stored, faults) == (contents, [])


@pytest.mark.skipif(on_postgres(), reason="restores the SQLite log's file")
def test_read_models_ahead_of_a_log_restored_from_a_backup_are_replayed(tmp_path):
    """Before: the restart kept the projections of the lost events and tracked past the log,
    so what it then acknowledged was never readable (and the lost messages were served)."""
    server = Server(tmp_path / "data").start()
    backup = tmp_path / "events.backup"
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            bot, user = register_bot(http), register_user(http)
            with sqlite3.connect(server.data / "events.db") as live, \
                    sqlite3.connect(backup) as copy:
                live.backup(copy)
            for text in ("lost", "with", "the backup"):
                assert send_as_user(http, user, to=bot["fingerprint"], text=text)["ok"]
            server.stop()
            for suffix in ("", "-wal", "-shm"):
                (server.data / f"events.db{suffix}").unlink(missing_ok=True)
            shutil.copy(backup, server.data / "events.db")
            server.start()
            assert send_as_user(http, user, to=bot["fingerprint"], text="after")["ok"]
            polled = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={}).json()["result"]
            assert [(u["update_id"], u["message"]["text"]) for u in polled] == [(1, "after")]
            assert http.get("/health").status_code == 200
    finally:
        server.stop()
    assert main(["verify", *server.store_args()]) == 0


def test_a_one_model_rebuild_carries_its_faults_and_verify_compares_them(tmp_path):
    """A read model set an event aside (a bug, injected here) and is rebuilt alone once the
    bug is gone: /health no longer shows the old fault (before: 503 for ever, only a whole
    rebuild replaced the faults); rebuilt with the bug, it has the fault again. A fault the
    log does not produce is a difference for verify (before: unseen)."""
    poison = {"PYTHONPATH": os.pathsep.join([str(FAULTS), os.environ.get("PYTHONPATH", "")]),
              "FAULT_POISON_TEXT": "poison"}
    server = Server(tmp_path / "data", env=poison).start()
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            bot, user = register_bot(http), register_user(http)
            assert send_as_user(http, user, to=bot["fingerprint"], text="poison")["ok"] is False
            assert http.get("/health").status_code == 503
            server.stop()
            assert main(["rebuild", "updates", "--quiet", *server.store_args()]) == 0
            server.env = {k: v for k, v in server.env.items() if k != "FAULT_POISON_TEXT"}
            server.start()
            assert http.get("/health").json() == {"ok": True}
            polled = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={}).json()["result"]
            assert [u["message"]["text"] for u in polled] == ["poison"]
    finally:
        server.stop()
    assert replay(server, "rebuild", "updates", "--quiet", **poison).returncode == 0
    db = Database(server.data / "projections.db")
    fault, = db["projection_faults"].rows
    assert (fault["model"], fault["event"]) == ("updates", "Message.Sent")
    db["projection_faults"].insert({**fault, "model": "messages"})
    db.close()
    verified = replay(server, "verify", **poison)
    assert (verified.returncode, verified.stdout.splitlines()) == (1, [
        f"projection_faults: only in projections.db: model messages at position"
        f" {fault['position']} (Message.Sent {fault['originator_id']})"])


def test_a_sigkill_under_load_in_every_dialect_loses_nothing_acknowledged(tmp_path):
    server = Server(tmp_path / "data", env={"ADMIN_SECRET_KEY": ADMIN}).start()
    http = httpx.Client(base_url=server.url, timeout=15)
    bot, user = register_bot(http), register_user(http)
    bearer, token = {"Authorization": f"Bearer {user['token']}"}, bot["bot_api_token"]
    assert send_as_user(http, user, to=bot["fingerprint"], text="hi")["ok"]
    chat = tg(http, token, "getUpdates")[0]["message"]["chat"]["id"]
    made = ok(http.post("/v1/admin-api/bot", json={"name": "Busy"},
                        headers={"Authorization": ADMIN}))
    ok(http.post("/v1/client-api/user", json={"nickname": "webby"}))
    room = ok(http.post("/v1/client-api/chat", json={"botId": made["bot"]["id"]}))["id"]
    human = ok(http.post("/api/auth/register", json={"username": "busy", "password": "pw123456"}))
    owner = {"Authorization": f"Bearer {human['token']}"}
    home = ok(http.post("/api/servers", json={"name": "Busy"}, headers=owner))["server"]
    app = ok(http.post("/api/dev/apps", json={"name": "BusyBot"}, headers=owner))
    ok(http.post(f"/api/dev/apps/{app['app']['id']}/install", json={"serverId": home["id"]},
                 headers=owner))
    channel = f"/api/servers/{home['id']}/channels/{home['channels'][0]['id']}/messages"
    writes = {  # each returns what a read shows of it after the restart
        "telegram": lambda c, t: tg(c, token, "sendMessage", chat_id=chat, text=t)["text"],
        "feather": lambda c, t: send_as_user(c, user, to=bot["fingerprint"], text=t)["ok"] and t,
        "botyard user": lambda c, t: ok(c.post("/v1/client-api/chat/message", json={
            "chatId": room, "body": t}))["body"],
        "botyard bot": lambda c, t: ok(c.post("/v1/bot-api/chat/message", json={
            "chatId": room, "body": t}, headers={"Authorization": made["key"]}))["body"],
        "maxchat human": lambda c, t: ok(c.post(channel, json={"content": t}, headers=owner))[
            "message"]["content"],
        "maxchat bot": lambda c, t: ok(c.post("/api/bot/messages/send", json={
            "serverId": home["id"], "channelId": home["channels"][0]["id"], "content": t},
            headers={"Authorization": f"Bot {app['token']}"}))["message"]["content"],
        "upload": lambda c, t: ok(c.post("/v1/client-api/files", files={
            "file": (f"{t}.txt", t.encode() * 1000, "text/plain")}))[0]["path"]}
    acknowledged: dict[str, list[str]] = {kind: [] for kind in writes}
    enough = threading.Event()

    def writer(kind: str) -> None:
        with httpx.Client(base_url=server.url, timeout=15, cookies=http.cookies) as client:
            for n in range(10_000):
                try:
                    acknowledged[kind].append(writes[kind](client, f"{kind}-{n}"))
                except (httpx.TransportError, AssertionError, KeyError):
                    return  # the server is gone: this one was never acknowledged
                if sum(map(len, acknowledged.values())) >= 150:
                    enough.set()

    threads = [threading.Thread(target=writer, args=(kind,)) for kind in writes]
    for thread in threads:
        thread.start()
    assert enough.wait(30), acknowledged
    server.kill()  # writes in flight in every dialect
    for thread in threads:
        thread.join(20)
    server.start()
    try:
        shown = {u["message"]["text"] for u in drain(
            lambda offset: tg(http, token, "getUpdates", offset=offset))}
        shown |= {u["message"]["text"] for u in drain(
            lambda _: ok(http.get("/v1/messages/inbox", headers=bearer))["result"])}
        page = ok(http.get(f"/v1/client-api/chat/{room}/messages", params={"limit": -1}))
        shown |= {message["body"] for message in page["messages"]}
        before: dict = {}
        while found := ok(http.get(channel, params={"limit": 100, **before}, headers=owner))[
                "messages"]:
            shown |= {message["content"] for message in found}
            before = {"before": found[-1]["id"]}
        shown |= {path for path in acknowledged["upload"]
                  if http.get("/" + path).content.startswith(b"upload-")}
        lost = {kind: [t for t in done if t not in shown] for kind, done in acknowledged.items()}
        assert lost == {kind: [] for kind in writes}
        assert all(len(done) >= 3 for done in acknowledged.values()), acknowledged
    finally:
        server.stop()
        http.close()
    assert main(["verify", *server.store_args()]) == 0


def drain(read: Callable[[int], list[dict]]) -> list[dict]:
    """Everything a queue holds, read (and so confirmed) page by page; `read` is given the
    offset that confirms what was read so far."""
    taken: list[dict] = []
    while page := read(taken[-1]["update_id"] + 1 if taken else 0):
        taken += page
    return taken


def test_a_sigkill_mid_upload_leaves_no_event_naming_a_missing_file(tmp_path):
    """Killed while the bytes are written to the store (a `.part` file is there): the log
    names no file, a restart is clean and verify passes; the next upload is stored whole."""
    server = Server(tmp_path / "data").start()
    store = server.data / "files"
    with httpx.Client(base_url=server.url, timeout=30) as http:
        bot, user = register_bot(http), register_user(http)
        bearer = {"Authorization": f"Bearer {user['token']}"}
        answers: list = []

        def upload() -> None:
            try:
                answers.append(http.post("/v1/messages/send", headers=bearer, data={
                    "to": bot["fingerprint"]}, files={"document": ("big.bin", bytes(16 << 20))}))
            except httpx.TransportError as error:
                answers.append(error)

        uploading = threading.Thread(target=upload)
        uploading.start()
        deadline = time.monotonic() + 20
        while not list(store.rglob("*.part")) and time.monotonic() < deadline:
            time.sleep(0.001)
        server.kill()
        uploading.join(20)
        assert list(store.rglob("*.part")), "the kill was not mid-write"
        assert isinstance(answers[0], httpx.TransportError), "acknowledged before the kill"
        server.start()
        try:
            sent = http.post("/v1/messages/send", headers=bearer, data={"to": bot["fingerprint"]},
                             files={"document": ("small.txt", b"whole")}).json()
            assert sent["ok"], sent
            [update] = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={}).json()["result"]
            assert update["message"]["document"]["file_name"] == "small.txt"
        finally:
            server.stop()
    stored = replay(server, "log", "--type", "File.Stored").stdout.splitlines()
    assert [json.loads(line)["data"]["name"] for line in stored] == ["small.txt"]
    assert main(["verify", *server.store_args()]) == 0
