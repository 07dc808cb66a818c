"""featherChat v1 user side (telegram.md decision 4): register, send, inbox, live socket."""
import base64
import binascii

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.auth import INVALID_TOKEN, CurrentUser, account_for_token
from api.deps import CurrentRuntime
from api.feather import render
from api.feather.bots import ok, take
from api.feather.errors import FeatherRoute
from api.feather.schemas import (
    Accepted,
    Ok,
    RegisteredUser,
    RegisterUser,
    SendUserMessage,
    Update,
)
from api.params import Params, documented
from api.responses import JSON
from api.runtime import Runtime
from domain.errors import invalid, not_found
from domain.naming import normalize_chat_id
from projections import directory

router = APIRouter(tags=["featherChat v1: users"], route_class=FeatherRoute)
INBOX_PAGE = 100


@router.post("/v1/users/register", response_model=Ok[RegisteredUser],
             openapi_extra=documented(RegisterUser))
async def register(body: Params[RegisterUser], runtime: CurrentRuntime) -> JSON:
    done = await runtime.writer.run(
        lambda unit: runtime.app.register_user(unit, body.fingerprint, body.name, body.alias))
    return ok({"token": done.token, "fingerprint": done.fingerprint, "id": done.number})


@router.post("/v1/messages/send", response_model=Ok[Accepted],
             openapi_extra=documented(SendUserMessage))
async def send(user: CurrentUser, runtime: CurrentRuntime, body: Params[SendUserMessage]) -> JSON:
    to = recipient(runtime, body.to)
    content = user_content(body)
    delivered = runtime.sockets.is_online(to)
    sent = await runtime.writer.run(
        lambda unit: runtime.app.send_message(unit, user["id"], to, content, delivered))
    return ok({"message_id": str(sent.message_id), "date": sent.date})


@router.get("/v1/messages/inbox", response_model=Ok[list[Update]])
async def inbox(user: CurrentUser, runtime: CurrentRuntime) -> JSON:
    """Oldest first; a read removes what it returns (recorded as UpdatesConfirmed)."""
    items = await take(runtime, user["fingerprint"], INBOX_PAGE, via="featherchat.inbox")
    return ok([render.inbox_item(item) for item in items])


@router.websocket("/v1/ws")
async def live(websocket: WebSocket, token: str = "") -> None:
    """Messages for the user arrive here as JSON frames while the socket is open."""
    runtime: Runtime = websocket.app.state.runtime
    user = account_for_token(runtime.db, token, ("user",))
    await websocket.accept()
    if user is None:
        await websocket.send_json({"ok": False, "description": INVALID_TOKEN})
        await websocket.close(4003)
        return
    runtime.sockets.add(user["fingerprint"], websocket)
    try:
        while True:
            await websocket.receive_text()  # clients may ping; nothing else is expected
    except WebSocketDisconnect:
        pass
    finally:
        runtime.sockets.remove(user["fingerprint"], websocket)


def recipient(runtime: Runtime, to: str) -> str:
    """A fingerprint (normalized like a bot's chat_id) or an @alias from the directory."""
    if to.startswith("@"):
        account = directory.resolve_alias(runtime.db, to[1:].lower())
        if account is None:
            raise not_found("alias not found")
        return account["fingerprint"]
    address = normalize_chat_id(to)
    if not address:
        raise invalid("to must be a fingerprint or @alias")
    return address


def user_content(body: SendUserMessage) -> dict:
    """The seed's update shapes: text; encrypted (text null); file header; call signal."""
    given = [name for name in ("text", "raw_encrypted", "document", "call_signal")
             if getattr(body, name) is not None]
    if len(given) != 1:
        raise invalid("exactly one of text, raw_encrypted, document, call_signal is required")
    if body.text is not None:
        return {"text": body.text}
    if body.raw_encrypted is not None:
        try:
            base64.b64decode(body.raw_encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise invalid("raw_encrypted must be base64") from None
        return {"text": None, "raw_encrypted": body.raw_encrypted}
    if body.document is not None:
        return {"document": body.document.model_dump()}
    assert body.call_signal is not None  # the one given, by elimination
    signal = body.call_signal.model_dump()
    return {"text": f"/call_{signal['type']}", "call_signal": signal}
