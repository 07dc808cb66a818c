"""Files (telegram.md decision 8) with the real libraries: a user's multipart document fetched
by each library's get_file + download, byte for byte; each library's upload (PTB InputFile,
aiogram BufferedInputFile by `attach://`, telebot InputFile) and a file_id sent again, fetched
by the user from /v1/files/<file_id>; and the bad paths, which answer an envelope and record
nothing."""
import hashlib
import http.client
import json
import os
import struct
import subprocess
import sys
import zlib

import httpx
import pytest

from tests.servers import ROOT, Server, served, store_args
from tests.telegram.conftest import User, new_bot, new_user, running_bot

STARTUP = 60.0  # importing aiogram alone takes seconds


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + os.urandom(3 * width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def messages(user: User, count: int, timeout: float = 20.0) -> list[dict]:
    return [item["message"]
            for item in user.wait_for(count, timeout, accept=lambda i: "message" in i)]


def fetched(user: User, file_id: str) -> bytes:
    response = user.http.get(f"/v1/files/{file_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-content-type-options"] == "nosniff"  # never run as a page
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    return response.content


@pytest.mark.parametrize("script", ["ptb_files.py", "aiogram_files.py", "telebot_files.py"])
def test_documents_both_ways_and_a_file_id_sent_again(server, http, tmp_path, script):
    bot, user = new_bot(http), new_user(http)
    sent = os.urandom(70_000) + b"\r\n--boundary--\r\n\x00"  # multipart-looking bytes too
    (tmp_path / "upload.bin").write_bytes(upload := os.urandom(150_000))
    (tmp_path / "photo.png").write_bytes(image := png(3, 2))
    with running_bot(script, server, bot["bot_api_token"], str(tmp_path)):
        user.send_document(bot["alias"], "report.bin", sent, caption="for you")
        saved, again = messages(user, 2, STARTUP)
        name, size, file_id = saved["text"].removeprefix("saved ").split()
        assert (name, int(size)) == ("report.bin", len(sent))
        assert (tmp_path / "got-report.bin").read_bytes() == sent  # the bot's own download
        document = again["document"]
        assert document["file_id"] == file_id and document["file_name"] == "report.bin"
        assert document["file_size"] == len(sent)
        assert document["file_unique_id"] == hashlib.sha256(sent).hexdigest()[:16]
        assert fetched(user, file_id) == sent

        user.send(bot["alias"], "/upload")
        [uploaded] = messages(user, 1)
        library = script.split("_")[0]
        assert uploaded["caption"] == "upload"
        assert uploaded["document"]["file_name"] == f"{library}.bin"
        assert uploaded["document"]["file_size"] == len(upload)
        assert fetched(user, uploaded["document"]["file_id"]) == upload

        user.send(bot["alias"], "/photo")
        [photo] = messages(user, 1)
        assert photo["caption"] == "photo"
        [size] = photo["photo"]
        assert (size["width"], size["height"], size["file_size"]) == (3, 2, len(image))
        assert fetched(user, size["file_id"]) == image


def stats(data) -> dict:
    out = subprocess.run([sys.executable, "-m", "replay", "stats", *store_args(data)],
                         cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def failed(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"ok", "error_code", "description"} and body["ok"] is False, body
    assert body["error_code"] == status, body
    return body["description"]


def raw_get(server: Server, path: str) -> tuple[int, bytes]:
    """A GET of exactly this path: no client normalises its dot segments."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def stored_files(data) -> list[str]:
    return sorted(p.name for p in (data / "files").rglob("*") if p.is_file()) \
        if (data / "files").exists() else []


def test_bad_paths_answer_an_envelope_and_record_nothing(server, http):
    owner, other, user = new_bot(http), new_bot(http), new_user(http)
    stranger = new_user(http)  # neither party to the message that carries the file
    mine, theirs = owner["bot_api_token"], other["bot_api_token"]
    body = http.post(f"/bot{mine}/sendDocument", data={"chat_id": user.id},
                     files={"document": ("secret.txt", b"owner's only")}).json()
    assert body["ok"], body
    file_id = body["result"]["document"]["file_id"]
    path = http.post(f"/bot{mine}/getFile", json={"file_id": file_id}).json()["result"][
        "file_path"]
    downloaded = http.get(f"/file/bot{mine}/{path}")
    assert not path.startswith("/") and downloaded.content == b"owner's only"
    assert downloaded.headers["x-content-type-options"] == "nosniff"  # never run as a page
    assert downloaded.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert downloaded.headers["content-disposition"].startswith("attachment")
    before, files_before = stats(server.data)["events"], stored_files(server.data)

    unknown = "01J00000000000000000000000"  # a well-formed id no file has
    assert failed(http.post(f"/bot{mine}/getFile", json={"file_id": unknown}), 400) == \
        "Bad Request: invalid file_id"
    failed(http.post(f"/bot{mine}/getFile", json={"file_id": "no such file"}), 400)
    failed(http.post(f"/bot{theirs}/getFile", json={"file_id": file_id}), 400)
    failed(http.get(f"/file/bot{theirs}/{path}"), 404)  # another bot's file
    failed(http.get(f"/file/bot{mine}/documents/{unknown}"), 404)
    for traversal in (f"/file/bot{mine}/../../secrets.json", f"/file/bot{mine}/../../../../etc/"
                      "passwd", f"/file/bot{mine}/..%2F..%2Fsecrets.json",
                      f"/file/bot{mine}/%2e%2e/%2e%2e/events.db", f"/file/bot{mine}//etc/passwd",
                      f"/file/bot{theirs}/../bot{mine}/{path}",
                      f"/file/bot{mine}/documents/{file_id}/../../../secrets.json"):
        status, content = raw_get(server, traversal)
        assert status == 404, (traversal, status, content)
        assert b"root:" not in content and b"SQLite" not in content and b"hash" not in content
        assert json.loads(content)["ok"] is False, (traversal, content)
    failed(http.post(f"/bot{mine}/sendDocument", json={"chat_id": user.id,
                                                       "document": file_id + "X"}), 400)
    failed(http.post(f"/bot{theirs}/sendDocument", json={"chat_id": user.id,
                                                         "document": file_id}), 400)
    assert user.http.get(f"/v1/files/{file_id}X", headers=user.headers).json()["ok"] is False
    assert http.get(f"/v1/files/{file_id}", headers=stranger.headers).json() == {
        "ok": False, "description": "file not found"}
    assert user.http.get(f"/v1/files/{file_id}", headers=user.headers).content == b"owner's only"
    assert stats(server.data)["events"] == before
    assert stored_files(server.data) == files_before


MALFORMED = {  # each one a multipart body no parser can read
    "no boundary": ("multipart/form-data", b"--xyz\r\nContent-Disposition: form-data; "
                    b"name=\"chat_id\"\r\n\r\n1\r\n--xyz--\r\n"),
    "another boundary": ("multipart/form-data; boundary=xyz", b"--abc\r\nContent-Disposition:"
                         b" form-data; name=\"chat_id\"\r\n\r\n1\r\n--abc--\r\n"),
    "a part without a name": ("multipart/form-data; boundary=xyz",
                              b"--xyz\r\nContent-Type: text/plain\r\n\r\n1\r\n--xyz--\r\n"),
    "no parts at all": ("multipart/form-data; boundary=xyz", b"\x00\xff not multipart"),
}


def test_malformed_multipart_is_a_400_envelope_and_records_nothing(server, http):
    token = new_bot(http)["bot_api_token"]
    before = stats(server.data)["events"]
    for case, (content_type, body) in MALFORMED.items():
        description = failed(http.post(f"/bot{token}/sendDocument", content=body,
                                       headers={"Content-Type": content_type}), 400)
        assert description.startswith("Bad Request: "), (case, description)
    assert stats(server.data)["events"] == before


def test_malformed_multipart_from_a_user_is_a_featherchat_failure(server, http):
    """telegram.md decision 4: every user route answers 200 with `{ok: false, description}`."""
    user = new_user(http)
    before = stats(server.data)["events"]
    answers = {case: http.post("/v1/messages/send", content=body, headers={
        **user.headers, "Content-Type": content_type}) for case, (content_type, body)
        in MALFORMED.items()}
    assert stats(server.data)["events"] == before
    assert all(answer.json()["ok"] is False for answer in answers.values())
    assert {case: (answer.status_code, sorted(answer.json())) for case, answer
            in answers.items()} == {case: (200, ["description", "ok"]) for case in MALFORMED}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A server whose uploads are capped at 1000 bytes."""
    yield from served(tmp_path_factory, "small", BOTBUS_MAX_UPLOAD_BYTES="1000")


def test_an_upload_over_the_cap_is_413_and_leaves_nothing(small):
    with httpx.Client(base_url=small.url, timeout=15) as client:
        bot, user = new_bot(client), new_user(client)
        token = bot["bot_api_token"]
        fits = client.post(f"/bot{token}/sendDocument", data={"chat_id": user.id},
                           files={"document": ("fits.bin", os.urandom(1000))}).json()
        assert fits["ok"], fits
        before, files_before = stats(small.data)["events"], stored_files(small.data)
        for method, part in (("sendDocument", "document"), ("sendPhoto", "photo")):
            response = client.post(f"/bot{token}/{method}", data={"chat_id": user.id},
                                   files={part: ("big.bin", os.urandom(1001))})
            assert failed(response, 413) == "Request Entity Too Large", method
        refused = client.post("/v1/messages/send", data={"to": bot["alias"]}, headers=user.headers,
                              files={"document": ("big.bin", os.urandom(5000))}).json()
        assert refused["ok"] is False and "1000" in refused["description"], refused
        assert stats(small.data)["events"] == before
        assert stored_files(small.data) == files_before
        assert not list((small.data / "files").rglob("*.part"))
