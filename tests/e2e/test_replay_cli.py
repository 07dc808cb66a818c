"""The replay tool as users run it: `python -m replay <verb> --data DIR` in a subprocess, on the
data directory of a real server, running or stopped."""
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from projections import READ_MODELS
from tests.conftest import register_bot, register_user, send_as_user
from tests.servers import ROOT, Server

pytestmark = pytest.mark.slow

ENVELOPE = {"position", "type", "topic", "originator_id", "originator_version", "timestamp",
            "data"}


def replay(*args: str, module: str = "replay", cwd: Path = ROOT,
           **env: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", module, *args]
    environ = {k: v for k, v in os.environ.items()
               if k not in ("PERSISTENCE_MODULE", "BOTBUS_DATA")}
    environ.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True,
                          timeout=60)


def lines(data: Path, *filters: str) -> list[dict]:
    done = replay("log", "--data", str(data), *filters)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    parsed = [json.loads(line) for line in out]  # one JSON object per line and nothing else
    assert all(isinstance(line, dict) for line in parsed)
    return parsed


def poll(http: httpx.Client, bot: dict, **params) -> list[dict]:
    body = http.post(f"/v1/bot/{bot['token']}/getUpdates", json=params).json()
    assert body["ok"], body
    return body["result"]


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    """A running server after a small workload: two accounts, three user messages taken by
    the bot, one bot reply read from the user's inbox."""
    server = Server(tmp_path_factory.mktemp("replay") / "data").start()
    with httpx.Client(base_url=server.url, timeout=15) as http:
        bot, user = register_bot(http), register_user(http)
        for text in ("one", "two", "three"):
            assert send_as_user(http, user, to=bot["fingerprint"], text=text)["ok"]
        assert [u["update_id"] for u in poll(http, bot)] == [1, 2, 3]
        sent = http.post(f"/v1/bot/{bot['token']}/sendMessage",
                         json={"chat_id": user["fingerprint"], "text": "reply"}).json()
        assert sent["ok"], sent
        inbox = http.get("/v1/messages/inbox",
                         headers={"Authorization": f"Bearer {user['token']}"}).json()
        assert [i["message"]["text"] for i in inbox["result"]] == ["reply"]
    yield {"server": server, "data": server.data, "bot": bot, "user": user,
           "log": lines(server.data)}
    server.kill()


# log

def test_log_prints_every_event_in_order_with_envelope_and_data(workload):
    log = workload["log"]
    assert [line["position"] for line in log] == list(range(1, len(log) + 1))
    for line in log:
        assert ENVELOPE <= set(line), line
        assert line["topic"].endswith(":" + line["type"])
        assert isinstance(line["data"], dict) and isinstance(line["originator_version"], int)
    types = Counter(line["type"] for line in log)
    assert types["Bot.Registered"] == 1 and types["User.Registered"] == 1
    assert types["Bot.TokenIssued"] == 2 and types["Message.Sent"] == 4
    assert types["UpdateQueue.UpdatesConfirmed"] == 2  # the bot's poll, the user's inbox read
    sent = [line for line in log if line["type"] == "Message.Sent"]
    assert sent[0]["topic"] == "domain.messages:Message.Sent"
    assert [line["data"]["content"] for line in sent] == [
        {"text": "one"}, {"text": "two"}, {"text": "three"}, {"text": "reply"}]
    assert sent[0]["data"]["to"] == workload["bot"]["fingerprint"]
    assert sent[0]["data"]["delivered"] is False
    registered, = [line for line in log if line["type"] == "Bot.Registered"]
    assert registered["data"]["fingerprint"] == workload["bot"]["fingerprint"]
    assert registered["data"]["description"] == ""
    assert registered["originator_version"] == 1


def test_log_never_shows_a_token(workload):
    text = json.dumps(workload["log"])
    for token in (workload["bot"]["token"], workload["bot"]["bot_api_token"],
                  workload["user"]["token"]):
        assert token.split(":")[-1] not in text


