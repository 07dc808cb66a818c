"""`replay verify` checks the file store against the log: a file the log names must be in the
store with the size and sha256 the log recorded (the bytes are never in the log)."""
import httpx
import pytest

from projections.files import blob_path, store_dir
from replay.cli import main
from tests.servers import Server


@pytest.fixture(autouse=True)
def sqlite_log(monkeypatch):
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)


@pytest.fixture
def stored(tmp_path):
    """A stopped server's data with one document a user sent to a bot: (data dir, file id)."""
    return tmp_path / "data", sent_document(Server(tmp_path / "data").start())


def sent_document(server: Server) -> str:
    """The file id of "notes.txt", sent by a user to a bot; the server stopped after."""
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            bot = http.post("/v1/bot/register", json={"name": "StoreBot",
                                                       "fingerprint": "ab" * 16}).json()["result"]
            user = http.post("/v1/users/register", json={"fingerprint": "cd" * 16}).json()
            sent = http.post("/v1/messages/send", data={"to": "@storebot"},
                             files={"document": ("notes.txt", b"twelve bytes")},
                             headers={"Authorization": f"Bearer {user['result']['token']}"})
            assert sent.json()["ok"], sent.text
            update = http.get(f"/bot{bot['bot_api_token']}/getUpdates").json()["result"][0]
    finally:
        server.stop()
    return update["message"]["document"]["file_id"]


def test_verify_passes_while_the_store_holds_what_the_log_names(stored, capsys):
    data, _ = stored
    assert main(["verify", "--data", str(data)]) == 0


def test_verify_reports_a_changed_file(stored, capsys):
    data, file_id = stored
    path = blob_path(store_dir(data), file_id)
    assert path is not None and path.read_bytes() == b"twelve bytes"
    path.write_bytes(b"twelve bytez")  # same size, other bytes
    assert main(["verify", "--data", str(data)]) == 1
    assert f"files: {file_id} differs from the size and sha256" in capsys.readouterr().out


def test_verify_reports_a_missing_file(stored, capsys):
    data, file_id = stored
    path = blob_path(store_dir(data), file_id)
    assert path is not None
    path.unlink()
    assert main(["verify", "--data", str(data)]) == 1
    assert f"files: {file_id} is named by the log but missing" in capsys.readouterr().out


def test_a_store_folder_of_its_own_holds_the_files_and_verify_is_told_where(tmp_path, capsys):
    """`BOTBUS_FILES` (`--files`): the folder every node of a shared log mounts."""
    data, folder = tmp_path / "data", tmp_path / "shared files"
    file_id = sent_document(Server(data, env={"BOTBUS_FILES": str(folder)}).start())
    path = blob_path(folder, file_id)
    assert path is not None and path.read_bytes() == b"twelve bytes"
    assert not (data / "files").exists()
    assert main(["verify", "--data", str(data), "--files", str(folder)]) == 0
    assert main(["verify", "--data", str(data)]) == 1
    assert f"files: {file_id} is named by the log but missing" in capsys.readouterr().out
