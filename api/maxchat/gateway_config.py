"""The gateway's settings from the environment (decision 5)."""
import os

DEFAULT_HEARTBEAT_MS = 30_000


def heartbeat_interval() -> int:
    """`BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS` (tests set a short one), in milliseconds."""
    value = os.environ.get("BOTBUS_GATEWAY_HEARTBEAT_INTERVAL_MS", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_HEARTBEAT_MS


DEFAULT_MAX_REPLAY = 50_000


def max_replay() -> int:
    """`BOTBUS_GATEWAY_MAX_REPLAY`: how many log positions a RESUME replays at most; a session
    further behind is told to identify again."""
    value = os.environ.get("BOTBUS_GATEWAY_MAX_REPLAY", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_REPLAY
