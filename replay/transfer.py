"""`replay export` and `replay import`: the log as JSON lines, to move it between stores
(SQLite and PostgreSQL) or machines.

A line is one stored event exactly as the store holds it: originator id and version, topic,
and the stored state, as text when it is UTF-8 (JSON, the default) or base64 when a cipher
or compressor made it binary. Import (`replay.importer`) reads the lines back with
`stored_event`, into an empty log only, and all of them or none.
"""
import base64
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from replay.audit import notifications


class TransferError(Exception):
    pass


def export_lines(recorder: ApplicationRecorder) -> Iterator[bytes]:
    for notification in notifications(recorder):
        line: dict[str, Any] = {"position": notification.id,
                                "originator_id": str(notification.originator_id),
                                "originator_version": notification.originator_version,
                                "topic": notification.topic}
        try:
            line["state"] = notification.state.decode("utf-8")
        except UnicodeDecodeError:
            line["state_base64"] = base64.b64encode(notification.state).decode()
        yield orjson.dumps(line)


def stored_event(line: bytes, number: int) -> StoredEvent:
    """One exported line back as a StoredEvent; TransferError names the line and the fault."""
    try:
        fields = orjson.loads(line)
        if not isinstance(fields, dict):
            raise ValueError("a line must be a JSON object")
        missing = [key for key in ("originator_id", "originator_version", "topic")
                   if key not in fields]
        if missing or ("state" not in fields and "state_base64" not in fields):
            raise ValueError("missing " + ", ".join(missing or ["state"]))
        if "state" in fields:
            state = fields["state"].encode("utf-8")
        else:
            state = base64.b64decode(fields["state_base64"], validate=True)
        version = fields["originator_version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError("originator_version must be a positive integer")
        if not isinstance(fields["topic"], str) or ":" not in fields["topic"]:
            raise ValueError("topic must be a module:Class topic")
        return StoredEvent(originator_id=UUID(fields["originator_id"]),
                           originator_version=version, topic=fields["topic"], state=state)
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError) as error:
        raise TransferError(f"line {number}: {error}") from None
