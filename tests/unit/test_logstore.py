"""The log's URL as eventsourcing's settings, and the errors that never show a password."""
import pytest

from domain.logstore import LogUrlError, log_env, log_identity, postgres_env, shown


def test_a_full_url_becomes_the_librarys_postgres_settings():
    env = postgres_env("postgresql://bot%40s:p%2Fss@db.internal:6543/botbus?schema=chat"
                       "&pool_size=10")
    assert env == {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": "botbus",
                   "POSTGRES_HOST": "db.internal", "POSTGRES_PORT": "6543",
                   "POSTGRES_USER": "bot@s", "POSTGRES_PASSWORD": "p/ss",
                   "POSTGRES_SCHEMA": "chat", "POSTGRES_POOL_SIZE": "10"}


def test_a_socket_directory_and_defaults():
    env = postgres_env("postgres:///botbus?host=/var/run/postgresql&user=me")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_USER"]) == (
        "/var/run/postgresql", "5432", "me")


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://u:pw@h/db", "must start with postgresql://"),
    ("postgresql://u:pw@h:5432/", "names no database"),
    ("postgresql://u:pw@h/db?sslmode=require", "unknown log URL parameter 'sslmode'"),
    ("postgresql://u:hunter2/db", "not a PostgreSQL URL"),
    ("postgresql://u:pw@h:99999/db", "not a PostgreSQL URL"),
])
def test_a_bad_url_says_what_is_wrong_without_its_password(url, says):
    with pytest.raises(LogUrlError) as error:
        postgres_env(url)
    assert says in str(error.value)
    assert "pw" not in str(error.value) and "hunter2" not in str(error.value)


def test_shown_masks_the_password_only():
    assert shown("postgresql://u:hunter2@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert shown("postgresql://u@h/db") == "postgresql://u@h/db"


def test_without_a_url_the_log_is_sqlite_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)
    monkeypatch.delenv("SQLITE_DBNAME", raising=False)
    env = log_env(tmp_path)
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "events.db")
    assert log_identity(env) == f"sqlite:{tmp_path / 'events.db'}"
    assert log_identity(postgres_env("postgresql://u:pw@h/db")) == \
        "postgresql://h:5432/db?schema="
