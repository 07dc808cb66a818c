"""Moving a log between SQLite and PostgreSQL with `replay export` / `replay import --log`:
the same events in the same order (positions are the store's own), the same count and
checksum at every step, and projections rebuilt from the PostgreSQL log that verify."""
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from replay import importer
from replay.cli import main
from replay.transfer import Digest
from tests.conftest import register_bot, register_user, send_as_user
from tests.servers import ROOT, Server

pytestmark = pytest.mark.slow
ADMIN_KEY = "moving-admin-key"
SUMMARY = re.compile(r"(\d+) events, sha256 ([0-9a-f]{64})")


def replay(*args: str | Path, stdin: str | None = None, **env: str
           ) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("PERSISTENCE_MODULE", "BOTBUS_DATA", "BOTBUS_LOG_URL")}
    return subprocess.run([sys.executable, "-m", "replay", *map(str, args)], cwd=ROOT,
                          env={**environ, **env}, input=stdin, capture_output=True, text=True,
                          timeout=60)


def summary(done: subprocess.CompletedProcess) -> tuple[int, str]:
    assert done.returncode == 0, done.stderr
    found = SUMMARY.search(done.stderr)
    assert found, done.stderr
    return int(found[1]), found[2]


def events(exported: str) -> list[dict]:
    """The exported lines without their positions, in order."""
    rows = [json.loads(line) for line in exported.splitlines()]
    positions = [row.pop("position") for row in rows]
    assert positions == sorted(positions)
    return rows


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A stopped server's log (SQLite, unless BOTBUS_TEST_POSTGRES runs every server on
    PostgreSQL) with featherChat, Telegram, Botyard and MaxChat traffic: its export (the
    finished command) and the export file."""
    server = Server(tmp_path_factory.mktemp("source") / "data",
                    env={"ADMIN_SECRET_KEY": ADMIN_KEY}).start()
    with httpx.Client(base_url=server.url, timeout=15) as http:
        bot, user = register_bot(http), register_user(http, alias="mover")
        for text in ("taken", "waiting"):
            assert send_as_user(http, user, to=bot["fingerprint"], text=text)["ok"]
        assert http.post(f"/v1/bot/{bot['token']}/getUpdates", json={"limit": 1}).json()["ok"]
        other = register_bot(http)
        telegram = other["bot_api_token"]
        assert send_as_user(http, user, to=other["fingerprint"], text="/start")["ok"]
        update = http.post(f"/bot{telegram}/getUpdates").json()["result"][0]
        assert http.post(f"/bot{telegram}/sendMessage", json={
            "chat_id": update["message"]["chat"]["id"], "text": "hello"}).json()["ok"]
        made = http.post("/v1/admin-api/bot", json={"name": "Yard bot"},
                         headers={"Authorization": ADMIN_KEY})
        assert made.status_code == 201, made.text
        human = http.post("/api/auth/register", json={"username": "mover",
                                                       "password": "password123"})
        assert human.status_code == 201, human.text
    server.stop()
    log = ["--log", server.log_url] if server.log_url else []
    dump = server.data.parent / "log.jsonl"
    exported = replay("export", "--data", server.data, *log, "--quiet")
    dump.write_text(exported.stdout)
    return exported, dump


@pytest.fixture(scope="module")
def moved(source, postgres, tmp_path_factory):
    """The source imported into a fresh PostgreSQL database: (its URL, the finished import)."""
    _, dump = source
    url, node = postgres.new_database(), tmp_path_factory.mktemp("node")
    return url, replay("import", "--data", node, "--log", url, "--input", dump)


def test_a_log_moves_to_postgresql_and_back_unchanged(source, moved, tmp_path):
    first, _ = source
    count, sha = summary(first)
    assert count == len(first.stdout.splitlines()) > 10
    canonical = "".join(re.sub(r'^\{"position":\d+,', "{", line) + "\n"
                        for line in first.stdout.splitlines())  # the docstring's definition
    assert hashlib.sha256(canonical.encode()).hexdigest() == sha

    url, imported = moved
    assert summary(imported) == (count, sha) and "note:" not in imported.stderr
    second = replay("export", "--data", tmp_path / "node", "--log", url)
    assert summary(second) == (count, sha)
    back = replay("import", "--data", tmp_path / "back", stdin=second.stdout)
    assert summary(back) == (count, sha) and "note:" not in back.stderr
    third = replay("export", "--data", tmp_path / "back")
    assert summary(third) == (count, sha)
    assert events(first.stdout) == events(second.stdout) == events(third.stdout)

    other = tmp_path / "other-node"  # a node of the same log, its projections rebuilt
    assert replay("rebuild", "--data", other, "--log", url, "--quiet").returncode == 0
    verified = replay("verify", "--data", other, "--log", url)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_import_into_a_postgresql_log_that_is_not_empty_is_refused(source, moved, tmp_path):
    (first, dump), (url, _) = source, moved
    refused = replay("import", "--data", tmp_path, "--log", url, "--input", dump)
    assert refused.returncode == 1
    assert "import refused, nothing written: the target log is not empty" in refused.stderr
    stats = json.loads(replay("stats", "--data", tmp_path, "--log", url).stdout)
    assert (stats["events"], stats["log_bytes"]) == (summary(first)[0], None)
    assert not (tmp_path / "projections.db").exists()


def test_a_corrupt_line_is_refused_and_nothing_is_imported(source, postgres, tmp_path):
    _, dump = source
    lines = dump.read_text().splitlines()
    lines[5] = lines[5].replace('"originator_version":', '"originator_version":1', 1)
    url, node = postgres.new_database(), tmp_path / "node"
    refused = replay("import", "--data", node, "--log", url, stdin="\n".join(lines))
    assert refused.returncode == 1
    assert "import refused, nothing written: line 6: aggregate" in refused.stderr
    assert json.loads(replay("stats", "--data", node, "--log", url).stdout)["events"] == 0
    assert sorted(path.name for path in node.iterdir()) == ["botbus.lock"]


def test_positions_are_the_stores_own_and_a_change_is_noted(source, postgres, tmp_path):
    """Lines rewritten by another JSON tool (spacing, escapes) with their positions moved on:
    the same events, the same checksum, and a note that the positions changed."""
    first, _ = source
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    shifted = "\n".join(json.dumps({**row, "position": row["position"] + 5}) for row in rows)
    assert shifted.splitlines()[0] != first.stdout.splitlines()[0]
    url = postgres.new_database()
    moved = replay("import", "--data", tmp_path, "--log", url, "--quiet", stdin=shifted)
    assert summary(moved) == summary(first)
    was = rows[0]["position"] + 5
    assert f"numbered the events anew (event 1 was at position {was}, is at 1)" in moved.stderr


def test_the_read_back_check_names_what_the_log_holds(moved, tmp_path):
    """A log that is not the input once read back (another writer got in) is reported."""
    url, _ = moved
    with pytest.raises(importer.AfterCommit, match=r"read back holds \d+ events, sha256 .*"
                                                   r" but the input had 0 events"):
        importer.read_back(tmp_path, url, Digest(), progress=False)


@pytest.mark.parametrize("verb", ["log", "stats", "verify", "rebuild", "export", "import"])
def test_a_bad_log_url_is_a_usage_error_that_hides_the_password(verb, tmp_path, capsys,
                                                                 monkeypatch):
    assert main([verb, "--data", str(tmp_path), "--log", "mysql://me:hunter2@db/bus"]) == 2
    assert "--log: the log URL must start with postgresql://" in capsys.readouterr().err
    monkeypatch.setenv("BOTBUS_LOG_URL", "postgresql://me:hunter2@db:port/bus")
    assert main([verb, "--data", str(tmp_path)]) == 2
    assert "--log: not a PostgreSQL URL" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was opened or created


def test_the_command_exits_2_on_a_bad_log_url_without_showing_its_password(tmp_path):
    bad = replay("import", "--data", tmp_path, "--log", "postgresql://me:hunter2@db/", stdin="")
    assert bad.returncode == 2
    assert "the log URL names no database" in bad.stderr and "hunter2" not in bad.stderr
