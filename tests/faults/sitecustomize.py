"""Faults a test injects into a real `botbus serve` where they cannot be caused from outside.

The tests put this folder first on the server's PYTHONPATH and choose the faults by
environment variable; with none set, nothing changes.
"""
import os
import sqlite3

_FROZEN = os.environ.get("FAULT_FROZEN_CLOCK")  # account numbers from a clock that stands still
_POISON = os.environ.get("FAULT_POISON_TEXT")  # the updates read model cannot apply this text
# (or caption)
_SNAPSHOTS_FAIL = os.environ.get("FAULT_SNAPSHOTS_FAIL")  # every snapshot write fails
_CONFIRM_LINGER = os.environ.get("FAULT_CONFIRM_LINGER")  # seconds a lazy command waits
_STALL = os.environ.get("FAULT_STALL_APPEND")  # seconds an append of "stall the disk" hangs
_DEAF = os.environ.get("FAULT_DEAF_TO_OTHERS")  # a node of a shared log never told of appends

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
        if _POISON in (event.content.get("text"), event.content.get("caption")):
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

if _CONFIRM_LINGER:
    import api.writer

    _writer_init = api.writer.Writer.__init__

    def _lingering(self, *args, **kwargs):
        """A lazy command (a read's confirmation, an ack) waits that long for a command to
        ride with, instead of 5 ms: the window before it is in the log, held open."""
        _writer_init(self, *args, **kwargs)
        self.linger = float(_CONFIRM_LINGER)

    api.writer.Writer.__init__ = _lingering  # type: ignore[method-assign]

if _DEAF:
    import api.follow

    def _deaf(self):
        """The shared log's notifications of other nodes' appends go unheard: this node
        applies them only when it follows for a reason of its own."""

    api.follow.Following.appended_elsewhere = _deaf  # type: ignore[method-assign]

if _STALL:
    import time

    import domain.recorder

    _insert = domain.recorder.GroupRecorder.start_insert

    def _stalling(self, stored_events):
        """As a disk that stops answering holds an fsync: the caller waits, GIL released."""
        if any(b"stall the disk" in event.state for event in stored_events):
            time.sleep(float(_STALL))
        return _insert(self, stored_events)

    domain.recorder.GroupRecorder.start_insert = _stalling  # type: ignore[method-assign]
