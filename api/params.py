"""Request parameters, parsed one way for every route of a dialect.

The query string is merged with the body, whatever its encoding (JSON, urlencoded,
multipart) and whatever the verb, then validated by the method's pydantic model. Every
failure is a ParamsError with one precise sentence, which each dialect wraps in its envelope.
"""
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

M = TypeVar("M", bound=BaseModel)
_BODY = "botbus.body"
DOCUMENTED: dict[str, type[BaseModel]] = {}
INT64_MAX = 2**63 - 1
# An integer SQLite can hold: a larger one is refused here (400), never recorded to overflow
# in a read model (a fault there is a 503 from /health until the event is dealt with)
Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]


def decimal(text: str, longest: int = 18) -> int | None:
    """A path or query value of 1 to `longest` ASCII digits as an int (18: always an Int64),
    else None. `str.isdigit` also takes "²", which `int` refuses."""
    if 0 < len(text) <= longest and text.isascii() and text.isdigit():
        return int(text)
    return None


# Nesting no bot API object comes near (a reply_markup is 4 deep): deeper JSON would overflow
# the recursion of what walks it later (its encoding for the log, in a batch of others' too)
MAX_DEPTH = 32


class TooDeep(ValueError):
    pass


def loads(data: bytes | str) -> Any:
    """JSON as orjson reads it (a ValueError if malformed), nested at most MAX_DEPTH deep.
    Counting brackets first keeps the walk off every ordinary body."""
    parsed = orjson.loads(data)
    brackets = (data.count(b"{") + data.count(b"[") if isinstance(data, bytes)
                else data.count("{") + data.count("["))
    if brackets > MAX_DEPTH and _deeper(parsed, MAX_DEPTH):
        raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
    return parsed


def _deeper(value: Any, most: int) -> bool:
    """Whether objects and arrays nest more than `most` deep (level by level, no recursion)."""
    level = [value] if isinstance(value, (dict, list)) else []
    for _ in range(most):
        level = [child for item in level for child in (
            item.values() if isinstance(item, dict) else item) if isinstance(child, (dict, list))]
        if not level:
            return False
    return True


class ParamsError(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


async def values(request: Request) -> dict[str, Any]:
    merged: dict[str, Any] = dict(request.query_params) if request.scope["query_string"] else {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form()
        except HTTPException as error:  # Starlette's verdict on a multipart body it cannot read
            raise ParamsError(f"malformed form body: {error.detail}") from None
        except (ValueError, AssertionError) as error:
            raise ParamsError(f"malformed form body: {error}") from None
        merged.update(form.items())
        return merged
    body = await read_body(request)
    if not body.strip():
        return merged
    try:  # JSON, also when a client forgot the Content-Type
        parsed = loads(body)
    except ValueError as error:
        raise ParamsError(f"malformed JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise ParamsError("request body must be a JSON object")
    merged.update(parsed)
    return merged


async def read_body(request: Request) -> bytes:
    """The whole body, read straight from the ASGI messages: Starlette's `body()` streams it
    through an async generator, a sixth of a hot route's time (profiled). Kept in the scope,
    so a second read of the same request gets it again instead of waiting."""
    body = request.scope.get(_BODY)
    if body is not None:
        return body
    chunks = []
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            body = request.scope[_BODY] = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            return body


def describe(errors: Sequence[Any]) -> str:
    """The first validation error as `field: what is wrong`."""
    error = errors[0]
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
    field = ".".join(location)
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "malformed JSON: " + str(error.get("ctx", {}).get("error", "cannot parse"))
    if kind == "missing":
        return f"{field} is required" if field else "request body is required"
    if kind in ("model_attributes_type", "dict_type", "model_type") and not field:
        return "request body must be a JSON object"
    message = error.get("msg", "invalid value").removeprefix("Value error, ")
    message = message[0].lower() + message[1:] if message else message
    return f"{field}: {message}" if field else message


def describe_validation(error: ValidationError) -> str:
    return describe(error.errors(include_url=False))


async def parse(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(await values(request))
    except ValidationError as error:
        raise ParamsError(describe_validation(error)) from None


def _dependency(model: type[M]) -> Any:
    async def parsed(request: Request) -> M:
        return await parse(request, model)

    return Depends(parsed)


if TYPE_CHECKING:
    Params = Annotated[M, "parsed parameters"]
else:
    class Params:
        """`body: Params[SendMessage]`: the route's parameters, parsed by `parse()`."""

        def __class_getitem__(cls, model: type[M]) -> Any:
            return Annotated[model, _dependency(model)]


def documented(model: type[BaseModel], required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a route whose body Params() parses: the model, in each encoding."""
    DOCUMENTED[model.__name__] = model
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": required, "content": {
        media: {"schema": schema} for media in
        ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")}}}


def documented_query(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for the GET spelling of a method: the model's fields as query params."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    return {"parameters": [{"name": name, "in": "query", "required": name in required,
                            "schema": field} for name, field in schema["properties"].items()]}
