"""The API reference: FastAPI's OpenAPI document, with each dialect's failure envelope in
place of FastAPI's 422, every Telegram method (served by one dispatching route) listed with
its parameter and result models, and `/docs` served with its own assets (no CDN: it works
offline, as a self-hosted server must)."""
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, TypeAdapter
from starlette.responses import HTMLResponse

from api.botyard.errors import BotyardNotice
from api.feather.schemas import Failure
from api.maxchat.errors import MaxChatFailure
from api.params import DOCUMENTED
from api.telegram.errors import TelegramFailure
from api.telegram.methods import METHODS

ASSETS = Path(fastapi_offline.__file__).parent / "static"
REF = "#/components/schemas/{model}"
TELEGRAM_REF = "#/components/schemas/Telegram{model}"  # its Message is not featherChat's
MEDIA = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def _add(components: dict[str, Any], name: str, definition: dict[str, Any],
         prefix: str = "") -> dict[str, str]:
    components.update((prefix + key, value) for key, value in definition.pop("$defs", {}).items())
    components[prefix + name] = definition
    return {"$ref": REF.format(model=prefix + name)}


def _failure(ref: dict[str, str]) -> dict[str, Any]:
    return {"description": "Failure: the dialect's error envelope",
            "content": {"application/json": {"schema": ref}}}


def telegram_paths(components: dict[str, Any]) -> dict[str, Any]:
    """`/bot{token}/<Method>` for every method of the table (any case, GET or POST)."""
    failure = _failure(_add(components, "TelegramFailure",
                            TelegramFailure.model_json_schema(ref_template=REF)))
    paths: dict[str, Any] = {}
    for found in sorted(METHODS.values(), key=lambda m: m.name):
        params = _add(components, found.params.__name__,
                      found.params.model_json_schema(ref_template=TELEGRAM_REF), "Telegram")
        result = TypeAdapter(found.result).json_schema(ref_template=TELEGRAM_REF)
        if isinstance(found.result, type) and issubclass(found.result, BaseModel):
            result = _add(components, found.result.__name__, result, "Telegram")
        else:
            components.update(("Telegram" + k, v) for k, v in result.pop("$defs", {}).items())
        ok = {"type": "object", "required": ["ok", "result"],
              "properties": {"ok": {"const": True}, "result": result,
                             "description": {"type": "string"}}}
        paths[f"/bot{{token}}/{found.name}"] = {"post": {
            "tags": ["Telegram Bot API"], "summary": found.name, "description": found.summary,
            "operationId": f"telegram_{found.name}",
            "parameters": [{"name": "token", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "requestBody": {"required": False, "content": {m: {"schema": params} for m in MEDIA}},
            "responses": {"200": {"description": "Success",
                                  "content": {"application/json": {"schema": ok}}},
                          "default": failure}}}
    return paths


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            models: list[type[BaseModel]] = [Failure, BotyardNotice, MaxChatFailure,
                                              *DOCUMENTED.values()]
            for model in models:
                _add(components, model.__name__, model.model_json_schema(ref_template=REF))
            failure_ref = {"$ref": REF.format(model="Failure")}
            envelopes = {"Botyard": {"$ref": REF.format(model="BotyardNotice")},
                         "MaxChat": {"$ref": REF.format(model="MaxChatFailure")}}
            for path in schema["paths"].values():
                for operation in path.values():
                    responses = operation["responses"]
                    responses.pop("422", None)
                    responses["default"] = _failure(next(
                        (ref for prefix, ref in envelopes.items()
                         if any(tag.startswith(prefix) for tag in operation.get("tags", ()))),
                        failure_ref))
                    ok = responses.get("200", {}).get("content", {}).get("application/json")
                    if ok and any(tag.startswith("featherChat")
                                  for tag in operation.get("tags", ())):
                        ok["schema"] = {"anyOf": [ok["schema"], failure_ref]}
            schema["paths"].update(telegram_paths(components))
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} API reference",
            swagger_js_url=f"{root}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/assets/favicon.png")
