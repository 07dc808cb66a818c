"""The server secrets on one node and on nodes of a shared log (`shared`: a store that keeps
the first set it is given), an older data directory's file included."""
import json

from api.secrets import FILE, load_or_create
from domain.tokens import hash_token


class Store:
    """What the shared log keeps (projections/nodes.Leases.shared_secrets), in memory."""

    def __init__(self) -> None:
        self.kept: dict | None = None

    def __call__(self, proposed: dict) -> dict:
        first = self.kept is None
        if first:
            self.kept = {k: v for k, v in proposed.items() if k != "new_admin_key"}
        assert self.kept is not None
        return {**self.kept, **({"new_admin_key": proposed["new_admin_key"]}
                                if first and "new_admin_key" in proposed else {})}


def test_the_first_start_prints_a_key_and_the_next_one_reads_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("ADMIN_SECRET_KEY", raising=False)
    secrets, key = load_or_create(tmp_path)
    assert key and secrets.admin_key_hash == hash_token(key)
    again, no_key = load_or_create(tmp_path)
    assert no_key is None and again == secrets
    assert "new_admin_key" not in json.loads((tmp_path / FILE).read_text())


def test_nodes_of_a_shared_log_use_the_first_nodes_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("ADMIN_SECRET_KEY", raising=False)
    store = Store()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, key = load_or_create(tmp_path / "a", store)
    second, no_key = load_or_create(tmp_path / "b", store)
    assert key and no_key is None and second == first
    assert not (tmp_path / "b" / FILE).exists()


def test_an_older_file_without_a_bot_key_secret_joins_a_shared_log(tmp_path, monkeypatch):
    monkeypatch.delenv("ADMIN_SECRET_KEY", raising=False)
    old = {"admin_key_sha256": hash_token("old admin key"), "jwt_key": "j" * 48}
    (tmp_path / FILE).write_text(json.dumps(old))
    store = Store()
    secrets, key = load_or_create(tmp_path, store)
    assert key is None and secrets.admin_key_hash == hash_token("old admin key")
    assert secrets.bot_key_secret and store.kept is not None
    assert store.kept["bot_key_secret"].encode() == secrets.bot_key_secret
