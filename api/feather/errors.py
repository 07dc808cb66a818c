"""featherChat's envelope: `{"ok": false, "description": ...}`, HTTP 200 even for logical
failures, as featherChat's handlers answer. Rendered once, by the route class of every route."""
from fastapi import Response

from api.lean import LeanRoute
from api.params import ParamsError
from api.responses import JSON
from domain.errors import DomainError, Kind


def envelope(description: str, status: int = 200) -> JSON:
    return JSON({"ok": False, "description": description}, status_code=status)


class FeatherRoute(LeanRoute):
    def render(self, error: Exception) -> Response | None:
        if isinstance(error, DomainError):  # the server's own trouble is no logical failure
            return envelope(error.message, 503 if error.kind is Kind.UNAVAILABLE else 200)
        if isinstance(error, ParamsError):
            return envelope(error.description)
        return None
