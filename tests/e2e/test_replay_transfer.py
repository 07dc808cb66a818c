"""`replay export` / `replay import`: a log moved to a new data directory serves as before."""
import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.conftest import register_bot, register_user, send_as_user
from tests.servers import ROOT, Server

pytestmark = pytest.mark.slow


def replay(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "PERSISTENCE_MODULE"}
    return subprocess.run([sys.executable, "-m", "replay", *args], cwd=ROOT, env=environ,
                          input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A stopped server's data: a bot with two updates waiting, one already taken."""
    server = Server(tmp_path_factory.mktemp("source") / "data").start()
    with httpx.Client(base_url=server.url, timeout=15) as http:
        bot, user = register_bot(http), register_user(http, alias="mover")
        for text in ("taken", "waiting 1", "waiting 2"):
            send_as_user(http, user, to=bot["fingerprint"], text=text)
        taken = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={"limit": 1}).json()
        assert [u["update_id"] for u in taken["result"]] == [1]
    server.stop()
    return server.data, bot, user


def test_an_exported_log_imports_into_a_new_directory_event_for_event(source, tmp_path):
    data, bot, _ = source
    exported = replay("export", "--data", str(data))
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [row["position"] for row in rows] == list(range(1, len(rows) + 1))
    assert {"originator_id", "originator_version", "topic", "state"} <= rows[0].keys()
    assert all(bot["token"] not in line for line in exported.stdout.splitlines())

    target = tmp_path / "moved"
    imported = replay("import", "--data", str(target), "--quiet", stdin=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    assert f"imported {len(rows)} events" in imported.stderr
    assert replay("log", "--data", str(target)).stdout == replay("log", "--data", str(data)).stdout
    assert replay("verify", "--data", str(target)).returncode == 0


def test_the_moved_data_serves_the_same_tokens_aliases_and_update_ids(source, tmp_path):
    data, bot, user = source
    dump = tmp_path / "log.jsonl"
    assert replay("export", "--data", str(data), "--output", str(dump)).returncode == 0
    target = tmp_path / "moved"
    assert replay("import", "--data", str(target), "--input", str(dump), "--quiet").returncode == 0
    server = Server(target).start()
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            waiting = http.post(f"/v1/bot/{bot['token']}/getUpdates").json()["result"]
            assert [(u["update_id"], u["message"]["text"]) for u in waiting] == [
                (2, "waiting 1"), (3, "waiting 2")]
            assert send_as_user(http, user, to="@mover", text="self")["ok"]
            taken = http.post("/v1/users/register",
                              json={"fingerprint": user["fingerprint"]}).json()
            assert taken == {"ok": False, "description": "fingerprint already registered"}
    finally:
        server.stop()


def test_import_refuses_a_malformed_file_and_writes_nothing(source, tmp_path):
    data, _, _ = source
    good = replay("export", "--data", str(data)).stdout.splitlines()
    broken = "\n".join([*good[:3], '{"topic": "domain.bots:Bot.Registered"}', *good[3:]])
    target = tmp_path / "moved"
    refused = replay("import", "--data", str(target), "--quiet", stdin=broken)
    assert refused.returncode == 1
    assert "line 4: missing originator_id, originator_version" in refused.stderr
    assert json.loads(replay("stats", "--data", str(target)).stdout)["events"] == 0


def test_import_refuses_a_log_that_is_not_empty(source):
    data, _, _ = source
    exported = replay("export", "--data", str(data)).stdout
    refused = replay("import", "--data", str(data), "--quiet", stdin=exported)
    assert refused.returncode == 1 and "not empty" in refused.stderr


def test_import_refuses_while_a_server_holds_the_directory(tmp_path):
    server = Server(tmp_path / "busy").start()
    try:
        refused = replay("import", "--data", str(server.data), "--quiet", stdin="")
        assert refused.returncode == 1 and "stop the server" in refused.stderr
    finally:
        server.stop()
