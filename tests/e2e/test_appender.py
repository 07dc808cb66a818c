"""A real `botbus serve` and the child process that appends to its SQLite log
(domain/appender.py): it goes when the server goes, however the server goes, and the server
outlives it."""
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import register_bot, register_user
from tests.e2e.test_crash import acknowledged_send, client, drain
from tests.servers import Server, child_pids, on_postgres

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(on_postgres(), reason="the embedded SQLite log's own")]


def appender_of(server) -> int:
    pids = [pid for pid in child_pids(server.process.pid)
            if b"appender_child" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(pids) == 1, pids
    return pids[0]


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # exited; its parent (gone) never waited for it
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def node(tmp_path):
    server = Server(tmp_path / "data").start()
    yield server
    server.kill()


def test_the_appender_goes_with_a_server_killed_or_stopped(node):
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
        acknowledged_send(http, user, bot, "one")
    child = appender_of(node)
    node.kill()
    assert gone_within(child, 10), "the appender outlived a SIGKILLed server"

    node.start()
    with client(node) as http:
        acknowledged_send(http, user, bot, "two")
        assert [text for _, text, _ in drain(http, bot)] == ["one", "two"]
    child = appender_of(node)
    assert node.stop() == 0
    assert gone_within(child, 10), "the appender outlived a stopped server"


def test_a_killed_appender_is_replaced_and_nothing_acknowledged_is_lost(node):
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
        acknowledged_send(http, user, bot, "before")
        first = appender_of(node)
        os.kill(first, signal.SIGKILL)
        assert gone_within(first, 10)
        acknowledged_send(http, user, bot, "after")  # the next append has a new child
        assert appender_of(node) != first
        assert [text for _, text, _ in drain(http, bot)] == ["before", "after"]
        assert http.get("/health").status_code == 200
    assert "the log's appender stopped" in node.log_text()


def test_the_appender_leaves_sigint_and_sigterm_to_the_server(node):
    """A Ctrl-C in a terminal, or a stop sent to a whole process group, is the server's to
    act on: while it stops, it still appends through its child, which exits after it."""
    with client(node) as http:
        bot, user = register_bot(http), register_user(http)
        acknowledged_send(http, user, bot, "one")
    child = appender_of(node)
    os.kill(child, signal.SIGINT)
    os.kill(child, signal.SIGTERM)
    time.sleep(0.2)
    assert not gone_within(child, 0.1), "the appender obeyed a signal meant for the server"
    with client(node) as http:
        acknowledged_send(http, user, bot, "two")
    assert appender_of(node) == child
    with httpx.Client(base_url=node.url) as http:
        assert http.get("/health").status_code == 200
