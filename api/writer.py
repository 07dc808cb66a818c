"""The one writer: group commit.

Requests hand commands to one thread. It takes every command waiting at that moment, runs
them against one Unit, saves all their aggregates in a single transaction (one fsync for
the batch), catches the projections up, and only then answers each request: so an answer
means durable and readable. If the batch conflicts (or a command failed after changing an
aggregate), each command is run again alone, so one bad command never sinks the others.
"""
import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError

from domain.application import Botbus
from domain.errors import DomainError, conflict
from domain.unit import Unit
from projections.projector import Applied, Projector

log = logging.getLogger(__name__)
T = TypeVar("T")
Command = Callable[[Unit], Any]
Outcome = tuple[asyncio.Future, Any, BaseException | None]  # future, result, error
_STOP = object()


class Writer:
    def __init__(self, app: Botbus, projector: Projector, loop: asyncio.AbstractEventLoop,
                 on_applied: Callable[[Applied], None], max_batch: int = 500) -> None:
        self.app, self.projector, self.loop = app, projector, loop
        self.on_applied, self.max_batch = on_applied, max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="botbus-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    async def run(self, command: Callable[[Unit], T]) -> T:
        future = self.loop.create_future()
        self._queue.put((command, future))
        return await future

    def catch_up(self) -> None:
        """Before serving: apply what an earlier run left unprojected (a crash between save
        and projection, a read model replayed after its VERSION changed). Nobody listens yet,
        and those events' live pushes belonged to sockets of that earlier run: no listeners."""
        self.projector.catch_up()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list) -> None:
        unit, outcomes = self.app.new_unit(), list[Outcome]()
        for command, future in batch:
            before = unit.pending_count()
            try:
                outcomes.append((future, command(unit), None))
            except Exception as refused:  # noqa: BLE001 - handed to the request that sent it
                if unit.pending_count() != before:  # it changed aggregates, then failed
                    if len(batch) > 1:
                        return self._one_by_one(batch)
                    unit = self.app.new_unit()  # its only command failed: record nothing
                if not isinstance(refused, DomainError):
                    log.exception("command failed")
                outcomes.append((future, None, refused))
        recorded: Applied = []
        try:
            if unit.aggregates:
                recorded = [(r.domain_event, r.notification.id)
                            for r in self.app.save(*unit.aggregates)]
        except IntegrityError:
            if len(batch) > 1:
                return self._one_by_one(batch)
            retry = conflict("conflicting change, try again")
            outcomes = [(future, None, retry) for future, _, _ in outcomes]
        except Exception as failure:  # noqa: BLE001 - e.g. disk full: every request hears of it
            log.exception("save failed")
            outcomes = [(f, None, failure) for f, _, _ in outcomes]
        applied: list[Applied] = []
        try:
            self.projector.apply_recorded(recorded, on_batch=applied.append)
        except Exception:  # noqa: BLE001 - the log is saved; projections catch up next time
            log.exception("projection failed")
        self.loop.call_soon_threadsafe(self._answer, applied, outcomes)

    def _one_by_one(self, batch: list) -> None:
        for item in batch:
            self._commit([item])

    def _answer(self, applied: list[Applied], outcomes: list[Outcome]) -> None:
        """On the loop, once per batch (one wake-up, not one per request): listeners first,
        so a long poll is woken before the sender hears back, then every request."""
        for batch in applied:
            try:
                self.on_applied(batch)
            except Exception:  # noqa: BLE001 - a listener's fault must not hold up the answers
                log.exception("listener failed")
        for future, result, error in outcomes:
            _settle(future, result, error)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
