"""The clock is injected so a command decides a time once and its event stores it."""
from datetime import datetime, timezone
from typing import Callable

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def unix_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
