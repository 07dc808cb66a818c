"""The one writer: group commit on the event loop.

Commands wait in a queue while a batch is written; then every command waiting runs against
one Unit, and one transaction appends their events (one fsync for the batch). The projections
catch up before any request is answered: an answer means durable and readable.

On the embedded SQLite log the loop waits for each append (`inline`), as Redis waits for its
`appendfsync always` writes: a child process appends (domain/appender.py) while the loop
projects the batch, uncommitted until the log has it, and committed a turn after the
answers, which read it through the projector's own connection. On a thread the append took
the GIL back from the busy loop, and those handoffs cost more than the fsync (measured: 1.4
against 0.9 ms of CPU per round trip at 10 users). The price: a stalling disk stalls the
server. A PostgreSQL log appends on the log's thread: the loop serves during the network
round trip.

If the batch conflicts (or a command failed after changing an aggregate, or its events
cannot be encoded), each command runs again alone: one bad command never sinks the others.
A lazy command (an ack, a read's confirmation) waits up to `linger` to ride with another.

Once a batch is recorded, nothing after can turn its answers into failures or run it again.
If the projections cannot follow (disk full, I/O), its answers wait while the writer retries
with backoff, and turn into "recorded, not yet readable" only past `answer_within`. A command
whose event a read model set aside as a fault is told so; the others are answered.
"""
import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from eventsourcing.persistence import IntegrityError

from api import misses
from api.follow import Following
from api.settle import NOT_YET_READABLE, RETRIES, Item, Outcome, Writing
from domain.application import Botbus, Prepared
from domain.errors import DomainError, conflict
from domain.recorder import GroupRecorder
from domain.unit import Unit
from projections.projector import Applied, Projector

log = logging.getLogger(__name__)
T = TypeVar("T")
__all__ = ["NOT_YET_READABLE", "Writer"]


