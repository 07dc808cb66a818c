"""Files on the user side: a document sent as multipart (`/v1/messages/send`) is stored in the
one file store and reaches the bot as a Telegram document; a user downloads a file of their
chats at `GET /v1/files/<file_id>`."""
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from api.auth import CurrentUser
from api.deps import CurrentRuntime
from api.feather.errors import FeatherRoute
from api.filestore import TooLarge
from api.runtime import Runtime
from domain.errors import invalid, not_found
from domain.files import Blob
from projections import files

router = APIRouter(tags=["featherChat v1: users"], route_class=FeatherRoute)


async def upload(runtime: Runtime, document: Any, content: dict) -> Blob | None:
    """Stores an uploaded document and names it in `content`; nothing for anything else."""
    if not isinstance(document, UploadFile):
        return None
    try:
        blob = await runtime.files.take(runtime.app.ids.ulid(), document, "document")
    except TooLarge as error:
        raise invalid(str(error)) from None
    content["document"] = blob.document()
    return blob


@router.get("/v1/files/{file_id}", response_class=FileResponse)
async def download(file_id: str, user: CurrentUser, runtime: CurrentRuntime) -> FileResponse:
    """The bytes of a file the user sent or was sent."""
    served = runtime.files.download(files.readable(runtime.db, file_id, user["id"],
                                                   user["fingerprint"]))
    if served is None:
        raise not_found("file not found")
    return served
