"""Botyard uploads and downloads (botyard.md §1.8, decisions 11-13): multipart `file` parts to
`/v1/client-api/files` (cookie) and `/v1/bot-api/files` (bot key), sorted by their Content-Type
into images, videos, audios and files, held to the config's limits (tiny here, so the edges are
cheap), served back at `/<path>` byte for byte, never a byte from outside the files folder;
attached to messages as full file objects; limits read again on `PUT /v1/admin-api/config`."""
import http.client
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.botyard.conftest import ADMIN_KEY, start_server
from tests.servers import Server

ULID = "[0-9a-hjkmnp-tv-z]{26}"  # Crockford base32, lower case
LIMITS = {"maxImageSize": 1000, "maxAudioSize": 2000, "maxVideoSize": 3000,
          "maxFileSize": 4000}
TINY = {"service": {"name": "Tiny", "description": "small limits", "socials": []},
        "limits": {"message": {"maxAttachedFiles": 3}, "file": LIMITS}}
KINDS = [  # (part Content-Type, category, extension, limit)
    ("image/png", "images", ".png", 1000),
    ("video/mp4", "videos", ".mp4", 3000),
    ("audio/mpeg", "audios", ".mp3", 2000),
    ("application/pdf", "files", ".pdf", 4000),
    ("application/x-botbus-odd", "files", "", 4000),  # no known extension: none (decision 11)
]


def config_path(data: Path) -> Path:
    """Where conftest's start_server writes the config file."""
    return data.parent / f"{data.name}.botyard.config.json"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tiny") / "data", TINY)
    yield running
    running.stop()


class Clients:
    """A signed-in web user and a bot on one server."""

    def __init__(self, url: str) -> None:
        self.user = httpx.Client(base_url=url, timeout=15)
        signed = self.user.post("/v1/client-api/user", json={"nickname": "uploader"})
        assert signed.status_code == 201, signed.text
        self.user_id = signed.json()["id"]
        made = httpx.post(url + "/v1/admin-api/bot", headers={"Authorization": ADMIN_KEY},
                          json={"name": f"file bot {secrets.token_hex(4)}"}, timeout=15)
        assert made.status_code == 201, made.text
        self.bot_id = made.json()["bot"]["id"]
        self.bot = httpx.Client(base_url=url, timeout=15,
                                headers={"Authorization": made.json()["key"]})

    def close(self) -> None:
        self.user.close()
        self.bot.close()


@pytest.fixture
def clients(tiny) -> Iterator[Clients]:
    made = Clients(tiny.url)
    yield made
    made.close()


def upload(client: httpx.Client, *parts: tuple[str, bytes, str], side: str = "client"
           ) -> httpx.Response:
    return client.post(f"/v1/{side}-api/files",
                       files=[("file", part) for part in parts])


