"""The file store: uploaded bytes in one folder (`<data>/files/`, or `--files`, which every
node of a shared log mounts), one file per ULID (the layout is projections/files.blob_path,
shared with `replay verify`). Bytes are written to a temporary
name, synced and renamed before their File.Stored event is recorded, so the log never names
a file the store lacks; a command that surely recorded nothing removes what it wrote. A
write a crash cut short leaves its temporary file, which a sweep at start removes."""
import asyncio
import hashlib
import logging
import os
import threading
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import BinaryIO, TypeVar

from starlette.datastructures import UploadFile
from starlette.responses import FileResponse

from api.settle import RecordedUnreadable
from domain.errors import invalid
from domain.files import Blob
from projections.files import blob_path

T = TypeVar("T")
log = logging.getLogger(__name__)

CHUNK = 1 << 20
# Every download's headers: served from the server's own origin, an uploaded page must never
# run there (opened, it is sandboxed to a null origin) nor be guessed into text/html
SANDBOX = {"X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; sandbox"}
STALE = 3600.0  # seconds untouched after which a temporary file is a write cut short


class TooLarge(Exception):
    pass


class FileStore:
    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder, self.max_bytes = Path(folder), max_bytes

    async def put(self, file_id: str, source: BinaryIO | bytes, name: str,
                  mime_type: str) -> Blob:
        """Writes off the event loop (a large upload must not stall other requests)."""
        path = blob_path(self.folder, file_id)
        if path is None:
            raise invalid("bad file id")
        size, sha256 = await asyncio.to_thread(self._write, source, path)
        return Blob(file_id, size, sha256, name, mime_type)

    async def take(self, file_id: str, upload: UploadFile, default_name: str) -> Blob:
        """A multipart part's bytes, under its own base name (never a path) or `default_name`."""
        name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
        return await self.put(file_id, upload.file, name or default_name,
                              upload.content_type or "application/octet-stream")

    async def recorded(self, blobs: Sequence[Blob | None], recording: Awaitable[T]) -> T:
        """The command that records `blobs` (and what carries them); the bytes go only if it
        recorded nothing. Recorded but not yet readable, they stay; a request cancelled
        meanwhile (its client gone) leaves the command running, and its outcome decides.
        Without a file, the command is only awaited: no task, no shield (the writer runs a
        command whose request went away anyway)."""
        if not any(blobs):
            return await recording
        command = asyncio.ensure_future(recording)
        try:
            return await asyncio.shield(command)
        except asyncio.CancelledError:
            command.add_done_callback(lambda done: self._unless_recorded(done, blobs))
            raise
        except BaseException:
            self._unless_recorded(command, blobs)
            raise

    def _unless_recorded(self, command: asyncio.Future, blobs: Sequence[Blob | None]) -> None:
        """The bytes go if the command was refused or its append failed; recorded, or
        cancelled (the writer may still record it), they stay: a file no event names is only
        disk, an event naming a missing file a broken history."""
        if command.cancelled():
            return
        error = command.exception()
        if error is not None and not isinstance(error, RecordedUnreadable):
            for blob in blobs:
                if blob is not None:
                    self.discard(blob.file_id)

    def _write(self, source: BinaryIO | bytes, path: Path) -> tuple[int, str]:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial, digest, size = path.with_suffix(".part"), hashlib.sha256(), 0
        try:
            with open(partial, "wb") as out:
                for chunk in _chunks(source):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(f"file is larger than {self.max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)
            _sync_dir(path.parent)
        finally:
            partial.unlink(missing_ok=True)
        return size, digest.hexdigest()

    def sweep_in_background(self, older_than: float = STALE) -> threading.Thread:
        """Removes the temporary files of writes a crash (SIGKILL, power loss) cut short: no
        event names them. Only those untouched for `older_than` seconds go, since another
        node sharing the folder may be writing one now. On a thread: a store of millions of
        files must not delay the start."""
        thread = threading.Thread(target=self._sweep, args=(older_than,), daemon=True,
                                  name="botbus-files-sweep")
        thread.start()
        return thread

    def _sweep(self, older_than: float) -> None:
        cutoff, removed = time.time() - older_than, 0
        for partial in self.folder.glob("*/*.part"):
            try:
                if partial.stat().st_mtime < cutoff:
                    partial.unlink()
                    removed += 1
            except FileNotFoundError:  # renamed or removed by its writer meanwhile
                continue
        if removed:
            log.info("removed unfinished uploads", extra={"files": removed})

    def discard(self, file_id: str) -> None:
        path = blob_path(self.folder, file_id)
        if path is not None:
            path.unlink(missing_ok=True)

    def download(self, found: dict | None, inline: bool = False) -> FileResponse | None:
        """A stored file (`found`: its projections/files row) as every dialect serves it:
        sandboxed, an attachment under its own name unless `inline`; None when the row or
        its bytes are missing."""
        path = self.path(found["id"]) if found is not None else None
        if found is None or path is None:
            return None
        # an attachment: `filename="…"`, or RFC 5987's `filename*=utf-8''…` when quoting changes it
        return FileResponse(path, media_type=found["mime_type"], headers=SANDBOX,
                            filename=None if inline else found["name"])

    def path(self, file_id: str) -> Path | None:
        path = blob_path(self.folder, file_id)
        return path if path is not None and path.is_file() else None


def _chunks(source: BinaryIO | bytes):
    if isinstance(source, bytes):
        yield source
        return
    source.seek(0)
    while chunk := source.read(CHUNK):
        yield chunk


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
