"""/openapi.json and /docs describe every route with its real request and response models."""
import re
import secrets

import orjson
from fastapi.routing import APIRoute

from api.app import create_app
from api.maxchat import objects
from api.maxchat.errors import MaxChatFailure
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


def _json_schema(response: dict) -> dict:
    return response["content"]["application/json"]["schema"]


def _ref(model: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model}"}


def test_maxchat_documents_its_answers_and_envelope(http):
    schema = http.get("/openapi.json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    register = paths["/api/auth/register"]["post"]["responses"]
    assert _json_schema(register["201"]) == _ref("MaxChatSession")
    assert _json_schema(register["default"]) == _ref("MaxChatFailure")
    assert components["MaxChatFailure"]["required"] == ["error"]
    sent = _json_schema(paths["/api/bot/messages/send"]["post"]["responses"]["200"])
    answer = components[sent["$ref"].rsplit("/", 1)[1]]
    assert answer["properties"]["message"] == _ref("MaxChatMessage")
    assert answer["properties"]["ok"]["const"] is True
    message = components["MaxChatMessage"]
    assert message["properties"]["author"] == _ref("MaxChatUser")
    assert {"type": "null"} in message["properties"]["editedAt"]["anyOf"]
    assert set(message["required"]) == {"id", "serverId", "channelId", "author", "content",
                                        "createdAt", "editedAt"}
    created = set()
    operations = [(method, path, operation) for path, item in paths.items()
                  if path.startswith("/api") for method, operation in item.items()]
    assert len(operations) >= 48  # 33 human and developer routes, 15 bot routes
    for method, path, operation in operations:
        responses = operation["responses"]
        successes = [code for code in responses if code.startswith("2")]
        assert len(successes) == 1, (method, path, responses)
        if successes == ["201"]:
            created.add(path)
        documented = _json_schema(responses[successes[0]])
        documented = documented.get("items", documented)
        model = documented["$ref"].rsplit("/", 1)[1]
        assert model.startswith("MaxChat") and model in components, (method, path)
        assert _json_schema(responses["default"]) == _ref("MaxChatFailure"), (method, path)
    servers = "/api/servers/{server_id}"
    assert created == {"/api/auth/register", "/api/servers", servers + "/channels",
                       servers + "/roles", servers + "/invites",
                       servers + "/channels/{channel_id}/messages"}  # the table's 201s


def _as_documented(paths: dict, answer, path: str, status: int = 200) -> dict:
    """The answer, checked against the model its route documents for its status: valid
    (strictly: no coercion) and nothing more or less than the model (no drift)."""
    assert answer.status_code == status, answer.text
    operation = paths[path][answer.request.method.lower()]
    name = _json_schema(operation["responses"][str(status)])["$ref"].rsplit("/", 1)[1]
    model = getattr(objects, name)
    body = answer.json()
    assert model.model_validate(body, strict=True).model_dump(mode="json") == body, name
    return body


def test_maxchat_answers_are_exactly_their_documented_models(http):
    paths = http.get("/openapi.json").json()["paths"]
    _as_documented(paths, http.get("/api", params={"bot": "1"}), "/api")
    credentials = {"username": f"doc_{secrets.token_hex(4)}", "password": "password123"}
    session = _as_documented(paths, http.post("/api/auth/register", json=credentials),
                             "/api/auth/register", 201)
    assert session["user"]["avatarUrl"] is None  # a nullable field, present as null
    human = {"Authorization": f"Bearer {session['token']}"}
    server = _as_documented(paths, http.post("/api/servers", json={"name": "Docs"},
                                             headers=human), "/api/servers", 201)["server"]
    channel = server["channels"][0]["id"]
    messages = "/api/servers/{server_id}/channels/{channel_id}/messages"
    url = f"/api/servers/{server['id']}/channels/{channel}/messages"
    sent = _as_documented(paths, http.post(url, json={"content": "hello"}, headers=human),
                          messages, 201)["message"]
    assert sent["editedAt"] is None
    edited = _as_documented(paths, http.patch(f"{url}/{sent['id']}", json={"content": "hi"},
                                              headers=human), messages + "/{message}")
    assert isinstance(edited["message"]["editedAt"], int)
    made = _as_documented(paths, http.post("/api/dev/apps", json={"name": "DocBot"},
                                           headers=human), "/api/dev/apps")
    _as_documented(paths, http.post(f"/api/dev/apps/{made['app']['id']}/install",
                                    json={"serverId": server["id"]}, headers=human),
                   "/api/dev/apps/{app_id}/install")
    bot = {"Authorization": f"Bot {made['token']}"}
    _as_documented(paths, http.post("/api/bot/messages/send", headers=bot, json={
        "serverId": server["id"], "channelId": channel, "content": "beep"}),
        "/api/bot/messages/send")
    listed = _as_documented(paths, http.get(url, headers=human), messages)["messages"]
    assert [m["content"] for m in listed] == ["beep", "hi"]  # newest first
    members = _as_documented(paths, http.get(f"/api/servers/{server['id']}/members",
                                             headers=human), "/api/servers/{server_id}/members")
    assert {m["bot"] for m in members["members"]} == {True, False}
    _as_documented(paths, http.get("/api/dev/apps", headers=human), "/api/dev/apps")
    failure = http.get("/api/users/@me")  # no token: the documented `default`
    assert failure.status_code == 401
    assert MaxChatFailure.model_validate(failure.json(), strict=True).model_dump() == \
        failure.json()
