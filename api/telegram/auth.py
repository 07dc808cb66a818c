"""The calling bot, named by the token in the path."""
from api.auth import MAX_TOKEN, account_for_token
from api.runtime import Runtime
from api.telegram.errors import TelegramError


def authenticate(runtime: Runtime, token: str) -> dict:
    """Either token of a bot (`<id>:<secret>` or featherChat's `<fp16>:<hex>`)."""
    if ":" not in token or len(token) > MAX_TOKEN:
        raise TelegramError(401, "Unauthorized: invalid token specified")
    bot = account_for_token(runtime.callers, token, ("bot",))
    if bot is None:
        raise TelegramError(401, "Unauthorized")
    return bot
