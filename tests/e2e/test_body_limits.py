"""The upload limit (BOTBUS_MAX_UPLOAD_BYTES) is for the routes that take files only: a
multipart body anywhere else, unauthenticated routes included, is held to the ordinary limit
(BOTBUS_MAX_BODY_BYTES) and refused with its 413 in the route's dialect, before any of it is
spooled to disk. Here the ordinary limit is 4 KiB and the upload limit its default, 2 GiB."""
import os
import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import register_bot, register_user
from tests.servers import Server, served

LIMIT = 4096
TOO_LARGE = f"request body is larger than {LIMIT} bytes"
ADMIN_KEY = "limits-admin-" + secrets.token_hex(8)
BIG = os.urandom(4 * LIMIT)  # over the ordinary limit, far under the upload limit


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    yield from served(tmp_path_factory, "limits", BOTBUS_MAX_BODY_BYTES=str(LIMIT),
                      ADMIN_SECRET_KEY=ADMIN_KEY)


FIELDS = {"username": "someone", "password": "a password", "name": "Bot", "nickname": "web"}
REFUSALS = [  # (path, the dialect's envelope of the ordinary limit's 413)
    ("/api/auth/login", {"error": TOO_LARGE}),
    ("/api/auth/register", {"error": TOO_LARGE}),
    ("/v1/bot/register", {"ok": False, "description": TOO_LARGE}),
    ("/v1/users/register", {"ok": False, "description": TOO_LARGE}),
    ("/v1/client-api/user", {"message": TOO_LARGE}),
]


@pytest.mark.parametrize("path, refused", REFUSALS, ids=[path for path, _ in REFUSALS])
def test_a_multipart_body_to_a_route_without_uploads_meets_the_ordinary_limit(
        http, path, refused):
    response = http.post(path, data=FIELDS, files={"file": ("big.bin", BIG)})
    assert (response.status_code, response.json()) == (413, refused)


def test_a_chunked_multipart_body_is_counted_against_the_ordinary_limit(http):
    body = b"".join([b"--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n",
                     b"x" * 4 * LIMIT, b"\r\n--b--\r\n"])
    request = http.build_request("POST", "/api/auth/login", content=iter([body[:LIMIT],
                                                                          body[LIMIT:]]),
                                 headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert "content-length" not in request.headers
    response = http.send(request)
    assert (response.status_code, response.json()) == (413, {"error": TOO_LARGE})


def test_a_path_that_only_looks_like_telegrams_meets_the_ordinary_limit(http):
    response = http.post("/bot-invite/anything", files={"file": ("big.bin", BIG)})
    assert response.status_code == 413 and TOO_LARGE in response.text, response.text


def test_a_bot_route_that_takes_no_files_meets_the_ordinary_limit(http):
    bot = register_bot(http)
    response = http.post(f"/v1/bot/{bot['token']}/sendMessage", data={"chat_id": "ab"},
                         files={"file": ("big.bin", BIG)})
    assert (response.status_code, response.json()) == (
        413, {"ok": False, "description": TOO_LARGE})


@pytest.mark.parametrize("family", ["", "test/"])
def test_telegram_uploads_over_the_ordinary_limit_are_taken(http, family):
    bot, user = register_bot(http), register_user(http)
    response = http.post(f"/bot{bot['bot_api_token']}/{family}sendDocument",
                         data={"chat_id": user["id"]}, files={"document": ("big.bin", BIG)})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["document"]["file_size"] == len(BIG)


def test_a_json_body_to_an_upload_route_meets_the_ordinary_limit(http):
    bot = register_bot(http)
    response = http.post(f"/bot{bot['bot_api_token']}/sendDocument",
                         json={"chat_id": 1, "caption": "x" * 2 * LIMIT})
    assert response.status_code == 413, response.text


def test_a_featherchat_user_upload_over_the_ordinary_limit_is_taken(http):
    bot, user = register_bot(http), register_user(http)
    response = http.post("/v1/messages/send", data={"to": bot["alias"]},
                         headers={"Authorization": f"Bearer {user['token']}"},
                         files={"document": ("big.bin", BIG)})
    assert response.status_code == 200 and response.json()["ok"] is True, response.text


def test_botyard_uploads_over_the_ordinary_limit_are_taken(http, server):
    signed = http.post("/v1/client-api/user", json={"nickname": "uploader"})
    assert signed.status_code == 201, signed.text
    made = httpx.post(server.url + "/v1/admin-api/bot", headers={"Authorization": ADMIN_KEY},
                      json={"name": f"file bot {secrets.token_hex(4)}"}, timeout=15)
    assert made.status_code == 201, made.text
    for path, headers in (("/v1/client-api/files", {}),
                          ("/v1/bot-api/files", {"Authorization": made.json()["key"]})):
        response = http.post(path, headers=headers,
                             files={"file": ("big.pdf", BIG, "application/pdf")})
        assert response.status_code == 200, (path, response.text)
        assert [part["size"] for part in response.json()] == [len(BIG)], path
