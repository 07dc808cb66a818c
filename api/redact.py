"""What may be logged of a request path: tokens travel in some paths (`/v1/bot/<token>/...`,
Telegram's `/bot<token>/...`), and a log names ids, never secrets."""
import re

_TOKEN_IN_PATH = re.compile(r"^(/v1/bot/|/(?:file/)?bot)(?!register(?:/|$))[^/]+")


def path(value: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1<token>", value)
