"""featherChat's naming rules: fingerprints, bot aliases, user aliases."""
import re

from domain.errors import invalid

_NON_HEX = re.compile(r"[^0-9a-fA-F]")
_FINGERPRINT = re.compile(r"^[0-9a-fA-F:\- ]+$")
_BOT_NAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_USER_ALIAS = re.compile(r"^[A-Za-z0-9]{1,32}$")
MAX_FINGERPRINT = 128
RESERVED_FOR_BOTS = (
    "aliases ending with 'Bot' or '_bot' are reserved for bots"
    " — register via /v1/bot/register first"
)


def normalize_chat_id(chat_id: str) -> str:
    """The seed's routing rule: strip every non-hex character, then lowercase."""
    return _NON_HEX.sub("", chat_id).lower()


def fingerprint(value: str) -> str:
    """A key fingerprint: hex, optionally grouped with ':', '-' or spaces; stored lower case."""
    if not _FINGERPRINT.match(value.strip()):
        raise invalid("fingerprint must be a hex string")
    normalized = normalize_chat_id(value)
    if not normalized or len(normalized) > MAX_FINGERPRINT:
        raise invalid(f"fingerprint must be 1-{MAX_FINGERPRINT} hex digits")
    return normalized


def bot_name(name: str) -> str:
    if not _BOT_NAME.match(name):
        raise invalid("name must be 1-32 letters, digits or underscores")
    return name


def bot_alias(name: str) -> str:
    """featherChat's code rule (case-sensitive suffix check): `MyBot` → `mybot`, `weather` →
    `weather_bot`, `MYBOT` → `mybot_bot`. The seed's sample response disagrees; the code wins."""
    if name.endswith(("Bot", "_bot", "bot")):
        return name.lower()
    return name.lower() + "_bot"


_BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{2,31}$")


def bot_username(username: str) -> str:
    """A username chosen for a bot, as BotFather checks it: it must end in `bot`."""
    username = username.removeprefix("@")
    if not _BOT_USERNAME.match(username) or not username.lower().endswith("bot"):
        raise invalid("username must be 3-32 letters, digits or underscores, start with a"
                      " letter and end in 'bot'")
    return username.lower()


def user_alias(alias: str) -> str:
    if not _USER_ALIAS.match(alias):
        raise invalid("alias must be 1-32 alphanumeric chars")
    if alias.lower().endswith("bot"):
        raise invalid(RESERVED_FOR_BOTS)
    return alias.lower()


def display_name(fingerprint_: str) -> str:
    """featherChat shows an unnamed sender as the first 12 chars of its fingerprint."""
    return fingerprint_[:12]
