"""The lean route class: FastAPI's signatures, compiled once into plain calls."""
import asyncio
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.routing import APIRoute

from api.app import create_app
from api.lean import LeanRoute, LeanRouter
from api.settings import Settings


def is_lean(route) -> bool:
    return "_lean_app" in getattr(route.app, "__qualname__", "")


def test_every_featherchat_route_takes_the_lean_path(tmp_path):
    app = create_app(Settings(data=tmp_path))
    routes = [r for r in app.router.routes
              if isinstance(r, APIRoute) and r.path.startswith("/v1/")]
    assert routes and all(is_lean(r) for r in routes), [r.path for r in routes if not is_lean(r)]


calls: list[str] = []


async def shared(request: Request) -> str:
    calls.append("shared")
    return request.url.path


async def who(name: str, shared_value: Annotated[str, Depends(shared)],
              x_caller: Annotated[str | None, Header()] = None) -> str:
    return f"{name}/{x_caller}/{shared_value}"


def build() -> FastAPI:
    app = FastAPI()
    router = APIRouter(route_class=LeanRoute)

    @router.get("/hello/{name}")
    async def hello(name: str, whom: Annotated[str, Depends(who)],
                    again: Annotated[str, Depends(shared)]) -> dict:
        return {"name": name, "whom": whom, "again": again}

    @router.get("/query")
    async def query(limit: int = 5) -> dict:  # needs FastAPI's validation: not compiled
        return {"limit": limit}

    app.router.routes.extend(router.routes)
    return app


@pytest.fixture
def client():
    calls.clear()
    transport = httpx.ASGITransport(app=build())
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def fetch(client, path: str, **kwargs) -> httpx.Response:
    async with client:
        return await client.get(path, **kwargs)


def test_path_params_headers_and_shared_dependencies_are_resolved_once(client):
    response = asyncio.run(fetch(client, "/hello/ann", headers={"X-Caller": "bob"}))
    assert response.json() == {"name": "ann", "whom": "ann/bob//hello/ann", "again": "/hello/ann"}
    assert calls == ["shared"]  # one call per request, shared by both users of it


def test_an_absent_optional_header_takes_its_default(client):
    assert asyncio.run(fetch(client, "/hello/ann")).json()["whom"] == "ann/None//hello/ann"


def test_a_route_needing_validation_keeps_fastapi_handler(client):
    app = build()
    query = next(r for r in app.router.routes if getattr(r, "path", "") == "/query")
    assert not is_lean(query)
    assert asyncio.run(fetch(client, "/query?limit=7")).json() == {"limit": 7}


# LeanRouter

def routed(router_routes, method: str, path: str) -> tuple[str, dict]:
    """Which app a request reaches through LeanRouter: a route's endpoint name or 'rest'."""
    reached: list = []

    async def rest(scope, receive, send):
        reached.append(("rest", {}))

    async def main():
        router = LeanRouter(router_routes, rest)
        scope = {"type": "http", "method": method, "path": path, "headers": []}
        for route in router_routes:  # record instead of answering
            async def app(scope, receive, send, name=route.name):
                reached.append((name, scope["path_params"]))
            route.app = app
        await router(scope, None, None)

    asyncio.run(main())
    return reached[0]


def lean_routes():
    router = APIRouter(route_class=LeanRoute)

    @router.post("/v1/bot/register")
    async def register() -> dict:
        return {}

    @router.get("/v1/bot/{token}/getMe")
    async def get_me(token: str) -> dict:
        return {}

    @router.get("/v1/bot/{token}/{method}")
    async def any_method(token: str, method: str) -> dict:
        return {}

    return router.routes


def test_a_static_segment_wins_over_a_later_parameter_as_in_the_router():
    routes = lean_routes()
    assert routed(routes, "GET", "/v1/bot/t0k/getMe") == ("get_me", {"token": "t0k"})
    assert routed(routes, "GET", "/v1/bot/t0k/other") == (
        "any_method", {"token": "t0k", "method": "other"})
    assert routed(routes, "POST", "/v1/bot/register") == ("register", {})


def test_misses_and_wrong_methods_go_to_the_router():
    routes = lean_routes()
    assert routed(routes, "POST", "/v1/bot/t0k/getMe")[0] == "rest"  # its 405 is the router's
    assert routed(routes, "GET", "/v1/bot//getMe")[0] == "rest"  # an empty parameter
    assert routed(routes, "GET", "/nowhere")[0] == "rest"


def test_a_route_of_another_kind_first_keeps_its_place():
    plain = APIRouter()

    @plain.get("/v1/bot/{token}/getMe")
    async def shadow(token: str) -> dict:
        return {}

    routes = [*plain.routes, *lean_routes()]
    assert routed(routes, "GET", "/v1/bot/t0k/getMe")[0] == "rest"


# FastLane: lean routes without the middleware stack, with the same error handling

def laned() -> FastAPI:
    from fastapi import HTTPException

    from api.bodylimit import BodyLimit, BodyTooLarge
    from api.lean import Lean
    from api.responses import JSON

    app = Lean()
    router = APIRouter(route_class=LeanRoute)

    @router.post("/echo/{word}")
    async def echo(word: str, request: Request) -> dict:
        await request.body()  # a body past the limit stops here
        if word == "crash":
            raise RuntimeError("boom")
        if word == "missing":
            raise HTTPException(404, "no such word")
        return {"word": word}

    app.router.routes.extend(router.routes)

    @app.exception_handler(HTTPException)
    async def http_error(request, error):
        return JSON({"handled": error.detail}, status_code=error.status_code)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request, error):
        return JSON({"limit": str(error)}, status_code=413)

    @app.exception_handler(Exception)
    async def crashed(request, error):
        return JSON({"crashed": str(error)}, status_code=500)

    app.add_middleware(BodyLimit, max_bytes=10,
                       envelope=lambda scope: lambda text, status: JSON({"limit": text}, status))
    return app


def post(path: str, **kwargs) -> httpx.Response:
    async def main():
        transport = httpx.ASGITransport(app=laned(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.post(path, **kwargs)

    return asyncio.run(main())


def test_the_lane_answers_its_routes_and_their_errors_as_the_stack_would():
    assert post("/echo/hi", content=b"{}").json() == {"word": "hi"}
    missing = post("/echo/missing", content=b"{}")
    assert (missing.status_code, missing.json()) == (404, {"handled": "no such word"})
    crash = post("/echo/crash", content=b"{}")
    assert (crash.status_code, crash.json()) == (500, {"crashed": "boom"})


def test_bodies_the_lane_cannot_vouch_for_meet_the_body_limit():
    declared = post("/echo/hi", content=b"x" * 11)
    assert (declared.status_code, declared.json()["limit"]) == (
        413, "request body is larger than 10 bytes")

    async def chunks():
        yield b"x" * 6
        yield b"x" * 6

    chunked = post("/echo/hi", content=chunks())  # no length: counted as it streams in
    assert chunked.status_code == 413
