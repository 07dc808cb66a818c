"""`replay verify`'s check of the file store: every file the log names is there, with the
size and sha256 the log recorded (the bytes are never in the log, so only this finds a file
lost or changed on disk)."""
import hashlib
from pathlib import Path

from sqlite_utils import Database

from projections import files

CHUNK = 1 << 20


def differences(db: Database, store: Path) -> list[str]:
    out = []
    for found in files.every(db):
        path = files.blob_path(store, found["id"])
        if path is None or not path.is_file():
            out.append(f"files: {found['id']} is named by the log but missing from the store")
            continue
        digest, size = hashlib.sha256(), 0
        with open(path, "rb") as stored:
            while chunk := stored.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        if size != found["size"] or digest.hexdigest() != found["sha256"]:
            out.append(f"files: {found['id']} differs from the size and sha256 the log recorded")
    return out
