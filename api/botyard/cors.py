"""CORS as Botyard configures it (botyard.md §1.2): pages served from `http://localhost` or
`http://127.0.0.1` may call the API from the browser; its own web client is same-origin and
needs none of it."""
from fastapi import Request, Response
from starlette.types import Scope

ORIGINS = ("http://localhost", "http://127.0.0.1")
METHODS = "GET,POST,HEAD,PUT,DELETE,PATCH"
PATHS = ("/v1/admin-api/", "/v1/bot-api/", "/v1/client-api/")


def allow_origin(scope: Scope, response: Response) -> None:
    """The allowed origin of a cross-origin call, echoed (Botyard's allow-list only)."""
    for name, value in scope["headers"]:
        if name == b"origin":
            if value.decode("latin-1") in ORIGINS:
                response.headers["access-control-allow-origin"] = value.decode("latin-1")
                response.headers["vary"] = "Origin"
            return


def preflight(request: Request) -> Response | None:
    """A browser's preflight (an OPTIONS no route takes) of a Botyard route from one of its
    origins: allowed, with the headers it asks for; None for anything else."""
    if request.method != "OPTIONS" or not request.url.path.startswith(PATHS):
        return None
    response = Response(status_code=204)
    allow_origin(request.scope, response)
    if "access-control-allow-origin" not in response.headers:
        return None
    response.headers["access-control-allow-methods"] = METHODS
    asked = request.headers.get("access-control-request-headers")
    if asked:
        response.headers["access-control-allow-headers"] = asked
    return response
