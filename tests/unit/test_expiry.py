"""What time takes away, decided in the domain with the clock injected: a Telegram webhook
answered only 410 Gone for `gone_after` is removed (any other answer starts the run again),
and a queue's updates older than the retention expire once per cutoff."""
import json
import math

import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import Botbus
from domain.clock import millis
from domain.updates import UpdateQueue, queue_id
from domain.webhooks import GONE_AFTER, Webhook, webhook_id
from tests.doubles import START, CountingIds, FixedClock, run

ADDRESS = "aabbccdd1122334455667788aabbccdd"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def app(clock):
    botbus = Botbus({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock,
                    ids=CountingIds())
    yield botbus
    botbus.close()


def attempt(app: Botbus, status: int | None, gone_after: float = GONE_AFTER) -> bool:
    return run(app, lambda unit: app.record_delivery(
        unit, ADDRESS, 1, 1, status, f"Wrong response from the webhook: {status}", 1.0,
        gone_after))


def events_of(app: Botbus, aggregate_id) -> list:
    return list(app.events.get(aggregate_id))


@pytest.fixture
def hooked(app):
    run(app, lambda unit: app.set_webhook(unit, ADDRESS, "http://h/", "", 40, "telegram"))
    return app


def test_a_webhook_answering_only_410_for_23_hours_is_removed(hooked, clock):
    assert attempt(hooked, 410) is False
    clock.advance(hours=22, minutes=59)
    assert attempt(hooked, 410) is False
    clock.advance(minutes=1)
    assert attempt(hooked, 410) is True
    events = events_of(hooked, webhook_id(ADDRESS))
    removed = events[-1]
    assert isinstance(removed, Webhook.Removed) and isinstance(removed, Webhook.Deleted)
    assert removed.reason == "the webhook answered 410 Gone for 82800 s"
    assert hooked.repository.get(webhook_id(ADDRESS)).url == ""
    assert attempt(hooked, 410) is False  # gone already: removed once


@pytest.mark.parametrize("between", [500, None, 200])
def test_any_other_answer_starts_the_run_of_410s_again(hooked, clock, between):
    attempt(hooked, 410)
    clock.advance(hours=12)
    attempt(hooked, between)  # a 500, no answer at all, or a delivery
    clock.advance(hours=12)
    assert attempt(hooked, 410) is False  # 24 h since the first 410, but not in a row
    clock.advance(hours=22)
    assert attempt(hooked, 410) is False
    clock.advance(hours=1)
    assert attempt(hooked, 410) is True


def test_a_webhook_whose_dialect_keeps_it_is_never_removed(hooked, clock):
    attempt(hooked, 410, math.inf)
    clock.advance(days=30)
    assert attempt(hooked, 410, math.inf) is False
    assert hooked.repository.get(webhook_id(ADDRESS)).url == "http://h/"


def test_a_failure_records_its_status_and_a_v1_failure_reads_as_no_status(hooked):
    attempt(hooked, 503)
    failed = events_of(hooked, webhook_id(ADDRESS))[-1]
    assert isinstance(failed, Webhook.DeliveryFailed) and failed.status == 503
    v1 = {"timestamp": {"_type_": "datetime_iso", "_data_": START.isoformat()},
          "address": ADDRESS, "update_id": 1, "attempt": 1, "error": "Timeout expired",
          "retry_at": 1.0}
    old = hooked.mapper.to_domain_event(StoredEvent(
        originator_id=webhook_id(ADDRESS), originator_version=9,
        topic="domain.webhooks:Webhook.DeliveryFailed", state=json.dumps(v1).encode()))
    assert old.status is None and old.error == "Timeout expired"


def test_expiring_a_queue_records_its_cutoff_once(app, clock):
    assert run(app, lambda unit: app.expire_updates(unit, ADDRESS, 3600)) is True
    [_, expired] = events_of(app, queue_id(ADDRESS))
    assert isinstance(expired, UpdateQueue.UpdatesExpired)
    assert expired.before == millis(START) - 3_600_000 and expired.address == ADDRESS
    assert run(app, lambda unit: app.expire_updates(unit, ADDRESS, 3600)) is False
    assert run(app, lambda unit: app.expire_updates(unit, ADDRESS, 7200)) is False  # earlier
    clock.advance(seconds=1)
    assert run(app, lambda unit: app.expire_updates(unit, ADDRESS, 3600)) is True
    assert events_of(app, queue_id(ADDRESS))[-1].before == millis(START) - 3_599_000


def test_setting_the_webhook_again_starts_the_run_again(hooked, clock):
    attempt(hooked, 410)
    clock.advance(hours=12)
    run(hooked, lambda unit: hooked.set_webhook(unit, ADDRESS, "http://new/", "", 40,
                                                 "telegram"))
    clock.advance(hours=12)
    assert attempt(hooked, 410) is False
    assert hooked.repository.get(webhook_id(ADDRESS)).url == "http://new/"


def test_a_slice_expires_no_later_than_it_is_told(app):
    cutoff = millis(START) - 3_600_000
    assert run(app, lambda unit: app.expire_updates(unit, ADDRESS, 3600, cutoff - 5))
    assert run(app, lambda unit: app.expire_updates(unit, ADDRESS, 3600, cutoff + 5))
    assert [e.before for e in events_of(app, queue_id(ADDRESS))[1:]] == [cutoff - 5, cutoff]
