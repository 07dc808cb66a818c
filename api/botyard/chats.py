"""What the bot API and the client API share about a chat room: who may touch it, its message
pages (botyard.md §1.6) and sending into it."""
import re

from starlette.requests import Request

from api.botyard import render
from api.botyard.errors import BotyardError
from api.botyard.schemas import BotyardNewMessage
from api.runtime import Runtime
from domain.botyard import BOT_NOT_FOUND, SCHEME
from domain.chats import CHAT_NOT_FOUND, ChatMessage
from domain.ids import AccountId
from projections import bots, chats, files

DEFAULT_PAGE, DEFAULT_LIMIT = 1, 20


def botyard_bot(runtime: Runtime, bot_id: str) -> dict:
    """A Botyard bot (one with a key: a deleted bot has none), or Botyard's 404."""
    found = bots.shown(runtime.db, SCHEME, bot_id) if bot_id else []
    if not found:
        raise BotyardError(404, BOT_NOT_FOUND)
    return found[0]


def required_query(name: str) -> dict:
    """`openapi_extra` for a route that reads one required query parameter itself."""
    return {"parameters": [{"name": name, "in": "query", "required": True,
                            "schema": {"type": "string"}}]}


def required(request: Request, name: str, missing: str) -> str:
    value = request.query_params.get(name, "")
    if not value:
        raise BotyardError(400, missing)
    return value


def room(runtime: Runtime, chat_id: str, side: str, caller_id: str) -> dict:
    """The room, if the caller is its `side` ("bot" or "user"); Botyard's 404 and 403."""
    found = chats.room(runtime.db, chat_id) if chat_id else None
    if found is None:
        raise BotyardError(404, CHAT_NOT_FOUND)
    if found[f"{side}_id"] != caller_id:
        raise BotyardError(403, f"Chat is not related to current {side}.")
    return found


_INT64 = re.compile(r"^[+-]?[0-9]{1,19}$")


def _int(text: str | None, default: int) -> int:
    """Botyard's rule (Go's Atoi): a value that is not a 64-bit decimal integer is the
    default."""
    if text is None or not _INT64.match(text):
        return default
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 63) else default


def page(runtime: Runtime, found: dict, request: Request) -> dict:
    query = request.query_params
    number, limit = _int(query.get("page"), DEFAULT_PAGE), _int(query.get("limit"), DEFAULT_LIMIT)
    sender, since = query.get("sender_id", ""), _int(query.get("since"), 0)
    total, items = chats.page(runtime.db, found["id"], number, limit, sender, since)
    attached = files.many(runtime.db, sorted({
        f for item in items for f in item["content"].get("attachments", ())}))
    return {"chatId": found["id"], "total": total, "page": number, "limit": limit,
            "messages": [render.message(item, found["id"], attached) for item in items]}


async def send(runtime: Runtime, found: dict, sender_id: str, body: BotyardNewMessage) -> dict:
    """Into a room still open (checked again in the log), answered as Botyard's
    PreparedMessage: its attachments as the file objects that exist."""
    message, config = ChatMessage(body.body, body.attachment_ids), runtime.botyard
    after = chats.last_ms(runtime.db, found["id"])
    sent = await runtime.writer.run(lambda unit: runtime.app.send_in_chat(
        unit, AccountId(sender_id), found["user_id"], found["bot_id"], found["id"], message,
        config.max_body_length, config.max_attached_files, after))
    item = {"id": str(sent.message_id), "sender_id": sender_id, "ms": sent.millis,
            "content": {"text": body.body, "attachments": body.attachment_ids}}
    return render.message(item, found["id"], files.many(runtime.db, body.attachment_ids))
