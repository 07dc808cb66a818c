"""Telegram's envelope: `{"ok": false, "error_code": N, "description": "..."}` with HTTP status
N, the reference server's strings, and `parameters.retry_after` plus `Retry-After` on 429."""
from typing import Literal

from fastapi import Response
from pydantic import BaseModel

from api.lean import LeanRoute
from api.params import ParamsError
from api.responses import JSON
from domain.errors import DomainError, Kind

REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 413: "Request Entity Too Large",
           429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class TelegramFailure(BaseModel):
    ok: Literal[False] = False
    error_code: int
    description: str
    parameters: dict[str, int] | None = None


class TelegramError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def bad_request(what: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {what}")


def envelope(description: str, status: int = 400, retry_after: int | None = None) -> JSON:
    """`description` is prefixed with the status's reason unless it starts with it."""
    reason = REASONS.get(status, "Error")
    if not description.startswith(reason):
        description = f"{reason}: {description}"
    body: dict = {"ok": False, "error_code": status, "description": description}
    if retry_after is None:
        return JSON(body, status_code=status)
    body["parameters"] = {"retry_after": retry_after}
    return JSON(body, status_code=status, headers={"Retry-After": str(retry_after)})


_MISSES = ("chat not found", "to edit not found", "to delete not found", "to be replied not found",
           "file not found", "invalid file_id", "query ID is invalid")  # what names an object
_STATUS = {Kind.INVALID: 400, Kind.NOT_FOUND: 400, Kind.CONFLICT: 409, Kind.UNAUTHORIZED: 401,
           Kind.FORBIDDEN: 403, Kind.UNAVAILABLE: 503}


class TelegramRoute(LeanRoute):
    def render(self, error: Exception) -> Response | None:
        if isinstance(error, TelegramError):
            return envelope(error.description, error.code, error.retry_after)
        if isinstance(error, DomainError):
            if error.kind is Kind.UNAUTHORIZED:
                return envelope("Unauthorized", 401)
            return envelope(error.message, _STATUS[error.kind])
        if isinstance(error, ParamsError):
            return envelope(error.description, 400)
        return None

    def missed(self, error: Exception, response: Response) -> bool:
        """Telegram refuses most misses with 400, told apart by what they say."""
        if isinstance(error, TelegramError):
            return error.code in (401, 403) or error.description.endswith(_MISSES)
        return super().missed(error, response)
