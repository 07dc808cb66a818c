"""The OpenAPI document: FastAPI's, with its generic 422 replaced by each dialect's envelope.

featherChat answers logical failures with HTTP 200, so its 200 is "Ok or Failure"."""
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api.feather.schemas import Failure
from api.params import DOCUMENTED


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            models: list[type[BaseModel]] = [Failure, *DOCUMENTED.values()]
            for model in models:
                definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(definition.pop("$defs", {}))
                components[model.__name__] = definition
            failure_ref = {"$ref": "#/components/schemas/Failure"}
            failure = {"description": "Failure: the dialect's error envelope",
                       "content": {"application/json": {"schema": failure_ref}}}
            for path in schema["paths"].values():
                for operation in path.values():
                    responses = operation["responses"]
                    responses.pop("422", None)
                    responses["default"] = failure
                    if any(tag.startswith("featherChat") for tag in operation.get("tags", ())):
                        ok = responses["200"]["content"]["application/json"]
                        ok["schema"] = {"anyOf": [ok["schema"], failure_ref]}
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