def test_log_filters_by_type(workload):
    data, log = workload["data"], workload["log"]
    sent = lines(data, "--type", "Message.Sent")
    assert sent == [line for line in log if line["type"] == "Message.Sent"]
    two = lines(data, "--type", "Message.Sent", "--type", "Bot.Registered")
    assert two == [line for line in log if line["type"] in {"Message.Sent", "Bot.Registered"}]
    assert lines(data, "--type", "No.Such") == []


def test_log_filters_by_aggregate(workload):
    data, log = workload["data"], workload["log"]
    registered, = [line for line in log if line["type"] == "Bot.Registered"]
    bot = lines(data, "--aggregate", registered["originator_id"])
    assert [line["type"] for line in bot] == ["Bot.Registered", "Bot.TokenIssued",
                                              "Bot.TokenIssued"]
    assert [line["originator_version"] for line in bot] == [1, 2, 3]
    assert bot == [line for line in log if line["originator_id"] == registered["originator_id"]]


def test_log_filters_by_position(workload):
    data, log = workload["data"], workload["log"]
    assert lines(data, "--from", "3", "--to", "7") == log[2:7]
    assert lines(data, "--from", str(len(log))) == log[-1:]
    assert lines(data, "--to", "2") == log[:2]
    assert lines(data, "--from", str(len(log) + 1)) == []


def test_log_filters_by_time(workload):
    data, log = workload["data"], workload["log"]
    sent = [line for line in log if line["type"] == "Message.Sent"]
    since, until = sent[1]["timestamp"], sent[2]["timestamp"]
    window = lines(data, "--since", since, "--until", until)
    assert window == [line for line in log if since <= line["timestamp"] <= until]
    assert sent[1] in window and sent[2] in window
    assert sent[0] not in window and sent[3] not in window
    assert lines(data, "--since", sent[3]["timestamp"])[0] == sent[3]
    assert lines(data, "--until", log[0]["timestamp"])[0] == log[0]


def test_log_takes_times_without_an_offset_as_utc(workload):
    """The log's timestamps are UTC; `--since 2000-01-01` is a valid ISO time too."""
    data, log = workload["data"], workload["log"]
    assert lines(data, "--since", "2000-01-01") == log
    assert lines(data, "--until", "2000-01-01T00:00:00") == []


def test_filters_combine(workload):
    data, log = workload["data"], workload["log"]
    sent = [line for line in log if line["type"] == "Message.Sent"]
    assert lines(data, "--type", "Message.Sent", "--from", str(sent[2]["position"])) == sent[2:]


# stats

def test_stats_counts_per_type_and_aggregate_and_projection_positions(workload):
    done = replay("stats", "--data", str(workload["data"]))
    assert done.returncode == 0, done.stderr
    stats, log = json.loads(done.stdout), workload["log"]
    assert stats["events"] == len(log) and stats["last_position"] == log[-1]["position"]
    assert stats["by_type"] == dict(Counter(line["type"] for line in log))
    assert stats["by_aggregate"] == dict(Counter(line["type"].split(".")[0] for line in log))
    assert stats["projections"] == {model.NAME: len(log) for model in READ_MODELS}


def test_botbus_replay_is_the_same_tool(workload):
    done = replay("replay", "stats", "--data", str(workload["data"]), module="api.cli")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["events"] == len(workload["log"])


def test_the_data_dir_defaults_to_botbus_data_then_dot_data(workload, tmp_path):
    from_env = replay("stats", BOTBUS_DATA=str(workload["data"]))
    assert from_env.returncode == 0, from_env.stderr
    assert json.loads(from_env.stdout)["events"] == len(workload["log"])
    here = replay("stats", cwd=workload["data"].parent)  # ./data
    assert here.returncode == 0, here.stderr
    assert json.loads(here.stdout)["events"] == len(workload["log"])
    nowhere = replay("stats", cwd=tmp_path)
    assert nowhere.returncode == 2


# verify, while the server runs