def payload(size: int) -> bytes:
    return (secrets.token_bytes(16) * (size // 16 + 1))[:size]


@pytest.mark.parametrize("side", ["client", "bot"])
@pytest.mark.parametrize(("mime", "category", "ext", "limit"), KINDS)
def test_an_upload_is_sorted_stored_and_served_back(tiny, clients, side, mime, category, ext,
                                                   limit):
    content = payload(limit)  # exactly at the limit: accepted
    client = clients.user if side == "client" else clients.bot
    answer = upload(client, ("clip.bin", content, mime), side=side)
    assert answer.status_code == 200, answer.text
    [shown] = answer.json()
    assert set(shown) == {"id", "path", "name", "size", "mimeType"}
    assert re.fullmatch(ULID, shown["id"])
    assert re.fullmatch(f"static/{category}/{ULID}{re.escape(ext)}", shown["path"]), shown
    assert (shown["name"], shown["size"], shown["mimeType"]) == ("clip.bin", limit, mime)
    served = httpx.get(f"{tiny.url}/{shown['path']}")  # anyone may download, as in Botyard
    assert served.status_code == 200
    assert served.content == content
    assert served.headers["content-type"].split(";")[0] == mime


SANDBOX = {"x-content-type-options": "nosniff",
           "content-security-policy": "default-src 'none'; sandbox"}
SCRIPT = b"<script>fetch('/v1/client-api/chat').then(r => r.text()).then(alert)</script>"
PAGES = [  # (name, part Content-Type, bytes, Content-Disposition served)
    ("evil.html", "text/html", b"<!doctype html>" + SCRIPT, 'attachment; filename="evil.html"'),
    ("evil.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT
     + b"</svg>", 'attachment; filename="evil.svg"'),
    ("evil.xhtml", "application/xhtml+xml", b'<html xmlns="http://www.w3.org/1999/xhtml">'
     + SCRIPT + b"</html>", 'attachment; filename="evil.xhtml"'),
    ("café; menu.html", "text/html", SCRIPT,  # RFC 5987, as quoting would change it
     "attachment; filename*=utf-8''caf%C3%A9%3B%20menu.html"),
    ("report.pdf", "application/pdf", b"%PDF-1.4", 'attachment; filename="report.pdf"'),
    ("odd", "audio/x-odd+xml", SCRIPT, 'attachment; filename="odd"'),  # +xml opens as a page
]


@pytest.mark.parametrize(("name", "mime", "content", "disposition"), PAGES,
                         ids=[name for name, *_ in PAGES])
def test_an_uploaded_page_is_served_as_a_sandboxed_attachment(tiny, clients, name, mime, content,
                                                              disposition):
    """Served inline on the server's own origin, a page's script would read the viewer's chats
    with their cookie: anything but raster images, audio and video is a download, never sniffed,
    and opened anyway it runs in a sandbox with no script."""
    answer = upload(clients.user, (name, content, mime))
    assert answer.status_code == 200, answer.text
    [shown] = answer.json()
    assert (shown["name"], shown["mimeType"]) == (name, mime)
    served = httpx.get(f"{tiny.url}/{shown['path']}")
    assert (served.status_code, served.content) == (200, content)
    assert served.headers["content-type"].split(";")[0] == mime
    assert served.headers["content-disposition"] == disposition
    assert {key: served.headers.get(key) for key in SANDBOX} == SANDBOX


@pytest.mark.parametrize(("name", "mime"), [("a.png", "image/png"), ("a.jpg", "image/jpeg"),
                                            ("a.gif", "image/gif"), ("a.webp", "image/webp"),
                                            ("a.mp4", "video/mp4"), ("a.mp3", "audio/mpeg")])
def test_media_is_served_inline_and_sandboxed(tiny, clients, name, mime):
    """`<img src>` and `<video src>` embed it (decision 13); a sandbox binds only a document."""
    [shown] = upload(clients.user, (name, b"media bytes", mime)).json()
    served = httpx.get(f"{tiny.url}/{shown['path']}")
    assert (served.status_code, served.content) == (200, b"media bytes")
    assert served.headers["content-type"] == mime
    assert "content-disposition" not in served.headers
    assert {key: served.headers.get(key) for key in SANDBOX} == SANDBOX


@pytest.mark.parametrize(("mime", "category", "ext", "limit"), KINDS)
def test_one_byte_over_a_categorys_limit_is_refused(clients, mime, category, ext, limit):
    answer = upload(clients.user, ("big.bin", payload(limit + 1), mime))
    assert answer.status_code == 400
    assert answer.json() == {
        "message": f"Max allowed size for {category} are {limit} bytes, but got {limit + 1}."}


def test_one_oversized_part_refuses_the_whole_upload(clients):
    answer = upload(clients.bot, ("ok.pdf", b"%PDF fine", "application/pdf"),
                    ("big.png", payload(1001), "image/png"), side="bot")
    assert answer.status_code == 400
    assert answer.json() == {"message": "Max allowed size for images are 1000 bytes, but got 1001."}


def test_several_files_in_one_upload_keep_their_order(clients):
    parts = [("a.png", b"png bytes", "image/png"), ("b.mp3", b"mp3 bytes", "audio/mpeg"),
             ("c.pdf", b"%PDF-1.4", "application/pdf")]  # maxAttachedFiles: 3 is allowed
    answer = upload(clients.user, *parts)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert [(f["name"], f["size"], f["mimeType"]) for f in shown] == [
        (name, len(content), mime) for name, content, mime in parts]
    assert len({f["id"] for f in shown}) == 3
    for file, (_, content, _) in zip(shown, parts, strict=True):
        assert clients.user.get("/" + file["path"]).content == content


def test_the_mime_type_is_shown_bare(clients):
    """Decision 13: the web client renders by `mimeType`, so parameters and case go."""
    answer = upload(clients.user, ("p.png", b"png", "image/png; name=p.png"))
    assert answer.status_code == 200, answer.text
    [shown] = answer.json()
    assert shown["mimeType"] == "image/png"
    assert shown["path"].startswith("static/images/") and shown["path"].endswith(".png")


def test_too_many_files_are_refused(clients):
    answer = upload(clients.user, *[(f"{n}.png", b"x", "image/png") for n in range(4)])
    assert answer.status_code == 400
    assert answer.json() == {"message": "Too many files, max allowed amount is 3."}


@pytest.mark.parametrize("side", ["client", "bot"])
def test_a_multipart_body_without_file_parts_is_refused(clients, side):
    client = clients.user if side == "client" else clients.bot
    answer = client.post(f"/v1/{side}-api/files", data={"note": "hi"},
                         files=[("attachment", ("a.png", b"x", "image/png"))])
    assert answer.status_code == 400
    assert answer.json() == {"message": "No files found to upload."}


@pytest.mark.parametrize("body", [
    {"json": {"file": "a.png"}},
    {"content": b"file=a.png", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    {"content": b"", "headers": {"Content-Type": "text/plain"}},
])
def test_a_body_that_is_not_multipart_is_a_400(clients, body):
    answer = clients.user.post("/v1/client-api/files", **body)
    assert answer.status_code == 400
    assert isinstance(answer.json()["message"], str) and answer.json()["message"]


@pytest.mark.parametrize(("side", "headers", "status", "message"), [
    ("client", {}, 401, "User is unauthorized."),
    ("client", {"Cookie": "token=not.a.jwt"}, 401, "User is unauthorized."),
    ("bot", {}, 403, "Bot key is required."),
    ("bot", {"Authorization": "no-colon"}, 403, "Invalid bot key."),
    ("bot", {"Authorization": "01hc76p6ma76qfrs0bfr5x2pry:AAAAAAAAAAAAAAAAAAAAAAAAAA"}, 403,
     "Invalid bot key."),
])
def test_an_upload_without_its_credentials_is_refused(tiny, side, headers, status, message):
    answer = httpx.post(f"{tiny.url}/v1/{side}-api/files", headers=headers,
                        files=[("file", ("a.png", b"x", "image/png"))])
    assert answer.status_code == status
    assert answer.json() == {"message": message}


def test_a_wrong_token_for_a_real_bot_is_refused(clients, tiny):
    bot_id = clients.bot_id
    answer = httpx.post(f"{tiny.url}/v1/bot-api/files",
                        headers={"Authorization": f"{bot_id}:{'A' * 26}"},
                        files=[("file", ("a.png", b"x", "image/png"))])
    assert (answer.status_code, answer.json()) == (403, {"message": "Invalid bot key."})


def raw_get(server: Server, path: str) -> tuple[int, str, bytes]:
    """GET with the path sent byte for byte: httpx removes `..` segments itself, even from a
    raw path, so a literal `/static/../events.db` would never reach the server."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


TRAVERSALS = [
    "/static/../events.db",
    "/static/..%2fevents.db",
    "/static/%2e%2e/events.db",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/images/../../events.db",
    "/static/images/..%2f..%2fsecrets.json",
    "/static/images/..%252f..%252fsecrets.json",
    "/static/images/%2e%2e%5c%2e%2e%5csecrets.json",
    "/static/images/%2e%2e%5csecrets.json",
    "/static/images/..\\..\\secrets.json",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/images/%00.png",
]


def test_httpx_would_normalise_dot_segments_so_the_raw_client_is_needed():
    assert httpx.URL("http://h/static/../events.db").raw_path == b"/events.db"


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_escapes_the_files_folder(tiny, clients, path):
    """Decision 11: every encoding of `..`, a backslash or an absolute path is a 404 with
    Botyard's envelope, and never the bytes of a file outside the files folder."""
    upload(clients.user, ("real.png", b"a real image", "image/png"))  # the folder is not empty
    status, content_type, body = raw_get(tiny, path)
    assert status == 404, (path, body[:200])
    assert content_type.startswith("application/json")
    assert isinstance(json.loads(body)["message"], str)
    assert b"SQLite format 3" not in body and b"root:" not in body
    assert ADMIN_KEY.encode() not in body
    secrets_file = tiny.data / "secrets.json"
    if secrets_file.exists():
        assert secrets_file.read_bytes() not in body


@pytest.mark.parametrize("path", ["/static/images/01hc76p6ma76qfrs0bfr5x2pry.png",
                                  "/static/", "/static/images/"])
def test_an_unknown_static_path_is_a_404(tiny, path):
    answer = httpx.get(tiny.url + path)
    assert answer.status_code == 404
    assert isinstance(answer.json()["message"], str)


def test_attachments_are_shown_as_file_objects_in_the_answer_and_in_pages(clients):
    uploaded = upload(clients.user, ("a.png", b"png", "image/png"),
                      ("b.pdf", b"%PDF", "application/pdf"))
    assert uploaded.status_code == 200, uploaded.text
    files = uploaded.json()
    chat = clients.user.post("/v1/client-api/chat", json={"botId": clients.bot_id})
    assert chat.status_code == 201, chat.text
    chat_id = chat.json()["id"]
    sent = clients.user.post("/v1/client-api/chat/message", json={
        "chatId": chat_id, "body": "two files", "attachmentIds": [f["id"] for f in files]})
    assert sent.status_code == 201, sent.text
    assert sent.json()["attachments"] == files
    for client, side in ((clients.user, "client"), (clients.bot, "bot")):
        page = client.get(f"/v1/{side}-api/chat/{chat_id}/messages")
        assert page.status_code == 200, page.text
        [item] = page.json()["messages"]
        assert item["id"] == sent.json()["id"] and item["attachments"] == files
    raw = clients.bot.get(f"/v1/bot-api/chat/message/{sent.json()['id']}")
    assert raw.json()["attachmentIds"] == [f["id"] for f in files]  # ids, not objects
    bot_file = upload(clients.bot, ("reply.png", b"bot png", "image/png"), side="bot").json()
    reply = clients.bot.post("/v1/bot-api/chat/message", json={
        "chatId": chat_id, "body": "", "attachmentIds": [bot_file[0]["id"]]})
    assert reply.status_code == 201, reply.text
    assert reply.json()["attachments"] == bot_file
    page = clients.user.get(f"/v1/client-api/chat/{chat_id}/messages",
                            params={"sender_id": clients.bot_id})
    assert [m["attachments"] for m in page.json()["messages"]] == [bot_file]


def test_a_message_with_no_attachments_has_no_attachments_key(clients):
    chat_id = clients.user.post("/v1/client-api/chat", json={"botId": clients.bot_id}).json()["id"]
    sent = clients.user.post("/v1/client-api/chat/message",
                             json={"chatId": chat_id, "body": "plain", "attachmentIds": []})
    assert sent.status_code == 201, sent.text
    assert "attachments" not in sent.json()


def write_config(path: Path, image: int, files: int, name: str) -> None:
    path.write_text(json.dumps({
        "service": {"name": name, "description": "", "socials": []},
        "limits": {"message": {"maxAttachedFiles": files},
                   "file": {**LIMITS, "maxImageSize": image}}}))


def test_reloading_the_config_applies_new_limits_and_a_broken_file_keeps_the_old(tmp_path):
    data = tmp_path / "data"
    server = start_server(data, TINY)
    path, admin = config_path(data), {"Authorization": ADMIN_KEY}
    try:
        clients = Clients(server.url)

        def image(size: int) -> httpx.Response:
            return upload(clients.user, ("i.png", payload(size), "image/png"))

        def reload() -> httpx.Response:
            return httpx.put(server.url + "/v1/admin-api/config", headers=admin, timeout=15)

        def service_name() -> str:
            return httpx.get(server.url + "/v1/client-api/service-info").json()["name"]

        assert image(1000).status_code == 200 and image(1001).status_code == 400
        three = [(f"{n}.png", b"x", "image/png") for n in range(3)]
        assert upload(clients.user, *three).status_code == 200
        write_config(path, image=1500, files=2, name="Tiny two")
        assert image(1001).status_code == 400  # nothing changes before the reload
        answer = reload()
        assert (answer.status_code, answer.json()) == (200, {"message": "Config reloaded."})
        assert image(1500).status_code == 200
        over = image(1501)
        assert (over.status_code, over.json()) == (
            400, {"message": "Max allowed size for images are 1500 bytes, but got 1501."})
        too_many = upload(clients.user, *three)
        assert (too_many.status_code, too_many.json()) == (
            400, {"message": "Too many files, max allowed amount is 2."})
        assert service_name() == "Tiny two"

        path.write_text('{"service": {"name": "Broken"}, "limits": ')
        broken = reload()
        assert broken.status_code == 500
        assert path.name in broken.json()["message"]
        assert image(1500).status_code == 200 and image(1501).status_code == 400
        assert upload(clients.user, *three).status_code == 400
        assert service_name() == "Tiny two"

        path.unlink()  # decision 12: a missing file means Botyard's defaults
        assert reload().status_code == 200
        assert image(1501).status_code == 200
        assert upload(clients.user, *three).status_code == 200
        assert service_name() == "Botbus"
        clients.close()
    finally:
        server.stop()


def test_reloading_the_config_needs_the_admin_key(tiny):
    missing = httpx.put(tiny.url + "/v1/admin-api/config")
    assert (missing.status_code, missing.json()) == (403, {"message": "Admin key is required."})
    wrong = httpx.put(tiny.url + "/v1/admin-api/config", headers={"Authorization": "nope"})
    assert (wrong.status_code, wrong.json()) == (403, {"message": "Access denied."})
