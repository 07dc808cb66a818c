"""featherChat v1 user side (telegram.md decision 4): register, send, inbox, live socket."""
import base64
import binascii
from uuid import UUID

import orjson
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect

from api import misses
from api.auth import INVALID_TOKEN, CurrentUser, account_for_token, bearer
from api.deps import CurrentRuntime
from api.feather import files as user_files
from api.feather import render
from api.feather.bots import ok, take
from api.feather.errors import FeatherRoute
from api.feather.schemas import (
    Accepted,
    Document,
    Ok,
    PressButton,
    RegisteredUser,
    RegisterUser,
    SendUserMessage,
    Update,
)
from api.params import Params, documented
from api.responses import JSON
from api.runtime import Runtime
from api.sockets import RESTARTING
from domain.errors import invalid, not_found
from domain.messaging import Sent
from domain.naming import normalize_chat_id
from domain.unit import Unit
from projections import directory

router = APIRouter(tags=["featherChat v1: users"], route_class=FeatherRoute)
INBOX_PAGE = 100
SUBPROTOCOL = "botbus"


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
    blob = await user_files.upload(runtime, body.document, content)
    delivered = runtime.sockets.is_online(to)

    def command(unit: Unit) -> Sent:
        if blob is not None:
            runtime.app.store_file(unit, user["id"], blob)
        return runtime.app.send_message(unit, user["id"], to, content, delivered)

    sent = await runtime.files.recorded([blob], runtime.writer.run(command))
    return ok({"message_id": str(sent.message_id), "date": sent.date})


@router.post("/v1/callbacks/press", response_model=Ok[bool], openapi_extra=documented(PressButton))
async def press(user: CurrentUser, runtime: CurrentRuntime, body: Params[PressButton]) -> JSON:
    """The bot gets a `callback_query` update; its answer comes back as an inbox item."""
    try:
        message_id = UUID(body.message_id)
    except ValueError:
        raise not_found("message not found") from None
    await runtime.writer.run(lambda unit: runtime.app.press_button(
        unit, user["id"], user["fingerprint"], message_id, body.data))
    return ok(True)


@router.get("/v1/messages/inbox", response_model=Ok[list[Update]])
async def inbox(user: CurrentUser, runtime: CurrentRuntime, request: Request) -> JSON:
    """Oldest first; a read removes what it returns (recorded as UpdatesConfirmed)."""
    return ok(await take(runtime, user["fingerprint"], INBOX_PAGE, "featherchat.inbox",
                         request, render.inbox_item))


@router.websocket("/v1/ws")
async def live(websocket: WebSocket, token: str = "") -> None:
    """Messages for the user arrive here as JSON frames; the client acknowledges each."""
    runtime: Runtime = websocket.app.state.runtime
    offered = websocket.scope.get("subprotocols", [])
    token = socket_token(websocket, offered) or token
    user = await misses.found(runtime, lambda: account_for_token(runtime.callers, token,
                                                                   ("user",)))
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    if user is None:
        await websocket.send_json({"ok": False, "description": INVALID_TOKEN})
        await websocket.close(4003)
        return
    if runtime.stopping:
        await websocket.close(RESTARTING)
        return
    live_socket = runtime.sockets.add(user["fingerprint"], websocket)
    try:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                break
            acked = acks(frame.get("text"))
            if acked:
                runtime.sockets.acknowledge(live_socket, acked)
    except WebSocketDisconnect:
        pass
    finally:
        runtime.sockets.remove(live_socket)


def socket_token(websocket: WebSocket, offered: list[str]) -> str:
    """The token from `Authorization: Bearer`, or the subprotocol `bearer.<token>`: neither
    reaches an access log, unlike the query string."""
    header = bearer(websocket.headers.get("authorization"))
    if header:
        return header
    for protocol in offered:
        if protocol.startswith("bearer."):
            return protocol.removeprefix("bearer.")
    return ""


def acks(text: str | None) -> list[str]:
    """The message ids of `{"ack": id}` or `{"ack": [ids]}`; anything else is a keep-alive."""
    if not text or '"ack"' not in text:
        return []
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    ids = parsed.get("ack") if isinstance(parsed, dict) else None
    ids = [ids] if isinstance(ids, str) else ids
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


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
    if isinstance(body.document, Document):
        return {"document": body.document.model_dump()}
    if body.document is not None:  # an upload: its entry is filled in once stored
        return {"document": {}, **({"caption": body.caption} if body.caption else {})}
    assert body.call_signal is not None  # the one given, by elimination
    signal = body.call_signal.model_dump()
    return {"text": f"/call_{signal['type']}", "call_signal": signal}
