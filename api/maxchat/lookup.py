"""What MaxChat's routes share: its ids mapped to the core's (a user's digits are an
account number, a message's its log position) and the membership checks of reads."""
from uuid import UUID

from api.maxchat.errors import MaxChatError
from api.params import decimal
from api.runtime import Runtime
from domain.errors import not_found
from projections import apps, guilds, messages


def account_id(runtime: Runtime, user_id: str, missing: str = "member not found") -> str:
    """The account a MaxChat user id (digits) names."""
    number = decimal(user_id)
    found = apps.person_by_number(runtime.db, number) if number is not None else None
    if found is None:
        raise not_found(missing)  # a domain error: also raised inside a command
    return found["id"]


def message_id(runtime: Runtime, message: str) -> UUID | None:
    """The aggregate id of the message a MaxChat message id (its log position) names."""
    position = decimal(message)
    if position is None:
        return None
    found = messages.by_position(runtime.db, position)
    return UUID(found["id"]) if found is not None else None


def readable_guild(runtime: Runtime, guild_id: str, caller_id: str) -> dict:
    """A server the caller is a member of (404 unknown, 403 not a member)."""
    found = guilds.guild(runtime.db, guild_id)
    if found is None:
        raise MaxChatError(404, "server not found")
    if caller_id not in guilds.member_ids(runtime.db, guild_id):
        raise MaxChatError(403, "not a member of this server")
    return found
