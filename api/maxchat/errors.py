"""MaxChat's envelope: `{"error": "..."}` with the status (decision 6); successes are
`{"ok": true, ...}`. Rendered once by the route class of every MaxChat route."""
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from api.failures import STATUS, StatusError
from api.lean import LeanRoute
from api.params import ParamsError
from api.responses import JSON
from domain.errors import DomainError


class MaxChatFailure(BaseModel):
    error: str


class MaxChatError(StatusError):
    pass


def envelope(message: str, status: int = 400) -> JSON:
    return JSON({"error": message}, status_code=status)


def ok(status: int = 200, **payload: Any) -> JSON:
    return JSON({"ok": True, **payload}, status_code=status)


class MaxChatRoute(LeanRoute):
    def render(self, error: Exception) -> Response | None:
        if isinstance(error, MaxChatError):
            return envelope(error.message, error.status)
        if isinstance(error, DomainError):
            return envelope(error.message, STATUS[error.kind])
        if isinstance(error, ParamsError):
            return envelope(error.description, 400)
        return None
