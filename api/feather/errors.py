"""featherChat's envelope: `{"ok": false, "description": ...}`, HTTP 200 even for logical
failures, as featherChat's handlers answer. Rendered once, by the route class of every route."""
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.params import ParamsError
from api.responses import JSON
from domain.errors import DomainError, Kind


def envelope(description: str, status: int = 200) -> JSON:
    return JSON({"ok": False, "description": description}, status_code=status)


class FeatherRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except DomainError as error:  # the server's own trouble is no logical failure
                return envelope(error.message, 503 if error.kind is Kind.UNAVAILABLE else 200)
            except ParamsError as error:
                return envelope(error.description)

        return answer
