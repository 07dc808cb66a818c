"""Botbus.save() is the library's save() without its slow Protocol checks: same records."""
from eventsourcing.application import Application, project_aggregate

from domain.application import Botbus
from domain.updates import UpdateQueue, queue_id
from tests.doubles import CountingIds, FixedClock

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def stored(app: Botbus) -> list[tuple]:
    return [(n.originator_id, n.originator_version, n.topic, n.state)
            for n in app.recorder.select_notifications(start=1, limit=1000)]


def registered_twice(save) -> list[tuple]:
    """The same commands, saved through `save(app, *aggregates)`."""
    app = Botbus(IN_MEMORY, clock=FixedClock(), ids=CountingIds())
    unit = app.new_unit()
    bot = app.register_bot(unit, "SaveBot", "ab" * 16)
    app.send_message(unit, bot.bot_id, "cd" * 16, {"text": "hi"}, delivered=False)
    recordings = save(app, *unit.aggregates)
    assert [r.notification.id for r in recordings] == list(range(1, len(recordings) + 1))
    return stored(app)


def test_records_what_the_library_save_records():
    ours = registered_twice(lambda app, *aggregates: app.save(*aggregates))
    library = registered_twice(lambda app, *aggregates: Application.save(app, *aggregates))
    assert ours == library and len(ours) == 7  # bot, 2 tokens, 3 claims, message


def test_events_given_directly_still_take_the_library_path():
    app = Botbus(IN_MEMORY, clock=FixedClock(), ids=CountingIds())
    unit = app.new_unit()
    app.register_user(unit, "ef" * 16)
    events = [event for aggregate in unit.aggregates for event in aggregate.collect_events()]
    assert len(app.save(*events)) == len(events) == 3


def test_snapshots_are_still_taken_at_the_interval():
    app = Botbus(IN_MEMORY, clock=FixedClock(), ids=CountingIds())
    for up_to in range(1, 101):  # Opened, then 99 confirmations: version 100
        unit = app.new_unit()
        app.confirm_updates(unit, "ab", up_to, via="test")
        app.save(*unit.aggregates)
    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(queue_id("ab")))
    assert [s.originator_version for s in snapshots] == [100]
    assert app.repository.get(queue_id("ab")).confirmed_up_to == 100
    assert isinstance(app.repository.get(queue_id("ab")), UpdateQueue)


def test_a_snapshot_taken_from_memory_restores_what_the_log_holds(tmp_path):
    """Snapshots are taken from the aggregate just saved, not read back from the log: a
    fresh application (no cache) must load the very state the log replays to."""
    app = Botbus.open(tmp_path, clock=FixedClock(), ids=CountingIds())
    for up_to in range(1, 151):
        unit = app.new_unit()
        app.confirm_updates(unit, "ab", up_to, via="test",
                            update_ids=[up_to] if up_to % 2 else None)
        app.save(*unit.aggregates)
    app.close()
    fresh = Botbus.open(tmp_path)
    from_snapshot = fresh.repository.get(queue_id("ab"))
    replayed = project_aggregate(None, fresh.events.get(queue_id("ab")))  # every event
    assert [s.originator_version for s in fresh.snapshots.get(queue_id("ab"))] == [100]
    assert vars(from_snapshot) == vars(replayed)
    assert (from_snapshot.version, from_snapshot.confirmed_up_to) == (151, 150)
    fresh.close()
