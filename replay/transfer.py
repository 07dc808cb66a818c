"""`replay export` and `replay import`: the log as JSON lines, to move it between stores
(SQLite and PostgreSQL) or machines.

A line is one stored event exactly as the store holds it: its position, originator id and
version, topic, and the stored state, as text when it is UTF-8 (JSON, the default) or base64
when a cipher or compressor made it binary. Import (`replay.importer`) reads the lines back
with `stored_event`, into an empty log only, and all of them or none.

A move is checked by a count and a checksum (`Digest`) that leave the position out: a store
numbers its events its own way (a PostgreSQL sequence skips numbers), the order is what counts.
"""
import base64
import hashlib
from array import array
from typing import IO, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from tqdm import tqdm

from replay.audit import notifications


class TransferError(Exception):
    pass


def canonical(event: StoredEvent) -> bytes:
    """An event's line without its position: `{"originator_id":..,"originator_version":..,
    "topic":..,"state":..}` (or `"state_base64"`), compact, keys in that order."""
    line: dict[str, Any] = {"originator_id": str(event.originator_id),
                            "originator_version": event.originator_version,
                            "topic": event.topic}
    try:
        line["state"] = event.state.decode("utf-8")
    except UnicodeDecodeError:
        line["state_base64"] = base64.b64encode(event.state).decode()
    return orjson.dumps(line)


class Digest:
    """The count of a log's events and the sha256 of their canonical lines (`canonical`), each
    followed by a newline, in log order. An exported line is `{"position":N,` and then its
    canonical line's text after the `{`, so the checksum of an export file is
    `sed -E 's/^\\{"position":[0-9]+,/{/' FILE | sha256sum`; the same log gives the same
    digest in any store, and an import's input is digested after parsing, as it will be
    stored (so a file rewritten by another JSON tool still compares). The positions are kept
    apart, to tell whether a store numbered the events anew (0: a line that gave none)."""

    def __init__(self) -> None:
        self.count, self._sha, self.positions = 0, hashlib.sha256(), array("q")

    def add(self, line: bytes, position: int = 0) -> None:
        self.count += 1
        self._sha.update(line + b"\n")
        self.positions.append(position)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Digest) and (self.count, self.sha256) == (other.count,
                                                                           other.sha256)

    def __str__(self) -> str:
        return f"{self.count} events, sha256 {self.sha256}"


def export(recorder: ApplicationRecorder, out: IO[bytes], progress: bool = True) -> Digest:
    """Write the log to `out` as JSON lines; the bar (stderr, on a terminal) follows positions."""
    digest = Digest()
    with _bar("export", recorder, progress) as bar:
        for notification in notifications(recorder):
            line = canonical(notification)
            digest.add(line, notification.id)
            out.write(b'{"position":%d,%s\n' % (notification.id, line[1:]))
            bar.update(notification.id - bar.n)
    return digest


def digest_of(recorder: ApplicationRecorder, progress: bool = True) -> Digest:
    """Read a whole log back, as `export` would write it."""
    digest = Digest()
    with _bar("read back", recorder, progress) as bar:
        for notification in notifications(recorder):
            digest.add(canonical(notification), notification.id)
            bar.update(notification.id - bar.n)
    return digest


def _bar(desc: str, recorder: ApplicationRecorder, progress: bool) -> tqdm:
    return tqdm(total=recorder.max_notification_id() or 0, unit="ev", desc=desc,
                disable=None if progress else True, mininterval=0.5)


def stored_event(line: bytes, number: int) -> tuple[StoredEvent, int]:
    """One exported line back as a StoredEvent, and its position in the exported log (0 when
    it gives none); TransferError names the line and the fault."""
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
        version, position = fields["originator_version"], fields.get("position")
        if not _positive(version):
            raise ValueError("originator_version must be a positive integer")
        if position is not None and not _positive(position):
            raise ValueError("position must be a positive integer")
        if not isinstance(fields["topic"], str) or ":" not in fields["topic"]:
            raise ValueError("topic must be a module:Class topic")
        return StoredEvent(originator_id=UUID(fields["originator_id"]),
                           originator_version=version, topic=fields["topic"],
                           state=state), position or 0
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError) as error:
        raise TransferError(f"line {number}: {error}") from None


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
