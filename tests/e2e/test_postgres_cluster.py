"""The throwaway PostgreSQL cluster the suites run on (tests/postgres.py), checked on its own:
when a server fails on PostgreSQL, this says whether the cluster or the server is at fault."""
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.postgres import Cluster


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as connection:
        return [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


def test_each_new_database_is_distinct_and_empty(postgres: Cluster):
    first, second = postgres.new_database(), postgres.new_database()
    assert first != second
    assert urlsplit(first).path != urlsplit(second).path
    assert tables(first) == [] and tables(second) == []
    with psycopg.connect(first, autocommit=True) as connection:
        connection.execute("CREATE TABLE only_here (id int)")
    assert tables(first) == ["only_here"] and tables(second) == []


def test_a_url_connects_as_the_tests_user_with_the_settings_for_tests(postgres: Cluster):
    url = postgres.new_database("named_by_the_test")
    assert url == f"postgresql://botbus@127.0.0.1:{postgres.port}/named_by_the_test"
    with psycopg.connect(url) as connection:
        user, database, fsync, most = connection.execute(
            "SELECT current_user, current_database(), current_setting('fsync'),"
            " current_setting('max_connections')").fetchone()
    assert (user, database, fsync, most) == ("botbus", "named_by_the_test", "off", "300")


def test_a_cluster_of_its_own_stops_and_leaves_nothing_behind():
    with Cluster() as cluster:
        url = cluster.new_database()
        assert tables(url) == []
    assert not cluster.dir.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2).close()
