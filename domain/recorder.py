"""The SQLite log's recorder, writing a batch's events in one statement.

The library inserts a batch's events one statement each, to read each row's notification id.
Each statement lets go of the GIL and then waits to take it back from the busy event loop:
on the echo bench that was a third of the writer's time per batch (measured). Here a batch
is one multi-row INSERT per chunk: SQLite gives its rows consecutive rowids, the last one
being `lastrowid`, because the one writer holds the write lock for the whole transaction.
"""
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

TOPIC = "domain.recorder:GroupRecorder"
CHUNK = 200  # rows per statement: 800 parameters, far below SQLite's limit


class GroupRecorder(SQLiteApplicationRecorder):
    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **_: Any) -> Sequence[int] | None:
        ids: list[int] = []
        for start in range(0, len(stored_events), CHUNK):
            chunk = stored_events[start:start + CHUNK]
            params: list[Any] = []
            for event in chunk:
                originator_id = event.originator_id
                params += (originator_id.hex if isinstance(originator_id, UUID)
                           else originator_id, event.originator_version, event.topic,
                           event.state)
            c.execute(f"INSERT INTO {self.events_table_name} VALUES"
                      f" {','.join(['(?,?,?,?)'] * len(chunk))}", params)
            last = c.lastrowid
            ids += range(last - len(chunk) + 1, last + 1)
        return ids
