"""CORS as Botyard configures it: its two local origins may call the API from a browser
(preflight answered, origin echoed); any other origin gets no CORS headers."""
import pytest

ALLOWED = ("http://localhost", "http://127.0.0.1")


@pytest.mark.parametrize("origin", ALLOWED)
def test_a_preflight_from_an_allowed_origin_is_answered(server, admin, origin):
    answer = admin.options("/v1/client-api/chat/message", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == origin
    assert "POST" in answer.headers["access-control-allow-methods"].split(",")
    assert answer.headers["access-control-allow-headers"] == "content-type"


def test_a_preflight_from_another_origin_gets_no_cors_headers(admin):
    answer = admin.options("/v1/client-api/bots", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    assert answer.status_code == 405
    assert "access-control-allow-origin" not in answer.headers
    assert answer.json() == {"message": "Method Not Allowed"}


@pytest.mark.parametrize(("origin", "echoed"), [
    ("http://localhost", "http://localhost"), ("http://localhost:3000", None),
    ("http://evil.example", None)])
def test_answers_echo_only_an_allowed_origin(admin, origin, echoed):
    answer = admin.get("/v1/client-api/service-info", headers={"Origin": origin})
    assert answer.status_code == 200
    assert answer.headers.get("access-control-allow-origin") == echoed


def test_failures_carry_the_origin_too(admin):
    answer = admin.get("/v1/client-api/bot/unknown", headers={"Origin": "http://127.0.0.1"})
    assert answer.status_code == 404 and answer.json() == {"message": "Bot not found."}
    assert answer.headers["access-control-allow-origin"] == "http://127.0.0.1"
