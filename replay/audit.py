"""`replay log` and `replay stats`: read the log without touching projections."""
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

PAGE = 1000
_ENVELOPE = ("originator_id", "originator_version", "timestamp", "originator_topic")


def notifications(recorder: ApplicationRecorder, start: int = 0,
                  stop: int | None = None) -> Iterator[Notification]:
    """Every notification after `start` (up to `stop`), fetched a page at a time."""
    while True:
        page = recorder.select_notifications(start=start, limit=PAGE, stop=stop,
                                             inclusive_of_start=False)
        if not page:
            return
        yield from page
        start = page[-1].id


def type_name(topic: str) -> str:
    """`domain.messages:Message.Sent` → `Message.Sent`."""
    return topic.partition(":")[2] or topic


def as_line(notification: Notification, mapper: Mapper) -> dict[str, Any]:
    event = mapper.to_domain_event(notification)
    state = vars(event)
    return {
        "position": notification.id,
        "type": type_name(notification.topic),
        "topic": notification.topic,
        "originator_id": str(notification.originator_id),
        "originator_version": notification.originator_version,
        "timestamp": state["timestamp"].isoformat(),
        "data": {k: v for k, v in state.items() if k not in _ENVELOPE},
    }


def log_lines(recorder: ApplicationRecorder, mapper: Mapper, *,
              types: frozenset[str] | set[str] = frozenset(),
              aggregate: str | None = None, since: datetime | None = None,
              until: datetime | None = None, start: int = 0,
              stop: int | None = None) -> Iterator[bytes]:
    since, until = _utc(since), _utc(until)
    for notification in notifications(recorder, start, stop):
        if types and type_name(notification.topic) not in types:
            continue
        if aggregate and str(notification.originator_id) != aggregate:
            continue
        line = as_line(notification, mapper)
        moment = datetime.fromisoformat(line["timestamp"])
        if (since and moment < since) or (until and moment > until):
            continue
        yield _dumps(line)


def _dumps(line: dict[str, Any]) -> bytes:
    """orjson; what it refuses (an integer past 64 bits in a client's data) the standard
    library writes, so one odd value never stops the listing."""
    try:
        return orjson.dumps(line, default=str)
    except TypeError:
        return json.dumps(line, default=str, ensure_ascii=False,
                          separators=(",", ":")).encode()


def _utc(moment: datetime | None) -> datetime | None:
    """The log's times are UTC: a time given without an offset is read as UTC too."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def stats(recorder: ApplicationRecorder) -> dict[str, Any]:
    by_type: Counter[str] = Counter()
    by_aggregate: Counter[str] = Counter()
    for notification in notifications(recorder):
        name = type_name(notification.topic)
        by_type[name] += 1
        by_aggregate[name.partition(".")[0]] += 1
    return {"events": sum(by_type.values()), "last_position": recorder.max_notification_id() or 0,
            "by_type": dict(sorted(by_type.items())),
            "by_aggregate": dict(sorted(by_aggregate.items()))}
