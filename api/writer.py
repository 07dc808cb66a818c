"""The one writer: group commit.

Requests hand commands to one thread. It takes every command waiting at that moment, runs
them against one Unit, saves all their aggregates in a single transaction (one fsync for
the batch), catches the projections up, and only then answers each request: so an answer
means durable and readable. If the batch conflicts (or a command failed after changing an
aggregate), each command is run again alone, so one bad command never sinks the others.

Once a batch is recorded, nothing after can turn its answers into failures or run it again.
If the projections cannot follow (disk full, I/O), its answers wait while the writer retries
with backoff, and turn into "recorded, not yet readable" only past `answer_within`. A command
whose event a read model set aside as a fault is told so; the others are answered.
"""
import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.application import Botbus
from domain.errors import DomainError, conflict, unavailable
from domain.unit import Unit
from projections.projector import Applied, Projector

log = logging.getLogger(__name__)
T = TypeVar("T")
Command = Callable[[Unit], Any]
_STOP = object()
NOT_YET_READABLE = ("recorded, but not yet readable: the read models are behind the log"
                    " (see /health); it will show once they catch up")


@dataclass
class Outcome:
    future: asyncio.Future
    result: Any = None
    error: BaseException | None = None
    touched: list[UUID] = field(default_factory=list)
    deadline: float = 0.0


