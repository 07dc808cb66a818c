"""The gateway's settings from the environment (decision 5): each a positive integer, its
default where unset or not one."""
import os

DEFAULT_HEARTBEAT_MS = 30_000
DEFAULT_MAX_REPLAY = 50_000
DEFAULT_IDENTIFY_LIMIT = 1_000


def _positive(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def heartbeat_interval() -> int:
    """`BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS` (tests set a short one), in milliseconds."""
    return _positive("BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS", DEFAULT_HEARTBEAT_MS)


def max_replay() -> int:
    """`BOTBUS_GATEWAY_MAX_REPLAY`: how many log positions a RESUME replays at most; a session
    further behind is told to identify again."""
    return _positive("BOTBUS_GATEWAY_MAX_REPLAY", DEFAULT_MAX_REPLAY)


def identify_limit() -> int:
    """`BOTBUS_GATEWAY_IDENTIFY_LIMIT`: IDENTIFYs per account a day (tests set a small one)."""
    return _positive("BOTBUS_GATEWAY_IDENTIFY_LIMIT", DEFAULT_IDENTIFY_LIMIT)
