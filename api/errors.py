"""The choice of envelope, by path prefix, for what no dialect's route handled (unknown
paths, oversized bodies, crashes). Each dialect renders its own failures in
`api/<dialect>/errors.py`."""
from collections.abc import Callable

from api.botyard import errors as botyard
from api.feather import errors as feather
from api.maxchat import errors as maxchat
from api.responses import JSON
from api.telegram import errors as telegram

Envelope = Callable[[str, int], JSON]
BOTYARD = ("/v1/admin-api/", "/v1/bot-api/", "/v1/client-api/", "/static/")


def envelope_for(path: str) -> Envelope:
    """The dialect a path belongs to; featherChat's is also the server's default."""
    if path.startswith(("/bot", "/file/bot")):
        return telegram.envelope
    if path.startswith(BOTYARD):
        return botyard.envelope
    if path.startswith(("/api/", "/gateway", "/bot-invite/", "/invite/")) or path == "/api":
        return maxchat.envelope
    return feather.envelope
