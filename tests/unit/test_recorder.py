"""The SQLite log's recorder appends a batch in one statement (domain/recorder.py)."""
import pytest
from eventsourcing.persistence import IntegrityError

from domain.application import Botbus
from domain.messages import Message
from domain.recorder import GroupRecorder
from tests.doubles import FixedClock


@pytest.fixture
def app(tmp_path):
    app = Botbus.open(tmp_path, clock=FixedClock())
    yield app
    app.close()


def sends(app: Botbus, count: int) -> list:
    unit = app.new_unit()
    for i in range(count):
        app.send_message(unit, "sender", "ab" * 16, {"text": str(i)}, delivered=False)
    return unit.aggregates


def test_the_server_log_uses_it_and_each_recording_names_its_own_row(app, monkeypatch):
    assert isinstance(app.recorder, GroupRecorder)
    monkeypatch.setattr("domain.recorder.ONE_STATEMENT", 20)  # past it: the library's way
    recordings = [r for count in (1, 3, 27) for r in app.save(*sends(app, count))]
    rows = app.recorder.select_notifications(start=1, limit=10_000)
    assert [r.notification.id for r in recordings] == [row.id for row in rows] \
        == list(range(1, len(rows) + 1))
    assert [(r.notification.originator_id, r.notification.originator_version) for r in recordings] \
        == [(row.originator_id, row.originator_version) for row in rows]
    texts = [app.mapper.to_domain_event(row).content["text"] for row in rows]
    assert texts == ["0", "0", "1", "2", *map(str, range(27))]


def test_a_conflict_records_nothing_of_the_batch(app):
    first, = sends(app, 1)
    app.save(first)
    twin = Message._create(Message.Sent, id=first.id, sender_id="sender", to="ab" * 16,
                           content={"text": "twin"}, delivered=False, timestamp=FixedClock()(),
                           chat="")
    with pytest.raises(IntegrityError):
        app.save(*sends(app, 5), twin)
    assert len(app.recorder.select_notifications(start=1, limit=10_000)) == 1
    assert [r.notification.id for r in app.save(*sends(app, 2))] == [2, 3]
