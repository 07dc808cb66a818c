"""/openapi.json and /docs describe every route with its real request and response models."""
import re

import orjson
from fastapi.routing import APIRoute

from api.app import create_app
from api.telegram.methods import METHODS


def test_every_documented_route_is_in_the_schema_with_resolvable_models(http):
    schema = http.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    routes = [r for r in create_app().routes if isinstance(r, APIRoute) and r.include_in_schema]
    for route in routes:
        for method in route.methods:
            operation = schema["paths"][route.path_format][method.lower()]
            for response in operation["responses"].values():
                json_content = response.get("content", {}).get("application/json")
                if json_content is None:  # a file download
                    continue
                schema_ = json_content["schema"]
                choices = [schema_, *schema_.get("anyOf", ())]
                for ref in (choice.get("$ref") for choice in choices):
                    if ref:
                        assert ref.rsplit("/", 1)[1] in components, (route.path, ref)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                body = media["schema"]  # a model, an array of one, or a multipart upload
                body = body.get("items", body)
                assert "$ref" in body or body["properties"]["file"], route.path
                if "$ref" in body:
                    assert body["$ref"].rsplit("/", 1)[1] in components, route.path
    every_ref = re.findall(rb'"#/components/schemas/([A-Za-z0-9_]+)"', orjson.dumps(schema))
    assert {ref.decode() for ref in every_ref} <= set(components)


def test_every_telegram_method_is_documented_with_its_models(http):
    paths = http.get("/openapi.json").json()["paths"]
    for found in METHODS.values():
        operation = paths[f"/bot{{token}}/{found.name}"]["post"]
        body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert body["$ref"] == f"#/components/schemas/Telegram{found.params.__name__}"
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["properties"]["result"], found.name
        assert operation["responses"]["default"]["content"]["application/json"]["schema"][
            "$ref"] == "#/components/schemas/TelegramFailure"
    message = paths["/bot{token}/sendMessage"]["post"]["responses"]["200"]
    result = message["content"]["application/json"]["schema"]["properties"]["result"]
    assert result == {"$ref": "#/components/schemas/TelegramMessage"}


def test_bodies_are_documented_for_every_route_that_takes_one(http):
    paths = http.get("/openapi.json").json()["paths"]
    expected = {"/v1/bot/register": "RegisterBot", "/v1/bot/{token}/getUpdates": "GetUpdates",
                "/v1/bot/{token}/sendMessage": "SendMessage", "/v1/users/register": "RegisterUser",
                "/v1/messages/send": "SendUserMessage"}
    for path, model in expected.items():
        content = paths[path]["post"]["requestBody"]["content"]
        assert content["application/json"]["schema"]["$ref"].endswith("/" + model)
    assert "422" not in str(paths)  # failures are the dialect's envelope, not FastAPI's


def test_docs_page_is_served_with_its_own_assets(http):
    page = http.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(asset.startswith("/docs/assets/") for asset in assets), assets
    for asset in assets:  # nothing from a CDN: the page works offline
        served = http.get(asset)
        assert served.status_code == 200 and len(served.content) > 100, asset


def test_featherchat_documents_its_failures_under_200_as_it_answers_them(http):
    paths = http.get("/openapi.json").json()["paths"]
    ok = paths["/v1/bot/{token}/sendMessage"]["post"]["responses"]["200"]
    refs = [s["$ref"] for s in ok["content"]["application/json"]["schema"]["anyOf"]]
    assert refs == ["#/components/schemas/Ok_SentMessage_", "#/components/schemas/Failure"]
    failure = http.post("/v1/bot/not-a-token/sendMessage", json={})
    assert failure.status_code == 200 and failure.json()["ok"] is False


def test_botyard_documents_its_routes_models_and_envelope(http):
    paths = http.get("/openapi.json").json()["paths"]
    created = paths["/v1/admin-api/bot"]["post"]
    assert created["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BotyardCreatedBot"}
    assert created["responses"]["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BotyardNotice"}
    commands = paths["/v1/bot-api/bot/commands"]["post"]["requestBody"]["content"]
    assert commands["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/BotyardCommandIn"}
    page = paths["/v1/client-api/chat/{chat_id}/messages"]["get"]
    assert {p["name"] for p in page["parameters"]} >= {"page", "limit", "sender_id", "since"}
    for path in ("/v1/client-api/service-info", "/v1/bot-api/chat/message", "/v1/client-api/files",
                 "/v1/admin-api/bot/{bot_id}/key", "/v1/bot-api/bot/webhook"):
        assert path in paths, path
