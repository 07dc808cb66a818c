"""Telegram shapes of the one registry and the one message store (research-compat §1.5):
integer ids (an account's number; a message's log position), `date` in unix seconds, the
private chat named by the peer, on what users write the entities their app would have found
(detected.py: commands, mentions, links...; UTF-16)."""
from collections.abc import Callable

from api.telegram import detected
from domain.naming import display_name

# A header-only document's file_id: this and its message's id (a stored file's ULID starts 0-7)
HEADER = "m"
# Content keys the Telegram surface shows as they are stored
_SHOWN = ("text", "entities", "caption", "caption_entities", "photo", "edit_date",
          "forward_origin", "call_signal", "raw_encrypted")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def me(bot: dict) -> dict:
    return {"id": bot["number"], "is_bot": True, "first_name": bot["name"],
            "username": bot["alias"] or bot["name"], "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False}


def person(number: int | None, name: str | None, alias: str | None, fingerprint: str | None,
           is_bot: bool) -> dict:
    shown = {"id": number or 0, "is_bot": bool(is_bot),
             "first_name": name or display_name(fingerprint or "")}
    if alias:
        shown["username"] = alias
    return shown


def account(row: dict) -> dict:
    """A directory row as a Telegram User."""
    return person(row["number"], row["name"], row.get("alias"), row["fingerprint"],
                  row["kind"] == "bot")


def chat(user: dict) -> dict:
    shown = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    if "username" in user:
        shown["username"] = user["username"]
    return shown


Lookup = Callable[[str], dict | None]
People = Callable[[int], dict | None]  # an account (a directory row) by its Telegram id


def mentioned(entity: dict) -> int | None:
    """The Telegram id of the user a `text_mention` entity names, if it names one by an int."""
    user = entity.get("user")
    number = user.get("id") if isinstance(user, dict) else None
    return number if type(number) is int else None


def mentions(entities: list[dict], people: People) -> list[dict]:
    """A `text_mention` is stored with its user's id alone and shown with the account as it
    is now, as `from` is; one naming no account is left out."""
    shown = []
    for entity in entities:
        if entity.get("type") == "text_mention":
            number = mentioned(entity)
            found = people(number) if number is not None else None
            if found is None:
                continue
            entity = {**entity, "user": account(found)}
        shown.append(entity)
    return shown


def message(item: dict, bot_fp: str, people: People, lookup: Lookup | None = None) -> dict:
    """A message as the bot `bot_fp` sees it: the chat is the other party. `lookup` finds
    the message it replies to (by id), shown one level deep as Telegram does."""
    sender = person(item["sender_number"], item["sender_name"], item["sender_alias"],
                    item["sender_fp"], item["sender_is_bot"])
    if item["sender_fp"] == bot_fp:
        peer = person(item["to_number"], item["to_name"], item["to_alias"],
                      item["to_address"], item["to_is_bot"])
    else:
        peer = sender
    content = item["content"]
    shown = {"message_id": item["position"], "date": item["date"], "chat": chat(peer),
             "from": sender}
    shown.update((key, content[key]) for key in _SHOWN if content.get(key) is not None)
    for key in ("entities", "caption_entities"):
        if key in shown:
            shown[key] = mentions(shown[key], people)
            if not shown[key]:
                del shown[key]
    if not item["sender_is_bot"]:
        shown.update(detected.unmarked(content))
    markup = content.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:  # Telegram echoes no other
        shown["reply_markup"] = markup
    if content.get("document") is not None:
        shown["document"] = document(item["id"], content["document"])
    replied = content.get("reply_to_message_id")
    if replied and lookup is not None:
        original = lookup(replied)
        if original is not None:
            shown["reply_to_message"] = message(original, bot_fp, people)
    return shown


def document(message_id: str, document: dict) -> dict:
    """A document as the Telegram surface names it; a header-only one (featherChat's file
    header) is named after its message."""
    shown = {"file_id": document.get("file_id") or f"{HEADER}{message_id}",
             "file_unique_id": document.get("file_unique_id") or message_id.replace("-", "")[:16]}
    for key in ("file_name", "mime_type", "file_size"):
        if document.get(key) is not None:
            shown[key] = document[key]
    return shown


def header_message(file_id: str) -> str | None:
    """The message whose header-only document `file_id` names (see document), or None."""
    return file_id.removeprefix(HEADER) if file_id.startswith(HEADER) else None


def update(item: dict, bot_fp: str, people: People, lookup: Lookup | None = None
           ) -> dict | None:
    """A queued update as a bot gets it; None for what a bot is never shown (a delete)."""
    kind = item.get("kind") or "message"
    if kind in ("message", "edited"):
        key = "message" if kind == "message" else "edited_message"
        return {"update_id": item["update_id"], key: message(item, bot_fp, people, lookup)}
    if kind == "callback_query":
        return {"update_id": item["update_id"],
                "callback_query": callback_query(item, bot_fp, people)}
    return None


def callback_query(item: dict, bot_fp: str, people: People) -> dict:
    """A press of a button on the bot's message `item`: the presser is its recipient."""
    press = item["payload"]
    presser = person(item["to_number"], item["to_name"], item["to_alias"], item["to_address"],
                     False)
    return {"id": press["id"], "from": presser, "chat_instance": str(presser["id"]),
            "message": message(item, bot_fp, people), "data": press["data"]}
