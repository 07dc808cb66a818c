"""Botyard's uploads and downloads (botyard.md §1.8, decision 11): multipart `file` parts,
classified by their Content-Type and held to the config's limits, kept in the one file store
and served to anyone at `/static/<category>/<ulid><ext>`. A download is found by its exact
recorded path, never by joining a request's path to a folder, so no path escapes.

Downloads share the server's origin with the web client's cookie, so an uploaded page must
never run there: every download is sandboxed and never sniffed, and only raster images, audio
and video are shown inline (`<img>`, `<video>` embed them); anything else, SVG and PDF included,
is an attachment."""
import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from api.botyard import kinds, render
from api.botyard.auth import CurrentBot, CurrentUser
from api.botyard.errors import BotyardError, BotyardRoute
from api.botyard.schemas import BotyardFile
from api.deps import CurrentRuntime
from api.filestore import TooLarge
from api.params import ParamsError
from api.responses import JSON
from api.runtime import Runtime
from domain.files import Blob
from domain.ids import AccountId
from projections import files

router = APIRouter(tags=["Botyard: files"], route_class=BotyardRoute)
INLINE = re.compile(  # no `+xml` subtype: a browser opens any such type as a document
    r"image/(png|jpeg|gif|webp)|(audio|video)/[a-z0-9][a-z0-9.-]*")
UPLOAD = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {
        "type": "array", "items": {"type": "string", "format": "binary"}}}}}}}}


@router.post("/v1/bot-api/files", response_model=list[BotyardFile], openapi_extra=UPLOAD)
async def bot_upload(bot: CurrentBot, request: Request, runtime: CurrentRuntime) -> JSON:
    return JSON(await upload(runtime, request, bot["id"]))


@router.post("/v1/client-api/files", response_model=list[BotyardFile], openapi_extra=UPLOAD)
async def user_upload(user: CurrentUser, request: Request, runtime: CurrentRuntime) -> JSON:
    return JSON(await upload(runtime, request, user["id"]))


async def upload(runtime: Runtime, request: Request, owner_id: str) -> list[dict]:
    """Every part is checked before any is stored; all are recorded in one command, or none."""
    config = runtime.botyard
    parts = await _parts(request, config.max_attached_files)
    for part in parts:
        category = kinds.category(part.content_type or "")
        limit = kinds.limit(config, category)
        if (part.size or 0) > limit:
            raise BotyardError(400, kinds.too_large_message(category, limit, part.size or 0))
    stored: list[tuple[Blob, str]] = []
    try:
        for part in parts:
            mime = kinds.bare(part.content_type or "") or "application/octet-stream"
            file_id = runtime.app.ids.ulid()
            blob = await runtime.files.take(file_id, part, "file")
            blob = Blob(blob.file_id, blob.size, blob.sha256, blob.name, mime)
            path = f"static/{kinds.category(mime)}/{file_id}{kinds.extension(mime)}"
            stored.append((blob, path))
    except TooLarge as error:
        for blob, _ in stored:
            runtime.files.discard(blob.file_id)
        raise BotyardError(400, str(error)) from None
    await runtime.files.recorded([blob for blob, _ in stored], runtime.writer.run(
        lambda unit: [runtime.app.store_file(unit, AccountId(owner_id), blob, path)
                      for blob, path in stored]))
    return [render.file({"id": blob.file_id, "path": path, "name": blob.name,
                         "size": blob.size, "mime_type": blob.mime_type})
            for blob, path in stored]


async def _parts(request: Request, most: int) -> list[UploadFile]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise ParamsError("request body must be multipart/form-data")
    try:
        form = await request.form(max_files=most + 1, max_fields=100)
    except Exception as error:  # noqa: BLE001 - Starlette's verdict on a body it cannot read
        detail = getattr(error, "detail", None) or str(error)
        if "Too many files" in str(detail):
            raise BotyardError(400, f"Too many files, max allowed amount is {most}.") from None
        raise ParamsError(f"malformed multipart body: {detail}") from None
    parts = [part for part in form.getlist("file") if isinstance(part, UploadFile)]
    if not parts:
        raise BotyardError(400, "No files found to upload.")
    if len(parts) > most:
        raise BotyardError(400, f"Too many files, max allowed amount is {most}.")
    return parts


@router.get("/static/{path:path}", response_class=FileResponse, tags=["Botyard: files"])
async def download(path: str, runtime: CurrentRuntime) -> FileResponse:
    found = files.public(runtime.db, f"static/{path}")
    inline = found is not None and INLINE.fullmatch(found["mime_type"]) is not None
    served = runtime.files.download(found, inline=inline)
    if served is None:
        raise BotyardError(404, "File not found.")
    return served
