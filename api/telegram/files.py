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
from api.telegram import render
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
        header = header_only(call, value) if kind == "document" else None
        if header is not None:  # the same header again, its file_unique_id kept
            return {k: v for k, v in header.items() if k != "file_id"}, None
    raise bad_request(WRONG_FILE)


def header_only(call: Call, file_id: str) -> dict | None:
    """A header-only document (featherChat's file header: a name and a size, no bytes) as
    the bot is shown it, by the file_id render.document names it with, if the bot is a
    party to its message."""
    message_id = render.header_message(file_id)
    item = call.lookup(message_id) if message_id else None
    if item is None or item["content"].get("deleted") \
            or call.address not in (item["sender_fp"], item["to_address"]):
        return None
    document = item["content"].get("document")
    if not isinstance(document, dict) or document.get("file_id"):
        return None
    return render.document(item["id"], document)


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
    """A file the bot stored or was sent, with the path to download it from. A header-only
    document has no bytes, so no path, as Telegram leaves it out for a file too big to
    download; its size is the one its header declares."""
    found = files.readable(call.runtime.db, params.file_id, call.bot["id"], call.address)
    if found is None:
        header = header_only(call, params.file_id)
        if header is None:
            raise bad_request("invalid file_id")
        return {k: header[k] for k in ("file_id", "file_unique_id", "file_size") if k in header}
    return {"file_id": found["id"], "file_unique_id": unique_id(found["sha256"]),
            "file_size": found["size"], "file_path": f"documents/{found['id']}"}


@router.get("/file/bot{token}/{file_path:path}", include_in_schema=True,
            summary="Download a file (the `file_path` getFile returned)",
            response_class=FileResponse)
async def download(token: str, file_path: str, request: Request, runtime: CurrentRuntime):
    bot = authenticate(runtime, token)
    file_id = file_path.rstrip("/").rsplit("/", 1)[-1]
    served = runtime.files.download(files.readable(runtime.db, file_id, bot["id"],
                                                   bot["fingerprint"]))
    if served is None:
        raise TelegramError(404, "Not Found: file not found")
    return served
