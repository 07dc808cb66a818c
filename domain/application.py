"""Botbus(Application): the log, and the commands of each context composed (accounts,
messaging, bot profiles, Botyard's bots and chat rooms, files, webhooks). Each command
validates first, then records events in a Unit, so a failed command records nothing. The
writer (`api/writer.py`) saves a whole batch of units' aggregates in one transaction.
"""
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification, Recording, StoredEvent, Transcoder

from domain.accounts import ALIAS_TAKEN, FINGERPRINT_TAKEN
from domain.apps import AppCommands
from domain.botyard import BotyardCommands
from domain.channel_messages import ChannelMessageCommands
from domain.chats import ChatCommands
from domain.clock import Clock, utc_now
from domain.files import FileCommands
from domain.guilds import Guild
from domain.humans import HumanCommands
from domain.ids import Ids
from domain.logstore import log_env
from domain.recorder import GroupRecorder, Pending
from domain.transcoder import OrjsonTranscoder
from domain.unit import Unit
from domain.updates import UpdateQueue
from domain.webhooks import Webhook, WebhookCommands

log = logging.getLogger(__name__)
__all__ = ["ALIAS_TAKEN", "FINGERPRINT_TAKEN", "Botbus"]


@dataclass(frozen=True)
class Prepared:
    processing_event: ProcessingEvent
    stored: list[StoredEvent]


def _now(write: Callable[[], object]) -> None:
    write()


def _logged(write: Callable[[], object], positions: Sequence[int]) -> None:
    """A snapshot is an optimisation, never a failure: the next interval takes another."""
    try:
        write()
    except Exception:  # noqa: BLE001
        log.exception("snapshot failed", extra={"positions": list(positions)})


class Botbus(BotyardCommands, AppCommands, ChannelMessageCommands, HumanCommands, ChatCommands,
             FileCommands, WebhookCommands, Application):
    """Accounts and profiles come with BotyardCommands, AppCommands (MaxChat's, with its
    servers and their channels' messages) and HumanCommands, messaging with ChatCommands:
    each dialect's commands build on the shared ones."""

    name = "botbus"
    snapshotting_intervals: ClassVar = {UpdateQueue: 100, Webhook: 100, Guild: 100}
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
        self.key_secret = b""  # set by the server from its secrets (api/secrets.py)

    @classmethod
    def open(cls, data_dir: Path, log_url: str | None = None, **kwargs: Any) -> "Botbus":
        """The log: SQLite under the data directory by default, PostgreSQL by URL (or by the
        library's own PERSISTENCE_MODULE and POSTGRES_* variables)."""
        return cls(log_env(data_dir, log_url), **kwargs)

    def construct_transcoder(self) -> Transcoder:
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording]:
        """The library's save(), in the three steps the writer runs apart (`prepare`, then
        `record`, then `finish`), without its two Protocol isinstance
        checks per object (about 15 µs each on Python 3.11: a third of the writer's time per
        event in a large batch) when every object is one of our aggregates."""
        if kwargs or not all(isinstance(obj, Aggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        prepared = self.prepare(*objs)
        ids = self.record(prepared)
        self.finish(prepared, ids)
        recordings = [Recording(event, Notification(
            id=notification_id, originator_id=stored.originator_id, topic=stored.topic,
            originator_version=stored.originator_version, state=stored.state))
            for event, stored, notification_id in zip(prepared.processing_event.events,
                                                      prepared.stored, ids, strict=True)]
        self._notify(recordings)
        return recordings

    def prepare(self, *aggregates: Aggregate) -> Prepared:
        """The aggregates' new events, collected and encoded for the log."""
        processing_event: ProcessingEvent = ProcessingEvent()
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        return Prepared(processing_event, list(map(self.mapper.to_stored_event,
                                                   processing_event.events)))

    def record(self, prepared: Prepared) -> Sequence[int]:
        """Append to the log and wait for it to be durable: the one step that blocks on the
        disk (or, on PostgreSQL, the network; the writer runs that one on a thread). Returns
        the notification ids."""
        return self.recorder.insert_events(prepared.stored) or []

    def start_record(self, prepared: Prepared) -> Pending:
        """`record`, begun: on the embedded log the append runs in a child process
        (domain/appender.py) while the caller goes on, until `Pending.wait()`."""
        recorder = self.recorder
        if isinstance(recorder, GroupRecorder) and recorder.appender is not None:
            return recorder.start_insert(prepared.stored)
        return Pending(self.record(prepared))

    def finish(self, prepared: Prepared, ids: Sequence[int],
               later: Callable[[Callable[[], object]], None] | None = None
               ) -> list[tuple[object, int]]:
        """Once recorded: each event with its position, the cache, snapshots (written by
        `later`, if given, off the caller's thread). Nothing here can turn the save into a
        failure: the writer would report a recorded command as failed, or run it again."""
        cache = self.repository.cache
        if cache is not None:
            for aggregate_id, aggregate in prepared.processing_event.aggregates.items():
                cache.put(aggregate_id, aggregate)
        for write in self._snapshots_due(prepared.processing_event):
            (later or _now)(partial(_logged, write, ids))
        return list(zip(prepared.processing_event.events, ids, strict=True))

    def _snapshots_due(self, processing_event: ProcessingEvent) -> list[Callable[[], object]]:
        """A snapshot of an aggregate just saved is its state in memory: the library reads
        it back from the log instead (a hundred events for an update queue, each time)."""
        writes: list[Callable[[], object]] = []
        for event in processing_event.events:
            aggregate: Any = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if (self.snapshots is None or interval is None
                    or event.originator_version % interval):
                continue
            if aggregate.version != event.originator_version:  # more events in this save
                writes.append(partial(self.take_snapshot, event.originator_id,
                                      version=event.originator_version))
                continue
            snapshot_class: Any = getattr(type(aggregate), "Snapshot", self.snapshot_class)
            writes.append(partial(self.snapshots.put, [snapshot_class.take(aggregate)]))
        return writes

    def forget_stale(self, events: Iterable[Any]) -> None:
        """Events read back from a shared log: a cached aggregate older than one of them was
        changed by another node, and is read from the log again when next needed."""
        cache = self.repository.cache
        if cache is None:
            return
        for event in events:
            try:
                cached = cache.get(event.originator_id)
            except (KeyError, AttributeError):
                continue
            if cached.version < event.originator_version:
                try:
                    cache.get(event.originator_id, evict=True)
                except KeyError:
                    pass

    def new_unit(self) -> Unit:
        return Unit(self.repository)

