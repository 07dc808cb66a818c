"""Files across nodes: with one store folder every node mounts (`BOTBUS_FILES`), a document a
user sent through one node is downloaded by its bot through the other, byte for byte."""
import os

import pytest

from tests.scaleout.conftest import client, start_pair
from tests.telegram.conftest import new_bot, new_user

pytestmark = pytest.mark.slow


def test_a_document_sent_through_one_node_is_downloaded_through_the_other(tmp_path, postgres):
    folder = tmp_path / "shared files"
    pair = start_pair(tmp_path, postgres, BOTBUS_FILES=str(folder))
    data = os.urandom(300_000)
    try:
        with client(pair.a) as on_a, client(pair.b) as on_b:
            bot, user = new_bot(on_a), new_user(on_a)
            token = bot["bot_api_token"]
            user.send_document(bot["fingerprint"], "report.bin", data)
            update, = on_a.get(f"/bot{token}/getUpdates").json()["result"]
            document = update["message"]["document"]
            found = on_b.post(f"/bot{token}/getFile", json={"file_id": document["file_id"]})
            assert found.status_code == 200, found.text
            path = found.json()["result"]["file_path"]
            assert on_b.get(f"/file/bot{token}/{path}").content == data
    finally:
        for server in (pair.b, pair.a):
            assert server.stop() == 0, server.log_text()[-3000:]
