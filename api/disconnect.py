"""Has the client of a request gone away? Asked without waiting and without a cancel scope.

Starlette's `Request.is_disconnected()` enters and cancels an anyio scope on every call: on
the long-poll path it cost as much as the rest of the route (profiled). The ASGI server's
`receive()` returns `http.disconnect` at once when the client has left, and otherwise waits:
so the coroutine is stepped once by hand and closed if it would wait. Only called once the
body has been read, so no request data can be taken from the route.
"""
from collections.abc import Coroutine
from typing import Any, cast

from starlette.requests import Request
from starlette.types import Message


def gone(request: Request) -> bool:
    receiving = cast(Coroutine[Any, Any, Message], request.receive())
    try:
        message = receiving.send(None)
    except StopIteration as done:  # answered without waiting: a disconnect, or a stray chunk
        return done.value.get("type") == "http.disconnect"
    else:
        del message  # it would wait (a future): nothing has happened to the connection
        receiving.close()
        return False
