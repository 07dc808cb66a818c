"""featherChat v1 shapes of a projected message (seed 003, "Update Types"), and of what the
Telegram surface adds to a queue (telegram.md decision 4): a bot's edit or delete told to
the user, a button press for the bot, the bot's answer to it for the user."""
from domain.naming import display_name


def message(item: dict) -> dict:
    fingerprint = item["sender_fp"] or ""  # "" only if the sender's account is unreadable
    sender: dict = {"id": fingerprint, "is_bot": bool(item["sender_is_bot"])}
    if not item["sender_is_bot"]:
        sender["first_name"] = display_name(fingerprint)
    shown = {"message_id": item["id"], "from": sender,
             "chat": {"id": fingerprint, "type": "private"}, "date": item["date"]}
    shown.update(item["content"])
    return shown


def _shown(item: dict) -> dict:
    kind = item.get("kind") or "message"
    if kind == "callback_answer":
        return {"callback_answer": item["payload"]}
    if kind == "deleted":
        chat = (item["payload"] or {}).get("chat") or item["sender_fp"] or ""
        return {"message": {"message_id": item["id"], "deleted": True,
                            "chat": {"id": chat, "type": "private"}}}
    if kind == "callback_query":
        press = item["payload"]
        return {"callback_query": {
            "id": press["id"], "chat_instance": item["to_address"], "data": press["data"],
            "from": {"id": item["to_address"], "is_bot": False,
                     "first_name": item["to_name"] or display_name(item["to_address"])},
            "message": message(item)}}
    return {"message": message(item)}  # a message, or an edit: the new content, edit_date


def update(item: dict) -> dict:
    return {"update_id": item["update_id"], **_shown(item)}


def inbox_item(item: dict) -> dict:
    """A user's inbox item or socket frame: the message in the seed's update shape."""
    shown = _shown(item)
    if "update_id" in item:
        shown = {"update_id": item["update_id"], **shown}
    return shown
