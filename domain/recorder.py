"""The SQLite log's recorder: a batch's events appended by one statement, in one call.

The library appends in a transaction of its own making: BEGIN, one INSERT per event (to read
each row's notification id), COMMIT, each prepared anew (its connections cache a single
statement). Every one of those calls lets go of the GIL, then waits to take it back from the
busy event loop: most of an append's time under load (measured). Here one multi-row INSERT
runs in SQLite's autocommit mode, which makes it its own transaction, durable when the call
returns (the same WAL and `synchronous=FULL` fsync): one call, one wait. Its rows get
consecutive rowids, the last being `lastrowid`, since the one writer holds the write lock.

The server's (`use_appender`) sends that statement to a child process instead
(domain/appender.py), and may project the batch while it waits (`start_insert`).

With `on_appended` set (the server sets it), its connection never checkpoints inside an
append, which would stall the caller for the copy: a thread of the server's does
(projections/checkpoints.py), told the count of each append, and `WAL_LIMIT` bounds the WAL
it leaves on disk. Tools that append without one (replay import) keep SQLite's own checkpoints.
"""
import sqlite3
import weakref
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from domain.appender import Appender
from domain.appender_child import insert

TOPIC = "domain.recorder:GroupRecorder"
WAL_LIMIT = 64 * 2**20  # bytes of WAL left on disk when SQLite starts it over (after a burst)
ONE_STATEMENT = 5000  # rows (4 parameters each): far below SQLite's parameter limit
_ERRORS: dict[type[Exception], type[Exception]] = {  # as the library translates its own
    sqlite3.IntegrityError: persistence.IntegrityError,
    sqlite3.OperationalError: persistence.OperationalError,
    sqlite3.ProgrammingError: persistence.ProgrammingError,
    sqlite3.DataError: persistence.DataError,
}


class Pending:
    """An append under way: the ids it should get, and how to wait for the ones it got."""
    __slots__ = ("expected", "_wait")

    def __init__(self, expected: Sequence[int], wait: Callable[[], Sequence[int]] | None = None
                 ) -> None:
        self.expected, self._wait = expected, wait

    @property
    def done(self) -> bool:
        return self._wait is None

    def wait(self) -> Sequence[int]:
        return self.expected if self._wait is None else self._wait()


class GroupRecorder(SQLiteApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_appended: Callable[[int], object] | None = None
        self.appender: Appender | None = None  # the server's (domain/appender.py)
        self._no_autocheckpoint: weakref.WeakSet[object] = weakref.WeakSet()

    @property
    def path(self) -> str | None:
        """The log's file; None in memory."""
        pool = self.datastore.pool
        return None if pool.is_sqlite_memory_mode else pool.db_name

    def use_appender(self) -> Appender:
        """From now on appends are made by a child process (the server's embedded log)."""
        assert self.path is not None, "a log in memory is this process's own"
        self.appender = Appender(self.path, self.events_table_name,
                                 lambda: self.max_notification_id() or 0, WAL_LIMIT)
        return self.appender

    def start_insert(self, stored_events: Sequence[StoredEvent]) -> Pending:
        """The append begun, its ids expected (`Pending.expected`): with the appender, the
        caller may do other work before `Pending.wait()`; without, it is done already."""
        count = len(stored_events)
        if self.appender is not None and 0 < count <= ONE_STATEMENT:
            return Pending(self.appender.send(count, _params(stored_events)), self._appended)
        return Pending(self._insert_here(stored_events))

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        if kwargs:
            return self._insert_here(stored_events, **kwargs)
        return self.start_insert(stored_events).wait()

    def _appended(self) -> Sequence[int]:
        assert self.appender is not None
        try:
            ids = self.appender.wait()
        except sqlite3.Error as error:
            raise _ERRORS.get(type(error), persistence.PersistenceError)(error) from error
        if self.on_appended is not None:
            self.on_appended(len(ids))
        return ids

    def _insert_here(self, stored_events: Sequence[StoredEvent],
                     **kwargs: Any) -> Sequence[int]:
        """On this process's own connection."""
        count = len(stored_events)
        if kwargs or not count or count > ONE_STATEMENT:
            ids = super().insert_events(stored_events, **kwargs) or []
        else:
            ids = self._insert_in_one(stored_events)
        if count and self.on_appended is not None:
            self.on_appended(count)
        if count and self.appender is not None:
            self.appender.forget_last()
        return ids

    def _insert_in_one(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        count, params = len(stored_events), _params(stored_events)
        statement = insert(self.events_table_name, count)
        with self.datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor()
            try:
                if self.on_appended is not None:
                    self._checkpoint_elsewhere(connection, cursor)
                cursor.execute(statement, params)
            except sqlite3.Error as error:
                raise _ERRORS.get(type(error), persistence.PersistenceError)(error) from error
            last = cursor.lastrowid
        return list(range(last - count + 1, last + 1))

    def _checkpoint_elsewhere(self, connection: object, cursor: Any) -> None:
        """Once per pooled connection: its commits leave the WAL to the checkpoint thread."""
        if connection not in self._no_autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
            self._no_autocheckpoint.add(connection)


def _params(stored_events: Sequence[StoredEvent]) -> list[Any]:
    params: list[Any] = []
    for event in stored_events:
        originator_id = event.originator_id
        params += (originator_id.hex if isinstance(originator_id, UUID) else originator_id,
                   event.originator_version, event.topic, event.state)
    return params
