"""What may be logged: tokens travel in paths (`/v1/bot/<token>/...`, Telegram's
`/bot<token>/...`), in the socket's `?token=` and `bearer.<token>` subprotocol, and in
`Authorization: Bearer` headers; uvicorn logs all of these (socket paths at info, handshake
headers at debug, ASGI scopes at trace). A log names ids, never secrets: `text()` masks every
one of them wherever it stands in a line."""
import re

HIDDEN = "<redacted>"
_END = r"""/\s'"?#&,;)\]}"""  # what ends a token in a path, a query or a repr
_SECRET = rf"[^{_END}]+"
_NOT_REGISTER = rf"(?!register(?:[{_END}]|$))"
_PATTERNS = [
    # featherChat's bot paths, anywhere (also after a host or a mount prefix)
    (re.compile(rf"(/v1/bot/){_NOT_REGISTER}{_SECRET}"), r"\1<token>"),
    # Telegram's /bot<token>/ and /file/bot<token>/: only as a path's first segment, after a
    # line start, a space, a quote, `=`, `(`, `,` or a host, so `/v1/bot-api/bot` stays whole
    (re.compile(rf"((?:^|[\s'\"=(,]|//[^/\s'\"]*)/(?:file/)?bot){_NOT_REGISTER}{_SECRET}",
                re.MULTILINE),
     r"\1<token>"),
    # an Authorization header's whole value: `authorization: x`, `'authorization': 'x'`,
    # `(b'authorization', b'Bearer x')`, `"Authorization": "x"`
    (re.compile(r"""(authorization['"]?\s*[:=,]\s*(?:b?['"])?)[^'"\r\n]+""", re.IGNORECASE),
     rf"\1{HIDDEN}"),
    # `Bearer x`, and the socket's subprotocol `bearer.x` (its header, the scope's list)
    (re.compile(r"\b(bearer(?:\s+|\.))[^\s'\",;]+", re.IGNORECASE), rf"\1{HIDDEN}"),
    # a query's token (`token=`, `access_token=`...), also in `query_string: b'token=x'`
    (re.compile(r"(token=)[^&\s'\"#,;)]+", re.IGNORECASE), rf"\1{HIDDEN}"),
]
# The cheap test first: a line that has none of these cannot hold a secret.
_CLUES = re.compile(r"bot|token|bearer|authorization", re.IGNORECASE)


def path(value: str) -> str:
    """A request path as it may be logged (the `path` field of an error line)."""
    return text(value)


def text(value: str) -> str:
    """Any log text with every token in it masked."""
    if not _CLUES.search(value):
        return value
    for pattern, replacement in _PATTERNS:
        value = pattern.sub(replacement, value)
    return value
