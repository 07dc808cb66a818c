"""A request refused because something it names was not found, run again on a node that
was behind a shared log.

On PostgreSQL several nodes append to one log, and each applies the others' appends a few
milliseconds after they commit. A client answered by one node may at once name what it
made there (the message it will edit, the callback it answers, its new token) to another
node that has not applied it yet, as a bot behind a load balancer does. Refusing it as not
found would be wrong, and no retry by the client could tell a lag from a real miss. So when
a dialect refuses a request for a miss (`LeanRoute.missed`), the node follows the log at
once; if that applied anything, the request runs again, once, and its second answer stands.

Only a request that submitted no command runs again: one already recorded must not be
recorded twice (a failed command records nothing, but is not told apart here). Misses are
found before commands run (callers, chats, messages are looked up first), so this loses
nothing in practice. A socket (featherChat's `/v1/ws`, MaxChat's gateway) looks its token up
again instead (`found`). The second run reads the body and form the first kept on the
request; the file store reads an upload from its start (api/filestore.py). Alone on its log
(SQLite), a node has applied everything it answered for: a miss is a miss, and nothing here
runs.
"""
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from starlette.requests import Request

T = TypeVar("T")
_submitted: ContextVar[bool] = ContextVar("botbus_submitted", default=False)


def submitted() -> None:
    """A command of the request running in this context is on its way to the log."""
    _submitted.set(True)


async def behind(request: Request) -> bool:
    """Whether the node had not yet applied appends of other nodes, which it now has: a miss
    the request met may have been this node's lag."""
    if _submitted.get():
        return False
    runtime = getattr(request.app.state, "runtime", None)
    return runtime is not None and await runtime.writer.followed_others()


async def found(runtime: Any, look: Callable[[], T | None]) -> T | None:
    """`look()`, and again if it found nothing while the node was behind a shared log: for a
    socket's token, checked before the socket's first frame, where no request runs again."""
    result = look()
    if result is None and await runtime.writer.followed_others():
        result = look()
    return result
