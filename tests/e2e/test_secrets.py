"""Secrets stay secret on a real server: no token in any log line at any level (uvicorn logs
socket paths at info, ASGI scopes at trace), and the data directory is readable by its owner
only (0700, files 0600), an old deployment's 0755/0644 tightened when the server starts."""
import os
import secrets
import stat
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from api import logs
from projections.db import lock_data_dir
from tests.conftest import register_bot, register_user, send_as_user
from tests.servers import Server

pytestmark = pytest.mark.slow


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def ws(server: Server, token: str) -> str:
    return server.url.replace("http://", "ws://") + f"/v1/ws?token={token}"


def offer(token: str) -> list[Subprotocol]:
    return [Subprotocol(f"bearer.{token}"), Subprotocol("botbus")]


def exercise(server: Server) -> list[str]:
    """Every way a token travels: the socket's query, header and subprotocol, bot paths,
    Bearer headers, Telegram's paths. Returns the tokens that were used."""
    bad = "bad" + secrets.token_hex(12)
    with httpx.Client(base_url=server.url, timeout=15) as http:
        bot, user = register_bot(http), register_user(http)
        # every way a socket carries its token at once: the query, the header, the subprotocol
        with connect(ws(server, user["token"]), open_timeout=5,
                     additional_headers={"Authorization": f"Bearer {user['token']}"},
                     subprotocols=offer(user["token"])) as live:
            assert send_as_user(http, user, to=bot["fingerprint"], text="hi")["ok"]
            sent = http.post(f"/v1/bot/{bot['token']}/sendMessage",
                             json={"chat_id": user["fingerprint"], "text": "yo"}).json()
            assert sent["ok"], sent
            assert "yo" in live.recv(timeout=5)
        with connect(ws(server, bad), open_timeout=5,
                     subprotocols=offer(bad)) as refused:
            refused.recv(timeout=5)
            with pytest.raises(ConnectionClosed):
                refused.recv(timeout=5)
        assert http.get(f"/v1/bot/{bot['token']}/getMe").json()["ok"]
        http.get(f"/v1/bot/{bad}/getMe")
        http.get(f"/bot{bot['bot_api_token']}/getMe")
        http.get(f"/file/bot{bot['bot_api_token']}/documents/a.txt")
        for token in (user["token"], bad):
            http.get("/v1/messages/inbox", headers={"Authorization": f"Bearer {token}"})
    return [bot["token"], bot["bot_api_token"], user["token"], bad]


@pytest.mark.parametrize("level", ["info", "debug", "trace"])
def test_no_token_in_any_log_line(tmp_path, level):
    server = Server(tmp_path / "data", env={"BOTBUS_LOG_LEVEL": level}).start()
    try:
        tokens = exercise(server)
    finally:
        assert server.stop() == 0
    text = server.log_text()
    assert "WebSocket" in text  # uvicorn did log the sockets: the check below is not vacuous
    if level == "trace":
        assert "query_string" in text and "scope=" in text
    # the secret after a token's colon: catches it URL-quoted (uvicorn quotes paths) too
    leaked = [token for token in tokens if token.rsplit(":", 1)[-1] in text]
    assert not leaked, f"{leaked} in {text[-3000:]}"


def test_an_unknown_log_level_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="unknown log level 'loud'; use one of: critical, "):
        logs.configure("loud")


def test_data_directory_and_its_files_are_private(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            bot, user = register_bot(http), register_user(http)
            assert send_as_user(http, user, to=bot["fingerprint"], text="private")["ok"]
        files = {path.name: mode(path) for path in data.iterdir()}
        assert {"events.db", "events.db-wal", "projections.db", "projections.db-wal",
                "secrets.json", "botbus.lock"} <= set(files), files
        assert mode(data) == 0o700
        assert files == dict.fromkeys(files, 0o600)
    finally:
        server.stop()


def test_an_old_deployment_is_tightened_at_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    (data / "events.db").touch()
    (data / "events.db").chmod(0o644)
    (data / "notes").mkdir()  # only files directly in it are the server's own
    (data / "notes").chmod(0o755)  # whatever umask an earlier in-process test left
    server = Server(data).start()
    try:
        assert mode(data) == 0o700
        assert mode(data / "events.db") == 0o600
        assert mode(data / "notes") == 0o755
    finally:
        server.stop()


def test_a_new_data_directory_is_created_private(tmp_path):
    data = tmp_path / "fresh" / "data"
    umask = os.umask(0o022)
    try:
        lock_data_dir(data).close()
        assert os.umask(0o022) == 0o077  # files SQLite creates later (WAL, SHM) are 0600 too
    finally:
        os.umask(umask)
    assert mode(data) == 0o700
    assert mode(data / "botbus.lock") == 0o600
