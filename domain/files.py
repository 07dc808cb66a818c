"""Files: bytes kept in the data directory's file store, never in the log. The log records
what is needed to name and check them: id, size, sha256, name and type, and who stored it.
One store for every dialect (featherChat and Telegram today, Botyard's uploads next)."""
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.clock import Clock
from domain.errors import invalid
from domain.ids import AccountId, aggregate_id
from domain.unit import Unit

MAX_NAME = 255


class File(Aggregate):
    class Stored(Aggregate.Created):
        """`path` (v2) is where anyone may download it, for a dialect that serves files
        publicly (Botyard's `static/<category>/<ulid><ext>`); "" when only its readers may."""

        class_version = 2
        file_id: str  # a ULID: also its name in the store
        owner_id: str
        size: int
        sha256: str
        name: str
        mime_type: str
        path: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["path"] = ""

    @staticmethod
    def create_id(file_id: str, **_: object) -> UUID:
        return aggregate_id(file_id)

    @event(Stored)
    def __init__(self, file_id: str, owner_id: str, size: int, sha256: str, name: str,
                 mime_type: str, timestamp: datetime, path: str = "") -> None:
        self.file_id, self.owner_id, self.size, self.sha256 = file_id, owner_id, size, sha256
        self.name, self.mime_type, self.path = name, mime_type, path


@dataclass(frozen=True)
class Blob:
    """Bytes already written to the store (and synced), waiting to be recorded."""

    file_id: str
    size: int
    sha256: str
    name: str
    mime_type: str

    def document(self) -> dict:
        """How a message's content names this file (every dialect shows it from here)."""
        return {"file_id": self.file_id, "file_unique_id": unique_id(self.sha256),
                "file_size": self.size, "file_name": self.name, "mime_type": self.mime_type}


def unique_id(sha256: str) -> str:
    """Telegram's `file_unique_id`: the same for the same bytes."""
    return sha256[:16]


class FileCommands:
    clock: Clock

    def store_file(self, unit: Unit, owner_id: AccountId, blob: Blob, path: str = "") -> File:
        if not blob.name or len(blob.name) > MAX_NAME or "/" in blob.name or "\x00" in blob.name:
            raise invalid("file name must be 1-255 characters without '/'")
        stored = File(file_id=blob.file_id, owner_id=owner_id, size=blob.size,
                      sha256=blob.sha256, name=blob.name, mime_type=blob.mime_type,
                      timestamp=self.clock(), path=path)
        unit.add(stored)
        return stored
