"""`replay import`, `rebuild` and `verify` against the faults that hurt in production: a file
that is mostly good (a duplicated line past the first thousand, a foreign topic, a broken
state) and a read model whose schema changed under existing projections.

The replay CLI runs in-process (`replay.cli.main`) on real files under tmp_path."""
import json
import sqlite3
import sys
from pathlib import Path
from uuid import uuid4

import pytest
from sqlite_utils import Database

from domain.application import Botbus
from projections import messages, updates
from projections.db import PROJECTIONS_FILE
from replay.cli import main

MESSAGES = 1_100  # past the old importer's first 1,000-event commit


@pytest.fixture(autouse=True)
def sqlite_log(monkeypatch):
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)


def make_log(data: Path, count: int) -> None:
    """A bot, a user, `count` messages from the user to the bot, and the bot taking one."""
    data.mkdir(parents=True)
    app = Botbus.open(data)
    try:
        unit = app.new_unit()
        bot = app.register_bot(unit, "FaultBot", "ab" * 16)
        user = app.register_user(unit, "cd" * 16, alias="faulty")
        app.save(*unit.aggregates)
        unit = app.new_unit()
        for n in range(count):
            app.send_message(unit, user.user_id, bot.fingerprint, {"text": f"m{n}"}, False)
        app.save(*unit.aggregates)
        unit = app.new_unit()
        app.confirm_updates(unit, bot.fingerprint, 1, via="test")
        app.save(*unit.aggregates)
    finally:
        app.close()


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> list[str]:
    data = tmp_path_factory.mktemp("source") / "data"
    make_log(data, MESSAGES)
    dump = data.parent / "log.jsonl"
    assert main(["export", "--data", str(data), "--output", str(dump)]) == 0
    return dump.read_text().splitlines()


def events_in(data: Path) -> int:
    app = Botbus.open(data)
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def run_import(tmp_path: Path, lines: list[str], capsys) -> tuple[int, str]:
    source = tmp_path / f"import-{uuid4().hex[:8]}.jsonl"
    source.write_text("\n".join(lines) + "\n")
    code = main(["import", "--data", str(tmp_path / "target"), "--input", str(source),
                 "--quiet"])
    return code, capsys.readouterr().err


def assert_refused(tmp_path: Path, lines: list[str], capsys, line: int, *reason: str) -> None:
    code, err = run_import(tmp_path, lines, capsys)
    assert code == 1, err
    assert f"botbus replay: import refused, nothing written: line {line}: " in err, err
    for part in reason:
        assert part in err, err
    assert "Traceback" not in err
    assert events_in(tmp_path / "target") == 0
    assert not (tmp_path / "target" / PROJECTIONS_FILE).exists() or _tracked(tmp_path) == 0


def _tracked(tmp_path: Path) -> int:
    db = sqlite3.connect(tmp_path / "target" / PROJECTIONS_FILE)
    try:
        return db.execute("SELECT coalesce(max(position), 0) FROM tracking").fetchone()[0]
    except sqlite3.OperationalError:  # no tracking table: nothing was projected
        return 0
    finally:
        db.close()


def first(lines: list[str], kind: str) -> int:
    return next(i for i, line in enumerate(lines) if json.loads(line)["topic"].endswith(kind))


def changed(lines: list[str], index: int, **fields) -> list[str]:
    row = json.loads(lines[index])
    row.update(fields)
    return [*lines[:index], json.dumps(row), *lines[index + 1:]]


def changed_state(lines: list[str], index: int, edit) -> list[str]:
    state = json.loads(json.loads(lines[index])["state"])
    edit(state)
    return changed(lines, index, state=json.dumps(state))


# import: all or nothing

def test_a_duplicated_line_near_the_end_is_refused_and_a_retry_succeeds(exported, tmp_path,
                                                                         capsys):
    assert len(exported) > 1000
    doubled = [*exported[:-1], exported[-2], exported[-1]]
    assert_refused(tmp_path, doubled, capsys, len(exported), "version")
    code, err = run_import(tmp_path, exported, capsys)
    assert code == 0, err
    assert events_in(tmp_path / "target") == len(exported)
    assert main(["verify", "--data", str(tmp_path / "target")]) == 0


def test_a_version_gap_is_refused(exported, tmp_path, capsys):
    at = first(exported, ":Bot.TokenIssued")
    version = json.loads(exported[at])["originator_version"]
    assert_refused(tmp_path, changed(exported, at, originator_version=version + 1), capsys,
                   at + 1, "version")


