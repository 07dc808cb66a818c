"""Botyard's JSON shapes (botyard.md §1.4-1.8): ids are lower-case ULIDs, timestamps unix
milliseconds, and empty optional fields are left out (Go's `omitempty`)."""
from uuid import UUID

from domain.ids import ulid_of


def bot(row: dict) -> dict:
    shown = {"id": row["id"], "name": row["name"]}
    for field in ("description", "avatar"):
        if row.get(field):
            shown[field] = row[field]
    return shown


def chat(row: dict) -> dict:
    return {"id": row["id"], "userId": row["user_id"], "botId": row["bot_id"]}


def file(row: dict) -> dict:
    return {"id": row["id"].lower(), "path": row["path"], "name": row["name"],
            "size": row["size"], "mimeType": row["mime_type"]}


def message_id(uuid: str) -> str:
    """A message's Botyard id: the ULID its aggregate id was made from."""
    return ulid_of(UUID(uuid))


def message(item: dict, chat_id: str, files: dict[str, dict]) -> dict:
    """A message with its attachments as file objects: only the files that exist."""
    content = item["content"]
    shown = {"id": message_id(item["id"]), "chatId": chat_id, "senderId": item["sender_id"],
             "body": content.get("text", "")}
    attached = [file(files[f]) for f in content.get("attachments", ()) if f in files]
    if attached:
        shown["attachments"] = attached
    shown["timestamp"] = item["ms"]
    return shown


def raw(item: dict) -> dict:
    """A message as the bot API shows one by id: its attachments as the ids it was sent with."""
    content = item["content"]
    shown = {"id": message_id(item["id"]), "chatId": item["chat"], "senderId": item["sender_id"],
             "body": content.get("text", "")}
    if content.get("attachments"):
        shown["attachmentIds"] = content["attachments"]
    shown["timestamp"] = item["ms"]
    return shown
