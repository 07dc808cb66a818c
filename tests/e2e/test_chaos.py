"""Chaos: a loaded server SIGKILLed several times and restarted on the same data directory.

Users send to a bot over HTTP, the bot drains getUpdates and answers every message, and the
users take the answers on /v1/ws (acknowledging each frame; half of them hop off and on) or
from their inbox. Afterwards the clients' records are held against the log (`replay log`):

- every acknowledged send reaches the bot; a second copy only after a kill that came before
  the first copy's confirmation reached the log (a read's confirmation rides with the next
  write: at least once, never lost), counted apart;
- the bot's update ids are the log's numbering and strictly increase within each run;
- every bot message in the log reaches its user, on the socket or in the inbox; a second copy
  is only allowed where a kill came before the log recorded the first one's ack (socket) or
  confirmation (inbox), and is counted apart too;
- `replay verify` exits 0.
"""
import json
import random
import subprocess
import sys
import time
from collections import Counter
from itertools import groupby

import httpx
import pytest

from tests.chaos_clients import Bot, Chaos, Reader, Sender
from tests.conftest import register_bot, register_user
from tests.servers import ROOT, Server, store_args

pytestmark = pytest.mark.slow
USERS, KILLS = 4, 4
ROUND = 2.0  # seconds of load before each kill, and after the last restart
AIM = 0.02  # seconds: how long after a getUpdates leaves an aimed kill falls
NEAR_KILL = 1.0  # seconds: how long before a kill what it may cut (a confirmation, an ack) was made


