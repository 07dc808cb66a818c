"""The file store's index: each file's size, hash and name, and who may read it (its owner
and both parties of every message that carries it). The bytes live under the data
directory at `blob_path`, named by the file's ULID alone, so no name a client sends ever
becomes a path."""
import re
from collections.abc import Iterator
from functools import singledispatch
from pathlib import Path

from sqlite_utils import Database

from domain.files import File
from domain.messages import Message

NAME = "files"
VERSION = 2  # raise when the tables or their rows change: the projector replays it
TABLES = ("files", "file_readers")
STORE = "files"
_FILE_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$", re.IGNORECASE)


def store_dir(data: Path, files: Path | None = None) -> Path:
    """The file store's folder: `files` if given (one folder the nodes of a shared log all
    mount), else `<data>/files`."""
    return Path(files) if files is not None else Path(data) / STORE


def blob_path(store: Path, file_id: str) -> Path | None:
    """Where a file's bytes are in the store's folder; None for anything not a file id."""
    if not _FILE_ID.match(file_id):
        return None
    return Path(store) / file_id[-2:] / file_id


def create(db: Database) -> None:
    db.table("files").create(
        {"id": str, "owner_id": str, "size": int, "sha256": str, "name": str,
         "mime_type": str, "position": int, "path": str}, pk="id", if_not_exists=True,
        defaults={"path": ""})
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS files_by_path ON files (path) WHERE path != ''")
    db.table("file_readers").create({"file_id": str, "reader": str}, pk=("file_id", "reader"),
                                    if_not_exists=True)


@singledispatch
def apply(event: object, db: Database, position: int) -> None:
    """Events of other read models change nothing here."""


@apply.register
def _(event: File.Stored, db: Database, position: int) -> None:
    db.execute("INSERT INTO files (id, owner_id, size, sha256, name, mime_type, position, path)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (event.file_id, event.owner_id, event.size,
                                                    event.sha256, event.name, event.mime_type,
                                                    position, event.path))
    db.execute("INSERT OR IGNORE INTO file_readers (file_id, reader) VALUES (?, ?)",
               (event.file_id, event.owner_id))


@apply.register
def _(event: Message.Sent, db: Database, position: int) -> None:
    file_ids = list(carried(event.content))
    if file_ids:  # readers are accounts by id (the sender) or by address (the recipient)
        db.conn.executemany("INSERT OR IGNORE INTO file_readers (file_id, reader) VALUES (?, ?)",
                            [(f, r) for f in file_ids for r in (event.sender_id, event.to)])


def carried(content: dict) -> Iterator[str]:
    """The stored files a message's content names (a document, the sizes of a photo)."""
    document = content.get("document")
    if isinstance(document, dict) and document.get("file_id"):
        yield document["file_id"]
    for size in content.get("photo") or ():
        if isinstance(size, dict) and size.get("file_id"):
            yield size["file_id"]


# Queries

def get(db: Database, file_id: str) -> dict | None:
    row = db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
    return dict(row) if row is not None else None


def public(db: Database, path: str) -> dict | None:
    """The file served at a public path (`static/...`), if any."""
    row = db.execute("SELECT * FROM files WHERE path = ? AND path != ''", (path,)).fetchone()
    return dict(row) if row is not None else None


def many(db: Database, file_ids: list[str]) -> dict[str, dict]:
    """The files among these ids that exist, by id."""
    if not file_ids:
        return {}
    rows = db.execute(f"SELECT * FROM files WHERE id IN ({', '.join('?' * len(file_ids))})",
                      file_ids)
    return {row["id"]: dict(row) for row in rows}


def readable(db: Database, file_id: str, account_id: str, address: str) -> dict | None:
    """The file, if this account stored it or is a party to a message that carries it."""
    row = db.execute("SELECT f.* FROM files f WHERE f.id = ? AND EXISTS (SELECT 1 FROM"
                     " file_readers WHERE file_id = f.id AND reader IN (?, ?))",
                     (file_id, account_id, address)).fetchone()
    return dict(row) if row is not None else None


def every(db: Database) -> Iterator[dict]:
    for row in db.execute("SELECT id, size, sha256 FROM files ORDER BY position"):
        yield dict(row)