class Writer:
    def __init__(self, app: Botbus, projector: Projector, loop: asyncio.AbstractEventLoop,
                 on_applied: Callable[[Applied], None], max_batch: int = 500,
                 answer_within: float = 10.0) -> None:
        self.app, self.projector, self.loop = app, projector, loop
        self.on_applied, self.max_batch, self.answer_within = on_applied, max_batch, answer_within
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="botbus-writer", daemon=True)
        self.failure: BaseException | None = None  # what stopped the thread, if anything
        self.behind = False  # the projections could not follow the last append
        self.last_recorded = 0
        self._parked: list[Outcome] = []  # recorded, answered once readable
        self._unit = app.new_unit()  # the batch being committed
        self._retry = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    async def run(self, command: Callable[[Unit], T]) -> T:
        self._refuse_if_stopped()
        future = self.loop.create_future()
        self._queue.put((command, future))
        if self.failure is not None:  # it stopped in between: nobody takes this one
            self._fail_waiting()
        return await future

    def catch_up(self) -> None:
        """Before serving: apply what an earlier run left unprojected (a crash between save
        and projection, a read model replayed after its VERSION changed). Nobody listens yet,
        and those events' live pushes belonged to sockets of that earlier run: no listeners.
        A failure here is loud but never stops the start: the writer retries once running."""
        self.last_recorded = self.app.recorder.max_notification_id() or 0
        try:
            self.projector.catch_up()
        except Exception:  # noqa: BLE001 - /health shows it; retried with backoff
            log.exception("projections cannot catch up with the log at start")
            self.behind = True

    def _refuse_if_stopped(self) -> None:
        if self.failure is not None:
            raise self._stopped()

    def _stopped(self) -> DomainError:
        return unavailable(f"the writer stopped: {self.failure!r}")

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._retry or None)
            except queue.Empty:
                self._settle([])  # a retry: catch up, release or expire what waits
                continue
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
            try:
                self._commit(batch)
            except Exception as error:  # noqa: BLE001 - a bug here must not stop the writer
                log.exception("writer failed on a batch")
                self._unit.abandon()
                self._answer_soon([], [Outcome(f, error=error) for _, f in batch])
            except BaseException as error:
                log.critical("writer stopped", exc_info=True)
                self._unit.abandon()
                self.failure = error
                self._answer_soon([], [Outcome(f, error=self._stopped()) for _, f in batch])
                self._fail_waiting()
                return

    def _commit(self, batch: list) -> None:
        unit, outcomes = self.app.new_unit(), list[Outcome]()
        self._unit = unit
        for command, future in batch:
            unit.begin()
            try:
                outcomes.append(Outcome(future, command(unit), touched=unit.touched))
            except Exception as refused:  # noqa: BLE001 - handed to the request that sent it
                if unit.changed():  # it recorded events, then failed
                    unit.abandon()
                    if len(batch) > 1:
                        return self._one_by_one(batch)
                    unit = self._unit = self.app.new_unit()  # its only command failed
                if not isinstance(refused, DomainError):
                    log.exception("command failed")
                outcomes.append(Outcome(future, error=refused))
        recorded: Applied = []
        if unit.aggregates:
            try:
                recorded = [(r.domain_event, r.notification.id)
                            for r in self.app.save(*unit.aggregates)]
            except IntegrityError:
                unit.abandon()
                if len(batch) > 1:
                    return self._one_by_one(batch)
                retry = conflict("conflicting change, try again")
                outcomes = [Outcome(o.future, error=retry) for o in outcomes]
            except Exception as failure:  # noqa: BLE001 - e.g. disk full: every request hears
                unit.abandon()
                log.exception("save failed")
                outcomes = [Outcome(o.future, error=failure) for o in outcomes]
        if recorded:
            self.last_recorded = recorded[-1][1]
        self._settle(outcomes, recorded)

    def _one_by_one(self, batch: list) -> None:
        for item in batch:
            self._commit([item])

    def _settle(self, outcomes: list[Outcome], recorded: Applied = ()) -> None:
        """Project what was recorded (or catch up, after a failure), then answer: failures at
        once, successes once readable; listeners hear of every batch that was applied."""
        deadline = time.monotonic() + self.answer_within
        for outcome in outcomes:
            if outcome.error is None:
                outcome.deadline = deadline
                self._parked.append(outcome)
        answers = [o for o in outcomes if o.error is not None]
        applied: list[Applied] = []
        faults_before = len(self.projector.faults)
        try:
            if self.behind:
                self.projector.catch_up(on_batch=applied.append)
            else:
                self.projector.apply_recorded(recorded, on_batch=applied.append)
            self.behind, self._retry = False, 0.0
        except Exception:  # noqa: BLE001 - recorded: answers wait, the writer retries
            log.exception("projection failed: answers wait while it is retried",
                          extra={"last_recorded": self.last_recorded})
            self.behind, self._retry = True, min(max(self._retry * 2, 0.05), 2.0)
        faulted = {f["originator_id"]: f for f in self.projector.faults[faults_before:]}
        if not self.behind:
            answers += [self._readable(o, faulted) for o in self._parked]
            self._parked = []
        else:
            now = time.monotonic()
            answers += [Outcome(o.future, error=unavailable(NOT_YET_READABLE))
                        for o in self._parked if o.deadline <= now]
            self._parked = [o for o in self._parked if o.deadline > now]
        if applied or answers:
            self._answer_soon(applied, answers)

    @staticmethod
    def _readable(outcome: Outcome, faulted: dict[str, dict]) -> Outcome:
        for aggregate_id in outcome.touched:
            fault = faulted.get(str(aggregate_id))
            if fault is not None:
                return Outcome(outcome.future, error=unavailable(
                    f"recorded at position {fault['position']}, but read model"
                    f" {fault['model']} cannot apply it (see /health)"))
        return outcome

    def _fail_waiting(self) -> None:
        """After the thread stopped: everything still queued hears so at once."""
        waiting = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                waiting.append(Outcome(item[1], error=self._stopped()))
        if waiting:
            self._answer_soon([], waiting)

    def _answer_soon(self, applied: list[Applied], outcomes: list[Outcome]) -> None:
        self.loop.call_soon_threadsafe(self._answer, applied, outcomes)

    def _answer(self, applied: list[Applied], outcomes: list[Outcome]) -> None:
        """On the loop, once per batch (one wake-up, not one per request): listeners first,
        so a long poll is woken before the sender hears back, then every request."""
        for batch in applied:
            try:
                self.on_applied(batch)
            except Exception:  # noqa: BLE001 - a listener's fault must not hold up the answers
                log.exception("listener failed")
        for outcome in outcomes:
            if not outcome.future.done():
                if outcome.error is not None:
                    outcome.future.set_exception(outcome.error)
                else:
                    outcome.future.set_result(outcome.result)