def test_a_first_event_that_creates_nothing_is_refused(exported, tmp_path, capsys):
    at = first(exported, ":Bot.TokenIssued")
    assert_refused(tmp_path, changed(exported, at, originator_id=str(uuid4()),
                                     originator_version=1), capsys, at + 1)


@pytest.mark.parametrize("topic", [
    "os:system", "domain.ids:AccountId", "domain.bots:Bot", "domain.messages:Message.Created",
    "eventsourcing.domain:Aggregate.Created", "domain.nosuch:Thing.Happened",
    "domain.bots:Bot.TokenIssued",  # ours, but not an event of the aggregate at hand
])
def test_a_topic_that_is_not_an_event_of_ours_is_refused(exported, tmp_path, capsys, topic):
    at = first(exported, ":Message.Sent")
    assert_refused(tmp_path, changed(exported, at, topic=topic), capsys, at + 1)


def test_a_topic_never_imports_the_module_it_names(exported, tmp_path, capsys, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "botbus_probe.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n\nclass Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    at = first(exported, ":Message.Sent")
    assert_refused(tmp_path, changed(exported, at, topic="botbus_probe:Thing"), capsys, at + 1,
                   "botbus_probe:Thing")
    assert not marker.exists() and "botbus_probe" not in sys.modules


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda s: s.pop("to"), "to"),
    (lambda s: s.update(delivered="yes"), "delivered"),
    (lambda s: s.update(content=["not", "a", "dict"]), "content"),
    (lambda s: s.update(timestamp="2025-01-01"), "timestamp"),
    (lambda s: s.update(surprise=1), "surprise"),
    (lambda s: s.update(originator_topic="os:system"), "originator_topic"),
], ids=["missing-field", "bool-as-text", "list-for-dict", "untyped-time", "unknown-field",
        "foreign-aggregate-topic"])
def test_a_state_the_event_class_cannot_hold_is_refused(exported, tmp_path, capsys, edit,
                                                        reason):
    at = first(exported, ":Message.Sent")
    assert_refused(tmp_path, changed_state(exported, at, edit), capsys, at + 1, reason)


@pytest.mark.parametrize("state", ["not json", "[1, 2]", "{\"_type_\": \"nosuch\"}"])
def test_a_state_that_does_not_decode_is_refused(exported, tmp_path, capsys, state):
    at = first(exported, ":Message.Sent")
    assert_refused(tmp_path, changed(exported, at, state=state), capsys, at + 1)


def test_events_the_projections_cannot_hold_are_refused(exported, tmp_path, capsys):
    """A second account under an existing account's id: every line is well formed, but the
    directory cannot hold it."""
    at = first(exported, ":User.Registered")
    again = changed(exported, at, originator_id=str(uuid4()))
    code, err = run_import(tmp_path, [*exported, again[at]], capsys)
    assert code == 1, err
    assert "import refused, nothing written" in err and "Traceback" not in err
    assert events_in(tmp_path / "target") == 0


def test_an_import_without_a_sqlite_file_is_one_transaction(exported, tmp_path, capsys,
                                                            monkeypatch):
    """The PostgreSQL path (one insert_events call), run against SQLite."""
    from replay import importer

    calls, insert_all = [], importer.insert_all

    def counted(recorder, events):
        calls.append(len(events))
        insert_all(recorder, events)

    monkeypatch.setattr(importer, "sqlite_file", lambda app: None)
    monkeypatch.setattr(importer, "insert_all", counted)
    code, err = run_import(tmp_path, exported, capsys)
    assert code == 0, err
    assert calls == [len(exported)]
    assert events_in(tmp_path / "target") == len(exported)
    assert main(["verify", "--data", str(tmp_path / "target")]) == 0


# rebuild and verify after a schema change

def schema(create) -> dict[str, list[tuple[str, str, int]]]:
    """Each table a model creates: (name, type, pk) per column, in order."""
    db = Database(memory=True)
    try:
        create(db)
        return {table: [(c.name, c.type, c.is_pk) for c in db[table].columns]
                for table in db.table_names()}
    finally:
        db.close()