class Writer(Following):
    def __init__(self, app: Botbus, projector: Projector, loop: asyncio.AbstractEventLoop,
                 on_applied: Callable[[Applied], None], max_batch: int = 500,
                 answer_within: float = 10.0, linger: float = 0.005,
                 inline: bool = False) -> None:
        super().__init__(app, projector, loop, on_applied, answer_within)
        self.max_batch, self.linger, self.inline = max_batch, linger, inline
        self.on_staged: Callable[[Applied], None] = lambda batch: None
        recorder = app.recorder  # its appender, if a child process appends (embedded log)
        self.appender = recorder.appender \
            if inline and isinstance(recorder, GroupRecorder) else None
        self.failure: BaseException | None = None  # what stopped the writer, if anything
        self.last_recorded = 0
        self._waiting: deque[Item] = deque()
        self._eager = 0  # waiting commands that are not lazy
        self._alone = 0  # how many of the first waiting commands must run one by one
        self._writing: Writing | None = None
        self._unit: Unit | None = None  # the batch whose commands are running
        self._timer: asyncio.Handle | None = None  # the next batch's start, soon or lingering
        self._lingering = False  # uvloop's timer handles cannot tell (it cost 5 ms a command)
        self._running = self._closed = False
        self._log = ThreadPoolExecutor(1, "botbus-log")  # appends (unless inline), snapshots

    def start(self) -> None:
        self._running = True
        self._kick()

    def stop(self) -> None:
        """Write what is being written and what waits, then close the log's thread."""
        self._running, self._closed = False, True
        for timer in (self._timer, self._retry_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._retry_timer = None
        while self.failure is None and (self._writing is not None or self._waiting):
            if self._writing is None:
                self._next()
            writing = self._writing
            if writing is not None:
                writing.recorded.exception()  # waits: the outcome is handled just below
                self._written(writing)
        self._commit_held()
        self._log.shutdown(wait=True)

    async def run(self, command: Callable[[Unit], T]) -> T:
        return await self.submit(command)

    def submit(self, command: Callable[[Unit], T], lazy: bool = False) -> "asyncio.Future[T]":
        """The command's future, resolved once it is durable and readable (or refused)."""
        if self.failure is not None or self._closed:
            raise self._stopped()
        if self.shared:
            misses.submitted()
        future = self.loop.create_future()
        self._waiting.append(Item(command, future, lazy))
        self._eager += not lazy
        self._kick()
        return future

    def _kick(self) -> None:
        """Start the next batch soon, or after `linger` if only lazy commands wait. Soon is
        a turn of the loop later than the next, so what the last batch woke (requests read,
        polls, sockets) joins this one: fewer, fuller batches, each holding the loop for one
        fsync. Measured at 10 and 50 users: 10-25 % more round trips/s, 10-20 % less CPU per
        round trip (two turns or three: no better)."""
        if not self._running or self._writing is not None or not self._waiting:
            return
        if self._eager or self._alone:
            if self._timer is not None and self._lingering:  # no longer needed
                self._timer.cancel()
                self._timer = None
            if self._timer is None:
                self._timer, self._lingering = self.loop.call_soon(self._soon), False
        elif self._timer is None:
            self._timer, self._lingering = self.loop.call_later(self.linger, self._next), True

    def _soon(self) -> None:
        self._timer = self.loop.call_soon(self._next)

    def _next(self) -> None:
        self._timer = None
        if self._writing is not None or not self._waiting or self.failure is not None:
            return
        size = 1 if self._alone else self.max_batch
        batch = [self._waiting.popleft() for _ in range(min(size, len(self._waiting)))]
        self._alone = max(self._alone - 1, 0)
        self._eager -= sum(not item.lazy for item in batch)
        try:
            writing = self._begin(batch)
        except Exception as error:  # noqa: BLE001 - a bug here must not stop the writer
            self._unit_abandon()
            if len(batch) > 1:  # one command's events may be what cannot be encoded
                return self._again_alone(batch)
            log.exception("writer failed on a command")
            self._answer([], [Outcome(item.future, error=error) for item in batch])
            writing = None  # and the writer goes on with what waits
        except BaseException as error:
            log.critical("writer stopped", exc_info=True)
            self._unit_abandon()
            self.failure = error
            waiting, self._waiting = [*batch, *self._waiting], deque()
            self._answer([], [Outcome(item.future, error=self._stopped()) for item in waiting])
            return
        if self.inline and writing is not None:  # appended already
            self._written(writing)
        self._kick()

    def _begin(self, batch: list[Item]) -> Writing | None:
        """Run the batch's commands, encode their events, and send them to the log."""
        if self.appender is not None:
            self.appender.wake()  # it is awake when the batch comes
        unit, outcomes = self.app.new_unit(), list[Outcome]()
        self._unit = unit
        for item in batch:
            unit.begin()
            try:
                outcomes.append(Outcome(item.future, item.command(unit), touched=unit.touched))
            except Exception as refused:  # noqa: BLE001 - handed to the request that sent it
                if unit.changed():  # it recorded events, then failed
                    unit.abandon()
                    if len(batch) > 1:
                        self._again_alone(batch)
                        return None
                    unit = self._unit = self.app.new_unit()  # its only command failed
                if not isinstance(refused, DomainError):
                    log.exception("command failed")
                outcomes.append(Outcome(item.future, error=refused))
        if not unit.aggregates:
            self._settle(outcomes)
            return None
        prepared = self.app.prepare(*unit.aggregates)
        recorded = self._append(prepared)
        writing = self._writing = Writing(batch, unit, outcomes, prepared, recorded)
        if not self.inline:
            recorded.add_done_callback(
                lambda _: self.loop.call_soon_threadsafe(self._written, writing))
        return writing

    def _append(self, prepared: Prepared) -> Future:
        """The append, done (inline) or on its way on the log's thread."""
        if not self.inline:
            return self._log.submit(self.app.record, prepared)
        recorded: Future = Future()
        try:
            pending = self.app.start_record(prepared)
            if not pending.done:  # appended by a child process: project meanwhile
                staged = list(zip(prepared.processing_event.events, pending.expected,
                                  strict=True))
                self.projector.stage(staged)
                if self.projector.staged is staged:  # listeners read ahead, push nothing
                    self.on_staged(staged)
            recorded.set_result(pending.wait())  # stage raises nothing: the answer is read
        except Exception as failure:  # noqa: BLE001 - `_written` tells each request
            recorded.set_exception(failure)
        return recorded

    def _written(self, writing: Writing) -> None:
        """On the loop, once the log has the batch (or refused it): project, then answer."""
        if self._writing is not writing:
            return  # already handled (by a stop, which waits for it in place)
        self._writing = None
        outcomes, recorded = writing.outcomes, list[tuple[object, int]]()
        try:
            ids = writing.recorded.result()
        except IntegrityError:
            self.projector.unstage()
            writing.unit.abandon()  # so its aggregates are read again from the log
            if len(writing.batch) > 1:
                return self._again_alone(writing.batch)
            item = writing.batch[0]
            if item.attempt < RETRIES:  # another node wrote first: run it on the new state
                return self._again_alone([item._replace(attempt=item.attempt + 1)])
            retry = conflict("conflicting change, try again")
            outcomes = [Outcome(o.future, error=retry) for o in outcomes]
        except Exception as failure:  # noqa: BLE001 - e.g. disk full: every request hears
            writing.unit.abandon()
            log.exception("save failed")
            outcomes = [Outcome(o.future, error=failure) for o in outcomes]
        else:
            recorded = self.app.finish(writing.prepared, ids, later=self._later)
            if recorded:
                self.last_recorded = recorded[-1][1]
            if self.shared:
                self.recorded_here.update(ids)
        self._settle(outcomes, recorded)
        if self.projector.held:  # committed once the requests it woke have run
            self.loop.call_soon(self._commit_held)
        self._written_then_follow()
        self._kick()

    def _again_alone(self, batch: list[Item]) -> None:
        """Back to the front of the queue, to run one by one."""
        self._waiting.extendleft(reversed(batch))
        self._eager += sum(not item.lazy for item in batch)
        self._alone += len(batch)
        self._kick()

    def _later(self, write: Callable[[], object]) -> None:
        """A snapshot is written on the log's thread, after what is queued there; or, while
        a child appends, on the loop between two appends: from the log's thread its write
        lock met the child's appends, which then slept in SQLite's busy handler (1 ms and
        more, one append in a hundred at one user)."""
        if self.appender is not None:
            self.loop.call_soon(write)
        else:
            self._log.submit(write)

    def _unit_abandon(self) -> None:
        if self._unit is not None:
            self._unit.abandon()
