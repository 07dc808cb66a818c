"""MaxChat's envelope: `{"error": "..."}` with the status (decision 6); successes are
`{"ok": true, ...}`. Rendered once by the route class of every MaxChat route."""
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from api.lean import LeanRoute
from api.params import ParamsError
from api.responses import JSON
from domain.errors import DomainError, Kind

_STATUS = {Kind.INVALID: 400, Kind.NOT_FOUND: 404, Kind.CONFLICT: 409, Kind.UNAUTHORIZED: 401,
           Kind.FORBIDDEN: 403, Kind.UNAVAILABLE: 503}


class MaxChatFailure(BaseModel):
    error: str


class MaxChatError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def envelope(message: str, status: int = 400) -> JSON:
    return JSON({"error": message}, status_code=status)


def ok(status: int = 200, **payload: Any) -> JSON:
    return JSON({"ok": True, **payload}, status_code=status)


class MaxChatRoute(LeanRoute):
    def render(self, error: Exception) -> Response | None:
        if isinstance(error, MaxChatError):
            return envelope(error.message, error.status)
        if isinstance(error, DomainError):
            return envelope(error.message, _STATUS[error.kind])
        if isinstance(error, ParamsError):
            return envelope(error.description, 400)
        return None