def recreate(columns: dict[str, list[tuple[str, str, int]]]):
    def create(db: Database) -> None:
        for table, cols in columns.items():
            pks = [name for name, _, pk in sorted(cols, key=lambda c: c[2]) if pk]
            db.execute(f"CREATE TABLE IF NOT EXISTS [{table}] ("
                       + ", ".join(f"[{name}] {kind}" for name, kind, _ in cols)
                       + f", PRIMARY KEY ({', '.join(pks)}))")
    return create


def swapped(create, table: str):
    """The same columns, two of one type trading places: a copy by position crosses them
    without any type error."""
    columns = schema(create)
    cols = columns[table]
    by_type: dict[str, list[int]] = {}
    for i, (_, kind, pk) in enumerate(cols):
        if not pk:
            by_type.setdefault(kind, []).append(i)
    a, b = next(group for group in by_type.values() if len(group) > 1)[:2]
    cols[a], cols[b] = cols[b], cols[a]
    return recreate(columns), (cols[b][0], cols[a][0])


@pytest.fixture
def built(tmp_path) -> Path:
    data = tmp_path / "data"
    make_log(data, 5)
    assert main(["rebuild", "--data", str(data), "--quiet"]) == 0
    return data


def rows(data: Path, table: str) -> list[dict]:
    db = sqlite3.connect(data / PROJECTIONS_FILE)
    db.row_factory = sqlite3.Row
    try:
        return sorted((dict(row) for row in db.execute(f"SELECT * FROM [{table}]")), key=repr)
    finally:
        db.close()


def live_columns(data: Path, table: str) -> list[str]:
    db = sqlite3.connect(data / PROJECTIONS_FILE)
    try:
        return [row[1] for row in db.execute(f"PRAGMA table_info([{table}])")]
    finally:
        db.close()


def test_rebuilding_one_model_after_a_column_reorder_keeps_values_in_their_columns(
        built, monkeypatch, capsys):
    before = rows(built, "messages")
    create, _ = swapped(messages.create, "messages")
    monkeypatch.setattr(messages, "create", create)
    monkeypatch.setattr(messages, "VERSION", messages.VERSION + 1)
    assert main(["rebuild", "messages", "--data", str(built), "--quiet"]) == 0
    assert rows(built, "messages") == before
    assert live_columns(built, "messages") == [c[0] for c in schema(create)["messages"]]
    capsys.readouterr()
    assert main(["verify", "--data", str(built)]) == 0, capsys.readouterr().out


def test_rebuilding_one_model_keeps_the_indexes_and_triggers_it_creates(built):
    assert main(["rebuild", "updates", "--data", str(built), "--quiet"]) == 0
    made, live = Database(memory=True), Database(sqlite3.connect(built / PROJECTIONS_FILE))
    try:
        updates.create(made)
        query = (f"SELECT type, name FROM sqlite_master WHERE tbl_name IN"
                 f" ({', '.join('?' * len(updates.TABLES))}) AND name NOT LIKE 'sqlite_%'")
        assert set(live.execute(query, updates.TABLES).fetchall()) == set(
            made.execute(query, updates.TABLES).fetchall())
    finally:
        made.close()
        live.close()


def test_verify_compares_rows_by_column_name(built, monkeypatch, capsys):
    """The state a rebuild by position left behind: the old schema, two columns' values
    crossed. Compared by position with the new schema it looked right."""
    create, (a, b) = swapped(messages.create, "messages")
    db = sqlite3.connect(built / PROJECTIONS_FILE)
    with db:
        db.execute(f"UPDATE messages SET [{a}] = [{b}], [{b}] = [{a}]")
    db.close()
    monkeypatch.setattr(messages, "create", create)
    assert main(["verify", "--data", str(built)]) == 1
    out = capsys.readouterr().out
    assert "messages: only in projections.db:" in out and "messages: only in the rebuild:" in out


@pytest.mark.parametrize("change", ["added", "retyped"])
def test_verify_reports_a_schema_difference(built, monkeypatch, capsys, change):
    columns = schema(messages.create)
    cols = columns["messages"]
    if change == "added":
        cols.append(("subject", "TEXT", 0))
        named = "subject"
    else:
        i = next(i for i, c in enumerate(cols) if c[1] == "INTEGER" and not c[2])
        named = cols[i][0]
        cols[i] = (named, "REAL", 0)
    monkeypatch.setattr(messages, "create", recreate(columns))
    assert main(["verify", "--data", str(built)]) == 1
    out = capsys.readouterr().out
    schema_lines = [line for line in out.splitlines() if line.startswith("messages: schema")]
    assert schema_lines and named in schema_lines[0], out
