import io
import json
import logging

import pytest

from api import logs, redact

SECRET = "123:s3cr-et_Xyz"


def test_tokens_in_paths_are_never_logged():
    assert redact.path("/v1/bot/aabb:ccdd/getUpdates") == "/v1/bot/<token>/getUpdates"
    assert redact.path("/bot123:secret/sendMessage") == "/bot<token>/sendMessage"
    assert redact.path("/file/bot123:secret/documents/a.txt") == "/file/bot<token>/documents/a.txt"


def test_paths_without_tokens_are_kept():
    for path in ("/v1/bot/register", "/v1/messages/send", "/health", "/v1/bot-api/bot",
                 "/v1/users/register"):
        assert redact.path(path) == path


@pytest.mark.parametrize("line, masked", [
    # uvicorn's socket line at info, the handshake at debug, the ASGI scope at trace
    ('127.0.0.1:5 - "WebSocket /v1/ws?token=abc-_9" [accepted]',
     '127.0.0.1:5 - "WebSocket /v1/ws?token=<redacted>" [accepted]'),
    ("< GET /v1/ws?a=1&token=abc&b=2 HTTP/1.1", "< GET /v1/ws?a=1&token=<redacted>&b=2 HTTP/1.1"),
    ("'query_string': b'token=abc', 'x': 1", "'query_string': b'token=<redacted>', 'x': 1"),
    ("https://h/x?access_token=abc#f", "https://h/x?access_token=<redacted>#f"),
    # Authorization headers, as text, as a dict and as ASGI's bytes pairs
    ("< authorization: Bearer abc", "< authorization: <redacted>"),
    ("{'Authorization': 'Basic abc'}", "{'Authorization': '<redacted>'}"),
    ("[(b'host', b'h'), (b'authorization', b'Bearer abc')]",
     "[(b'host', b'h'), (b'authorization', b'<redacted>')]"),
    ('{"authorization": "Bearer abc"}', '{"authorization": "<redacted>"}'),
    ("sent with Bearer abc.def", "sent with Bearer <redacted>"),
    # the socket's subprotocol `bearer.<token>`, in the handshake and in the ASGI scope
    ("< sec-websocket-protocol: bearer.ab:c-_1, botbus",
     "< sec-websocket-protocol: bearer.<redacted>, botbus"),
    ("'subprotocols': ['bearer.abc', 'botbus']", "'subprotocols': ['bearer.<redacted>', 'botbus']"),
    # tokens in paths, wherever the path stands in the line
    ("'path': '/v1/bot/aa:bb/getMe', 'raw_path': b'/v1/bot/aa:bb/getMe'",
     "'path': '/v1/bot/<token>/getMe', 'raw_path': b'/v1/bot/<token>/getMe'"),
    ("POST /v1/bot/aa%3Abb HTTP/1.1", "POST /v1/bot/<token> HTTP/1.1"),
    ('"GET /bot123:abc/getMe HTTP/1.1" 404', '"GET /bot<token>/getMe HTTP/1.1" 404'),
    ("https://api.telegram.org/bot123:abc/getMe", "https://api.telegram.org/bot<token>/getMe"),
    ("'path': '/file/bot123:abc/documents/a.txt'", "'path': '/file/bot<token>/documents/a.txt'"),
    ("first line\n/bot123:abc/getMe", "first line\n/bot<token>/getMe"),
])
def test_every_token_in_a_log_line_is_masked(line, masked):
    assert redact.text(line) == masked


@pytest.mark.parametrize("line", [
    "POST /v1/bot/register HTTP/1.1", "'path': '/v1/bot/register'", "GET /v1/bot-api/bot",
    "Application startup complete.", "botbus: serving http://127.0.0.1:7700/",
    "GET /v1/messages/inbox HTTP/1.1", "'query_string': b'offset=5'",
])
def test_lines_without_tokens_are_kept(line):
    assert redact.text(line) == line


@pytest.fixture
def emitted():
    """The root logger as the server configures it, writing to a buffer; restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    logs.configure("trace")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    root.handlers[:], root.level = saved[0], saved[1]


def test_the_handler_masks_messages_arguments_extra_fields_and_errors(emitted):
    log = logging.getLogger("uvicorn.asgi")
    log.log(logs.TRACE, "scope=%s", {"query_string": f"token={SECRET}".encode()})
    log.warning("oops", extra={"path": f"/v1/bot/{SECRET}/x", "token": SECRET,
                               "headers": [(b"authorization", f"Bearer {SECRET}".encode())],
                               "count": 3})
    try:
        raise KeyError(f"/bot{SECRET}/getMe")
    except KeyError:
        log.exception("failed")
    lines = emitted()
    assert SECRET.split(":")[-1] not in json.dumps(lines)
    assert lines[0]["level"] == "trace"
    assert lines[0]["message"] == "scope={'query_string': b'token=<redacted>'}"
    assert lines[1]["path"] == "/v1/bot/<token>/x" and lines[1]["token"] == "<redacted>"
    assert lines[1]["count"] == 3
    assert "/bot<token>/getMe" in lines[2]["error"]


def test_a_quiet_server_does_not_redact_what_it_does_not_log(monkeypatch, emitted):
    calls = []
    monkeypatch.setattr(redact, "text", lambda value: calls.append(value) or value)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("uvicorn.error").info("WebSocket /v1/ws?token=abc")
    assert calls == [] and emitted() == []


def test_log_levels_are_uvicorns_and_trace_is_known_before_uvicorn_starts(emitted):
    logs.configure("TRACE")
    assert logging.getLogger().level == logs.TRACE == logging.getLevelName("TRACE")
    with pytest.raises(ValueError, match="unknown log level 'loud'; use one of: critical, "):
        logs.configure("loud")
