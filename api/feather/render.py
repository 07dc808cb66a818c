"""featherChat v1 shapes of a projected message (seed 003, "Update Types")."""
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


def update(item: dict) -> dict:
    return {"update_id": item["update_id"], "message": message(item)}


def inbox_item(item: dict) -> dict:
    """A user's inbox item or socket frame: the message in the seed's update shape."""
    shown = {"message": message(item)}
    if "update_id" in item:
        shown = {"update_id": item["update_id"], **shown}
    return shown
