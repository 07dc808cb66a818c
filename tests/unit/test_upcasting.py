"""Schema evolution for real: a v1 `Bot.Registered` (no `description`, no `class_version`)
and a v1 `Bot.TokenIssued` (no `salt`), written into a SQLite log as an older Botbus would
have written them, are read back through today's code as v3 (`description == ""`,
`avatar == ""`) and v2 (`salt == ""`), and are never rewritten."""
import json
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import Botbus
from domain.bots import Bot
from domain.ids import aggregate_id
from domain.tokens import hash_token
from projections import READ_MODELS, directory
from projections.db import PROJECTIONS_FILE, open_projections
from projections.projector import Projector
from replay import audit, rebuild
from tests.doubles import START, CountingIds, FixedClock

BOT_ID = "01jgm1s0000000000000000001"
FP = "aabbccdd1122334455667788aabbccdd"
TOKEN = f"{FP[:16]}:{'ab' * 16}"
V1_STATE = {
    "timestamp": {"_type_": "datetime_iso", "_data_": START.isoformat()},
    "originator_topic": "domain.bots:Bot",
    "bot_id": BOT_ID,
    "number": 7,
    "name": "OldBot",
    "fingerprint": FP,
}


def v1_events() -> list[StoredEvent]:
    """The stored form of a v1 registration: JSON written by hand, so it does not depend on
    today's classes; the token event is unchanged between versions."""
    bot = aggregate_id(BOT_ID)
    token_issued = {"timestamp": {"_type_": "datetime_iso", "_data_": START.isoformat()},
                    "scheme": "feather", "token_hash": hash_token(TOKEN)}
    return [
        StoredEvent(originator_id=bot, originator_version=1, topic="domain.bots:Bot.Registered",
                    state=json.dumps(V1_STATE).encode()),
        StoredEvent(originator_id=bot, originator_version=2, topic="domain.bots:Bot.TokenIssued",
                    state=json.dumps(token_issued).encode()),
    ]


@pytest.fixture
def data(tmp_path):
    """A data directory whose log holds only the v1 events."""
    app = Botbus.open(tmp_path)
    positions = app.recorder.insert_events(v1_events())
    assert positions == [1, 2]
    app.close()
    return tmp_path


@pytest.fixture
def app(data):
    botbus = Botbus.open(data, clock=FixedClock(), ids=CountingIds())
    yield botbus
    botbus.close()


def stored_state(app: Botbus, position: int) -> dict:
    """The record's JSON as stored, not decoded by the mapper."""
    notification, = app.recorder.select_notifications(start=position, limit=1)
    return json.loads(notification.state)


def test_the_v1_event_is_stored_without_description_or_class_version(app):
    state = stored_state(app, 1)
    assert "description" not in state and "class_version" not in state
    assert Bot.Registered.class_version == 3 and Bot.TokenIssued.class_version == 2


def test_repository_get_upcasts_the_v1_registration(app):
    bot = app.repository.get(aggregate_id(BOT_ID))
    assert isinstance(bot, Bot)
    assert bot.description == "" and bot.avatar == ""
    assert (bot.bot_id, bot.number, bot.name, bot.fingerprint, bot.version) == (
        BOT_ID, 7, "OldBot", FP, 2)
    assert bot.token_hashes == {"feather": hash_token(TOKEN)}
    assert bot.created_on == START


def test_the_mapper_gives_current_events_from_the_v1_records(app):
    registered, issued = app.recorder.select_notifications(start=1, limit=2)
    event = app.mapper.to_domain_event(registered)
    assert isinstance(event, Bot.Registered)
    assert event.description == "" and event.avatar == ""
    assert "class_version" not in vars(event)
    token = app.mapper.to_domain_event(issued)
    assert isinstance(token, Bot.TokenIssued) and token.salt == ""


def test_new_events_append_after_a_v1_history_and_the_v1_record_stays_as_written(app):
    unit = app.new_unit()
    new_token = app.reset_token(unit, BOT_ID, "feather")
    app.save(*unit.aggregates)
    bot = app.repository.get(aggregate_id(BOT_ID))
    assert bot.version == 3 and bot.description == ""
    assert bot.token_hashes["feather"] == hash_token(new_token)
    assert stored_state(app, 1) == V1_STATE  # upcasting never rewrites the log


def test_a_v3_registration_is_stored_with_its_class_version(app):
    unit = app.new_unit()
    app.register_bot(unit, "NewBot", "ff" * 16, description="fresh")
    app.save(*unit.aggregates)
    position = app.recorder.max_notification_id() - 5  # Registered, 2 tokens, 3 claims
    state = stored_state(app, position)
    assert state["class_version"] == 3 and state["description"] == "fresh"
    assert state["avatar"] == ""


def test_the_projector_reads_the_v1_event_with_an_empty_description(app, data):
    db = open_projections(data / PROJECTIONS_FILE)
    try:
        assert Projector(app.recorder, app.mapper, db).catch_up() == 2
        account = directory.account(db, BOT_ID)
        assert account["description"] == "" and account["name"] == "OldBot"
        found = directory.account_by_token_hash(db, hash_token(TOKEN))
        assert found["id"] == BOT_ID
    finally:
        db.close()


def test_rebuild_and_verify_read_the_v1_event_too(app, data):
    assert rebuild.rebuild(app.recorder, app.mapper, data, READ_MODELS, progress=False) == 2
    db = open_projections(data / PROJECTIONS_FILE)
    try:
        row = db.execute("SELECT description, number FROM accounts WHERE id = ?",
                         (BOT_ID,)).fetchone()
        assert tuple(row) == ("", 7)
    finally:
        db.close()
    assert rebuild.verify(app.recorder, app.mapper, data) == []


def test_replay_log_shows_the_upcast_event(app):
    first, _ = audit.notifications(app.recorder)
    line = audit.as_line(first, app.mapper)
    assert line["type"] == "Bot.Registered" and line["topic"] == "domain.bots:Bot.Registered"
    assert UUID(line["originator_id"]) == aggregate_id(BOT_ID)
    assert line["data"]["description"] == ""
    assert line["data"]["name"] == "OldBot"
