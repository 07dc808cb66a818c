"""Files on the Telegram surface (telegram.md decision 8): sendDocument and sendPhoto with an
upload (a multipart part, also by `attach://<part>`) or an existing file_id, getFile with a
relative `file_path`, and the bytes at `/file/bot<token>/<file_path>`."""
from typing import Any

import imagesize
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from api.deps import CurrentRuntime
from api.filestore import TooLarge
from api.telegram.auth import authenticate
from api.telegram.errors import TelegramError, TelegramRoute, bad_request
from api.telegram.methods import Call, method
from api.telegram.objects import File, Message
from api.telegram.schemas import GetFile, SendDocument, SendMedia, SendPhoto
from api.telegram.sending import caption_content, deliver, markup, reply_to
from domain.files import Blob, unique_id
from projections import files

router = APIRouter(tags=["Telegram Bot API"], route_class=TelegramRoute)
WRONG_FILE = "wrong file identifier/HTTP URL specified"


async def upload(call: Call, value: Any, kind: str) -> tuple[dict, Blob | None]:
    """The file a media parameter names, as the message shows it, and the bytes to record
    with the message when it is a new upload."""
    if isinstance(value, str) and value.startswith("attach://"):
        value = (await call.request.form()).get(value.removeprefix("attach://"))
    if isinstance(value, UploadFile):
        runtime = call.runtime
        try:
            blob = await runtime.files.take(runtime.app.ids.ulid(), value, kind)
        except TooLarge:
            raise TelegramError(413, "Request Entity Too Large") from None
        return blob.document(), blob
    if isinstance(value, str) and value:
        found = files.readable(call.runtime.db, value, call.bot["id"], call.address)
        if found is not None:
            return Blob(found["id"], found["size"], found["sha256"], found["name"],
                        found["mime_type"]).document(), None
    raise bad_request(WRONG_FILE)


async def send_media(call: Call, params: SendMedia, value: Any, kind: str) -> dict:
    chat = call.chat(params.chat_id)
    content = caption_content(call, params.caption, params.parse_mode,
                              [e.model_dump() for e in params.caption_entities or ()])
    content.update(markup(params.reply_markup))
    content.update(reply_to(call, chat, params))
    shown, blob = await upload(call, value, kind)
    if kind == "photo":
        path = call.runtime.files.path(shown["file_id"])
        width, height = imagesize.get(str(path)) if path is not None else (-1, -1)
        content["photo"] = [{"file_id": shown["file_id"],
                             "file_unique_id": shown["file_unique_id"],
                             "file_size": shown["file_size"],
                             "width": max(width, 0), "height": max(height, 0)}]
    else:
        content["document"] = shown
    return await deliver(call, chat, content, blob)


@method("sendDocument", Message, SendDocument)
async def send_document(call: Call, params: SendDocument) -> dict:
    """A file of any kind, uploaded or named by file_id, with an optional caption."""
    return await send_media(call, params, params.document, "document")


@method("sendPhoto", Message, SendPhoto)
async def send_photo(call: Call, params: SendPhoto) -> dict:
    """An image, uploaded or named by file_id, shown as one PhotoSize."""
    return await send_media(call, params, params.photo, "photo")


@method("getFile", File, GetFile)
async def get_file(call: Call, params: GetFile) -> dict:
    """A file the bot stored or was sent, with the path to download it from."""
    found = files.readable(call.runtime.db, params.file_id, call.bot["id"], call.address)
    if found is None:
        raise bad_request("invalid file_id")
    return {"file_id": found["id"], "file_unique_id": unique_id(found["sha256"]),
            "file_size": found["size"], "file_path": f"documents/{found['id']}"}


@router.get("/file/bot{token}/{file_path:path}", include_in_schema=True,
            summary="Download a file (the `file_path` getFile returned)",
            response_class=FileResponse)
async def download(token: str, file_path: str, request: Request, runtime: CurrentRuntime):
    bot = authenticate(runtime, token)
    file_id = file_path.rstrip("/").rsplit("/", 1)[-1]
    found = files.readable(runtime.db, file_id, bot["id"], bot["fingerprint"])
    path = runtime.files.path(file_id) if found is not None else None
    if found is None or path is None:
        raise TelegramError(404, "Not Found: file not found")
    return FileResponse(path, media_type=found["mime_type"], filename=found["name"])