def replay(data, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "replay", *args, *store_args(data)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def log_events(data) -> list[dict]:
    types = ("Message.Sent", "Message.Received", "UpdateQueue.UpdatesConfirmed")
    done = replay(data, "log", *(f"--type={name}" for name in types))
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def cut_by_kill(got, reader: Reader, kills: list[tuple[float, float, float]]) -> bool:
    """Whether `got` came at most NEAR_KILL before a kill: from the inbox, or on a socket that
    kill cut (either may be read after the kill, before the restart: the old server answered
    it, and the client's thread noted the time just after the test's)."""
    if got.via == "inbox":
        return any(killed - NEAR_KILL <= got.at <= restarted for killed, _, restarted in kills)
    connected, closed = reader.sessions[got.session]
    if closed == connected:
        return False
    killed, _, restarted = kills[connected]
    return killed - NEAR_KILL <= got.at <= restarted


def run_load(server: Server, chaos: Chaos, bot: dict, users: list[dict]):
    """Start every client, kill and restart the server KILLS times under load, then stop the
    senders and let the bot and the readers drain. Returns the clients and kill times."""
    readers = [Reader(chaos, user, hop=1.5 if index % 2 else None)
               for index, user in enumerate(users)]
    senders = [Sender(chaos, user, bot["fingerprint"]) for user in users]
    robot = Bot(chaos, bot)
    for client in (*readers, robot, *senders):
        client.start()
    kills: list[tuple[float, float, float]] = []  # (monotonic kill, wall kill, restarted)
    for index in range(KILLS):
        time.sleep(ROUND)
        if index % 2:  # aimed at a getUpdates, before its confirmation lands, now and then
            robot.polling.wait(1)
            time.sleep(random.uniform(0, AIM))
        chaos.kills += 1
        killed = time.monotonic()
        server.kill()
        wall = time.time()  # after the process is gone: it stamped everything before
        time.sleep(0.2)  # the clients see the server gone
        server.start()
        kills.append((killed, wall, time.monotonic()))
    time.sleep(ROUND)
    chaos.stopping.set()
    for sender in senders:
        sender.join(15)
    robot.finish.set()
    robot.join(30)
    deadline = time.monotonic() + 15  # the readers take the bot's last answers
    while time.monotonic() < deadline and any(
            {m for m, chat in robot.answered if chat == reader.user["fingerprint"]}
            - {got.message_id for got in reader.got} for reader in readers):
        time.sleep(0.1)
    for reader in readers:
        reader.finish.set()
    for reader in readers:
        reader.join(15)
    return senders, robot, readers, kills


def test_sigkills_under_load_lose_nothing_acknowledged_and_repeat_only_what_they_cut(
        tmp_path):
    server = Server(tmp_path / "data").start()
    try:
        chaos = Chaos(server.url)
        with httpx.Client(base_url=server.url, timeout=15) as http:
            bot = register_bot(http)
            users = [register_user(http) for _ in range(USERS)]
        started = time.monotonic()
        senders, robot, readers, kills = run_load(server, chaos, bot, users)
        loaded = time.monotonic() - started
        with httpx.Client(base_url=server.url, timeout=15) as http:  # nothing left behind
            left = http.post(f"/v1/bot/{bot['token']}/getUpdates", json={"limit": 100}).json()
        assert left == {"ok": True, "result": []}
        assert server.stop() == 0
    finally:
        server.kill()
    for client in (*senders, robot, *readers):
        assert not client.is_alive(), f"{client} did not finish"
        assert client.error is None, f"{client}: {client.error!r}"
    events = log_events(server.data)

    # Enough traffic, around every kill, for the test to mean something.
    acknowledged = [sent for sender in senders for sent in sender.acknowledged]
    times = sorted(moment for moment, _ in acknowledged)
    assert len(acknowledged) >= 100 and len(kills) >= 3, (len(acknowledged), len(kills))
    for killed, _, restarted in kills:
        assert any(killed - 1 <= moment < killed for moment in times), "no send before a kill"
        assert any(restarted <= moment < restarted + ROUND for moment in times), \
            "no send after a restart"
    assert len(robot.answered) >= 100, len(robot.answered)

    # The bot: the log's numbering, increasing within each run; a repeat only across a kill.
    bot_fp = bot["fingerprint"]
    sent = {e["originator_id"]: e["data"] for e in events if e["type"] == "Message.Sent"}
    to_bot = [message_id for message_id, data in sent.items() if data["to"] == bot_fp]
    message_of = dict(enumerate(to_bot, start=1))  # a bot's update ids, in log order
    wrong = [(u, m, message_of.get(u)) for u, m, _ in robot.received if message_of.get(u) != m]
    assert not wrong, f"(update_id, message_id, the log's message_id): {wrong[:10]}"
    for run, got in groupby(robot.received, key=lambda received: received[2]):
        ids = [update_id for update_id, _, _ in got]
        assert ids == sorted(set(ids)), f"run {run}: update ids repeated or out of log order"
    confirmations = Counter(  # how many getUpdates' confirmations took each update id
        update_id for e in events if e["type"] == "UpdateQueue.UpdatesConfirmed"
        and e["data"]["address"] == bot_fp and e["data"]["via"] == "featherchat.getUpdates"
        for update_id in e["data"]["update_ids"] or range(1, e["data"]["up_to"] + 1))
    runs: dict[int, list[int]] = {}
    for update_id, _, run in robot.received:
        runs.setdefault(update_id, []).append(run)
    repeated = {u: seen for u, seen in runs.items() if len(seen) > 1}
    for update_id, seen in repeated.items():
        assert seen == sorted(set(seen)) and confirmations[update_id] <= 1, \
            f"update {update_id}: got in runs {seen}, confirmed {confirmations[update_id]}x"
    unconfirmed = [(u, seen) for u, seen in runs.items() if not confirmations[u]]
    assert all(seen[-1] < KILLS for _, seen in unconfirmed), \
        f"got, never confirmed, not cut by a kill: {unconfirmed[:10]}"
    print(f"\n{len(acknowledged)} acknowledged sends"
          f" ({sum(s.unacknowledged for s in senders)} unacknowledged attempts),"
          f" {len(kills)} kills in {loaded:.1f} s; the bot got {len(runs)} updates,"
          f" {len(repeated)} of them again after a kill cut their confirmation")
    lost = set(message_of) - set(runs)
    assert not lost, f"in the log, never received: {[message_of[u] for u in sorted(lost)]}"
    unreached = {m for _, m in acknowledged} - {message_of[u] for u in runs}
    assert not unreached, f"acknowledged sends the bot never got: {sorted(unreached)[:10]}"

    # The users: every bot message once, on the socket or in the inbox.
    acked_in_log = {e["originator_id"] for e in events if e["type"] == "Message.Received"}
    read_in_log = Counter(  # (address, update id) that inbox reads' confirmations took
        (e["data"]["address"], update_id) for e in events
        if e["type"] == "UpdateQueue.UpdatesConfirmed" and e["data"]["via"] == "featherchat.inbox"
        for update_id in e["data"]["update_ids"] or range(1, e["data"]["up_to"] + 1))
    misaddressed = [(m, chat) for m, chat in robot.answered if sent.get(m, {}).get("to") != chat]
    assert not misaddressed, f"acknowledged sendMessage not in the log as sent: {misaddressed}"
    excused: Counter[str] = Counter()
    for reader in readers:
        fp = reader.user["fingerprint"]
        mine = {message_id for message_id, data in sent.items() if data["to"] == fp}
        copies: dict[str, list] = {}
        for got in reader.got:
            copies.setdefault(got.message_id, []).append(got)
        assert set(copies) - mine == set(), f"{fp} got messages not sent to it"
        assert mine - set(copies) == set(), f"{fp} never got {sorted(mine - set(copies))}"
        assert not reader.unordered, f"{fp}: inbox pages not oldest first: {reader.unordered}"
        for message_id, seen in copies.items():
            assert len({got.update_id for got in seen}) == 1, f"{message_id}: {seen}"
            if len(seen) > 1:  # once more, if a kill came before the log had the first one
                first = seen[0]
                recorded = message_id in acked_in_log if first.via == "socket" \
                    else read_in_log[fp, first.update_id] > 1
                assert len(seen) == 2 and cut_by_kill(first, reader, kills) and not recorded, \
                    f"{fp} got {message_id} twice: {seen}; sessions {reader.sessions}"
                excused[first.via if first.acked or first.via == "inbox"
                        else "ack not written"] += 1
    via = Counter(got.via for reader in readers for got in reader.got)
    print(f"users got {dict(via)}; twice, as a kill cut the first: {dict(excused)}")
    assert via["socket"] >= 100 and via["inbox"] >= 20, via

    verified = replay(server.data, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
