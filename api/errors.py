"""Error envelopes. Each dialect renders failures its own way; this module holds the shared
parts: describing a validation error in one precise sentence, and the featherChat envelope."""
from typing import Any

from pydantic import ValidationError

from api.responses import JSON


class ApiError(Exception):
    """A failure a route reports to its caller: `status` is the dialect's chosen HTTP status."""

    def __init__(self, description: str, status: int = 200) -> None:
        super().__init__(description)
        self.description, self.status = description, status


def feather(description: str, status: int = 200) -> JSON:
    """featherChat answers 200 even for logical failures, as its handlers do."""
    return JSON({"ok": False, "description": description}, status_code=status)


def describe(errors: list[dict[str, Any]]) -> str:
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
