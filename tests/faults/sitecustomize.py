"""Faults a test injects into a real `botbus serve` where they cannot be caused from outside.

The tests put this folder first on the server's PYTHONPATH and choose the faults by
environment variable; with none set, nothing changes.
"""
import os
import sqlite3
import time

_FROZEN = os.environ.get("FAULT_FROZEN_CLOCK")  # account numbers from a clock that stands still
_POISON = os.environ.get("FAULT_POISON_TEXT")  # the updates read model cannot apply this text
_SNAPSHOTS_FAIL = os.environ.get("FAULT_SNAPSHOTS_FAIL")  # every snapshot write fails
_SLOW_CONFIRM = os.environ.get("FAULT_SLOW_CONFIRM")  # seconds each confirmation takes

if _FROZEN:
    import domain.ids

    class _StoppedClock:
        @staticmethod
        def time() -> float:
            return float(_FROZEN)

    domain.ids.time = _StoppedClock  # type: ignore[assignment]

if _POISON:
    import projections.updates
    from domain.messages import Message

    _apply_sent = projections.updates.apply.dispatch(Message.Sent)

    def _poisoned(event, db, position):
        if event.content.get("text") == _POISON:
            raise RuntimeError("the test's poison")
        return _apply_sent(event, db, position)

    projections.updates.apply.register(Message.Sent, _poisoned)

if _SNAPSHOTS_FAIL:
    from domain.application import Botbus

    _snapshot_store = Botbus.construct_snapshot_store

    def _failing_snapshot_store(self):
        store = _snapshot_store(self)

        def put(*args, **kwargs):
            raise sqlite3.OperationalError("disk I/O error (injected)")

        store.put = put
        return store

    Botbus.construct_snapshot_store = _failing_snapshot_store  # type: ignore[method-assign]

if _SLOW_CONFIRM:
    from domain.application import Botbus

    _record = Botbus.record

    def _slow_confirm(self, prepared):
        """A batch carrying a confirmation takes that long to reach the disk (on the log's
        thread: the event loop goes on serving, as it would with a slow disk)."""
        if any(stored.topic.endswith("UpdatesConfirmed") for stored in prepared.stored):
            time.sleep(float(_SLOW_CONFIRM))
        return _record(self, prepared)

    Botbus.record = _slow_confirm  # type: ignore[method-assign]
