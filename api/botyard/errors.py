"""Botyard's envelope: `{"message": "..."}` with Botyard's status, rendered once by the route
class of every Botyard route, which also renews a web user's cookie and answers CORS."""
from fastapi import Response
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from api.botyard.cors import allow_origin
from api.failures import STATUS, StatusError
from api.lean import LeanRoute
from api.params import ParamsError
from api.responses import JSON
from domain.errors import DomainError, Kind

COOKIE = "botyard.cookie"  # the scope key where user auth leaves the renewed cookie
_STATUS = {**STATUS, Kind.CONFLICT: 400}  # Botyard: "Bot with this name already exists." is 400


class BotyardNotice(BaseModel):
    """Every Botyard error, and its plain successes (`Bot deleted.`, ...)."""

    message: str


class BotyardError(StatusError):
    pass


def envelope(message: str, status: int = 400) -> JSON:
    return JSON({"message": message}, status_code=status)


def said(message: str) -> JSON:
    return envelope(message, 200)


class BotyardRoute(LeanRoute):
    def render(self, error: Exception) -> Response | None:
        if isinstance(error, BotyardError):
            return envelope(error.message, error.status)
        if isinstance(error, DomainError):
            return envelope(error.message, _STATUS[error.kind])
        if isinstance(error, ParamsError):
            return envelope(error.description, 400)
        return None

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> Response:
        response = await super().answer(scope, receive, send)
        cookie = scope.get(COOKIE)
        if cookie is not None:
            response.headers.append("set-cookie", cookie)
        allow_origin(scope, response)
        return response