def test_verify_exits_0_after_the_workload_while_the_server_runs(workload):
    done = replay("verify", "--data", str(workload["data"]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


# usage errors

@pytest.mark.parametrize("args", [
    [],
    ["nosuchverb"],
    ["rebuild", "nosuchprojection"],
    ["log", "--from", "three"],
    ["log", "--since", "yesterday"],
    ["stats", "--no-such-flag"],
], ids=["no-verb", "unknown-verb", "unknown-projection", "bad-position", "bad-time", "bad-flag"])
def test_usage_errors_exit_2(workload, args):
    done = replay(*args, *(["--data", str(workload["data"])] if args else []))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "usage:" in done.stderr and done.stdout == ""


def test_a_data_dir_without_a_log_is_a_usage_error(tmp_path):
    done = replay("stats", "--data", str(tmp_path / "empty"))
    assert done.returncode == 2 and "no event log" in done.stderr


# verify, tamper, rebuild: the whole lifecycle on a server of its own

def tamper(data: Path, sql: str, *params) -> None:
    with sqlite3.connect(data / "projections.db") as conn:
        assert conn.execute(sql, params).rowcount >= 1


def test_verify_catches_tampering_and_rebuild_repairs_it_only_when_stopped(tmp_path):
    server = Server(tmp_path / "data").start()
    data = server.data
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            bot, user = register_bot(http, "LifeBot"), register_user(http)
            for text in ("one", "two", "three", "four"):
                assert send_as_user(http, user, to=bot["fingerprint"], text=text)["ok"]
            assert [u["update_id"] for u in poll(http, bot, limit=2)] == [1, 2]
        assert replay("verify", "--data", str(data)).returncode == 0
        server.stop()
        assert replay("verify", "--data", str(data)).returncode == 0  # stopped, too

        server.start()
        with httpx.Client(base_url=server.url, timeout=15) as http:
            pending = poll(http, bot, limit=1)
            assert [u["update_id"] for u in pending] == [3]
            pending_ids = [pending[0]["message"]["message_id"]]
        tamper(data, "UPDATE accounts SET name = 'Tampered' WHERE fingerprint = ?",
               bot["fingerprint"])
        done = replay("verify", "--data", str(data))
        assert done.returncode == 1
        assert "accounts: only in projections.db:" in done.stdout and "Tampered" in done.stdout
        assert "accounts: only in the rebuild:" in done.stdout and "LifeBot" in done.stdout

        refused = replay("rebuild", "--data", str(data), "--quiet")
        assert refused.returncode == 1 and "stop the server" in refused.stderr
        assert replay("verify", "--data", str(data)).returncode == 1  # nothing was rebuilt

        server.stop()
        rebuilt = replay("rebuild", "--data", str(data), "--quiet")
        assert rebuilt.returncode == 0, rebuilt.stderr
        verified = replay("verify", "--data", str(data))
        assert verified.returncode == 0, verified.stdout + verified.stderr

        server.start()
        with httpx.Client(base_url=server.url, timeout=15) as http:
            me = http.get(f"/v1/bot/{bot['token']}/getMe").json()
            assert me["result"]["first_name"] == "LifeBot"
            last = poll(http, bot)
            assert [(u["update_id"], u["message"]["text"]) for u in last] == [(4, "four")]
            assert pending_ids[0] not in {u["message"]["message_id"] for u in last}
            assert send_as_user(http, user, to=bot["fingerprint"], text="five")["ok"]
            assert [u["update_id"] for u in poll(http, bot)] == [5]
            assert send_as_user(http, user, to=bot["fingerprint"], text="six")["ok"]
        server.stop()

        tamper(data, "DELETE FROM updates")
        tamper(data, "UPDATE update_counters SET last = 0")
        done = replay("verify", "--data", str(data))
        assert done.returncode == 1 and "updates: only in the rebuild:" in done.stdout
        one = replay("rebuild", "updates", "--data", str(data), "--quiet")
        assert one.returncode == 0, one.stderr
        assert "updates" in one.stderr
        verified = replay("verify", "--data", str(data))
        assert verified.returncode == 0, verified.stdout + verified.stderr

        server.start()
        with httpx.Client(base_url=server.url, timeout=15) as http:
            assert [(u["update_id"], u["message"]["text"]) for u in poll(http, bot)] == [
                (6, "six")]
    finally:
        server.kill()
