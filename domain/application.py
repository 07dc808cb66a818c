"""Botbus(Application): the log, and the commands of each context composed (accounts,
messaging). Each command validates first, then records events in a Unit, so a failed
command records nothing. The writer (`api/writer.py`) saves a whole batch of units'
aggregates in one transaction.
"""
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording, Transcoder

from domain.accounts import ALIAS_TAKEN, FINGERPRINT_TAKEN, AccountCommands
from domain.clock import Clock, utc_now
from domain.ids import Ids
from domain.messaging import MessagingCommands
from domain.transcoder import OrjsonTranscoder
from domain.unit import Unit
from domain.updates import UpdateQueue

log = logging.getLogger(__name__)
__all__ = ["ALIAS_TAKEN", "FINGERPRINT_TAKEN", "Botbus"]


class Botbus(AccountCommands, MessagingCommands, Application):
    name = "botbus"
    snapshotting_intervals: ClassVar = {UpdateQueue: 100}
    # One writer per log: a cached aggregate is as current as the log, so loading one needs
    # no fast-forward query (a third of a confirmation's cost). Scale-out revisits this.
    # Units share the cache's objects instead of deep copies, and abandon what they do not
    # save (domain/unit.py).
    env: ClassVar = {"AGGREGATE_CACHE_MAXSIZE": "10000", "AGGREGATE_CACHE_FASTFORWARD": "n",
                     "DEEPCOPY_FROM_AGGREGATE_CACHE": "n"}

    def __init__(self, env: dict[str, str] | None = None, *, clock: Clock = utc_now,
                 ids: Ids | None = None) -> None:
        super().__init__(env)
        self.clock, self.ids = clock, ids or Ids()

    @classmethod
    def open(cls, data_dir: Path, **kwargs: Any) -> "Botbus":
        """The log under a data directory: SQLite by default; PostgreSQL when the environment
        says so (eventsourcing's own PERSISTENCE_MODULE and POSTGRES_* variables)."""
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
               "SQLITE_DBNAME": str(Path(data_dir) / "events.db"),
               "SQLITE_LOCK_TIMEOUT": "10"}
        return cls({k: v for k, v in env.items() if k not in os.environ}, **kwargs)

    def construct_transcoder(self) -> Transcoder:
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording]:
        """The library's save(), without its two Protocol isinstance checks per object (about
        15 µs each on Python 3.11: a third of the writer's time per event in a large batch)
        when every object is one of our aggregates. Once the events are recorded, nothing
        after (a snapshot) can turn the save into a failure: the writer would report a
        recorded command as failed, or run it again."""
        if not all(isinstance(obj, Aggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing_event: ProcessingEvent = ProcessingEvent()
        for aggregate in objs:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        try:  # the events are recorded: a snapshot is an optimisation, never a failure
            self._take_snapshots(processing_event)
        except Exception:  # noqa: BLE001 - the next interval takes another
            log.exception("snapshot failed", extra={"positions": [
                r.notification.id for r in recordings]})
        self._notify(recordings)
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent) -> None:
        """A snapshot of an aggregate just saved is its state in memory: the library reads
        it back from the log instead (a hundred events for an update queue, each time)."""
        for event in processing_event.events:
            aggregate: Any = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if (self.snapshots is None or interval is None
                    or event.originator_version % interval):
                continue
            if aggregate.version != event.originator_version:  # more events in this save
                self.take_snapshot(event.originator_id, version=event.originator_version)
                continue
            snapshot_class: Any = getattr(type(aggregate), "Snapshot", self.snapshot_class)
            self.snapshots.put([snapshot_class.take(aggregate)])

    def new_unit(self) -> Unit:
        return Unit(self.repository)
