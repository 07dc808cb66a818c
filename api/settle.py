"""After a batch is recorded: the projections catch up, then the requests hear back.

Answers wait, parked, while the projections cannot follow (disk full, I/O): the writer
retries with backoff, and past `answer_within` a parked answer turns into "recorded, not yet
readable". Listeners (`on_applied`: long polls, sockets) hear of each batch applied, before
the requests that wrote it are answered.
"""
import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple
from uuid import UUID

from domain.application import Prepared
from domain.errors import DomainError, Kind
from domain.unit import Unit
from projections.projector import Applied, Projector

log = logging.getLogger(__name__)
NOT_YET_READABLE = ("recorded, but not yet readable: the read models are behind the log"
                    " (see /health); it will show once they catch up")


class RecordedUnreadable(DomainError):
    """The command's events are in the log, but not (yet) in the read models: what it stored
    besides (an upload's bytes) must stay, since the log names it."""

    def __init__(self, message: str) -> None:
        super().__init__(Kind.UNAVAILABLE, message)


@dataclass
class Outcome:
    future: asyncio.Future
    result: Any = None
    error: BaseException | None = None
    touched: list[UUID] = field(default_factory=list)
    deadline: float = 0.0


class Item(NamedTuple):
    command: Callable[[Unit], Any]
    future: asyncio.Future
    lazy: bool
    attempt: int = 0  # how often it lost a race for an aggregate to another node


RETRIES = 3  # a command that keeps losing races answers 409


class Writing(NamedTuple):
    """A batch whose events are on their way to the log."""
    batch: list[Item]
    unit: Unit
    outcomes: list[Outcome]
    prepared: Prepared
    recorded: Future


class Settling:
    last_recorded: int

    def __init__(self, projector: Projector, loop: asyncio.AbstractEventLoop,
                 on_applied: Callable[[Applied], None], answer_within: float) -> None:
        self.projector, self.loop = projector, loop
        self.on_applied, self.answer_within = on_applied, answer_within
        self.behind = False  # the projections could not follow the last append
        self._parked: list[Outcome] = []  # recorded, answered once readable
        self._retry = 0.0
        self._retry_timer: asyncio.TimerHandle | None = None

    def _settle(self, outcomes: list[Outcome], recorded: Applied = (),
                catch_up: bool = False) -> None:
        """Project what was recorded (or catch up: after a failure, or with what other nodes
        appended), then answer: failures at once, successes once readable; listeners hear of
        every batch that was applied."""
        deadline = time.monotonic() + self.answer_within
        for outcome in outcomes:
            if outcome.error is None:
                outcome.deadline = deadline
                self._parked.append(outcome)
        answers = [o for o in outcomes if o.error is not None]
        applied: list[Applied] = []
        faults_before = len(self.projector.faults)
        try:
            if self.behind or catch_up:
                self.projector.catch_up(on_batch=partial(self._caught_up, applied))
            else:
                self.projector.apply_recorded(recorded, on_batch=applied.append)
            self.behind, self._retry = False, 0.0
        except Exception:  # noqa: BLE001 - recorded: answers wait, the writer retries
            log.exception("projection failed: answers wait while it is retried",
                          extra={"last_recorded": self.last_recorded})
            self._fall_behind()
        faulted = {f["originator_id"]: f for f in self.projector.faults[faults_before:]}
        if not self.behind:
            answers += [self._readable(o, faulted) for o in self._parked]
            self._parked = []
        else:
            now = time.monotonic()
            answers += [Outcome(o.future, error=RecordedUnreadable(NOT_YET_READABLE))
                        for o in self._parked if o.deadline <= now]
            self._parked = [o for o in self._parked if o.deadline > now]
        if applied or answers:
            self._answer(applied, answers)

    def _commit_held(self) -> None:
        """Commits the projection of batches already answered, which the projector held
        open past their answers (projections/projector.py); if that fails, the read models
        catch up from the log, as after a failed projection."""
        try:
            self.projector.commit()
        except Exception:  # noqa: BLE001 - recorded: the writer retries
            log.exception("projection commit failed: read models catch up from the log",
                          extra={"last_recorded": self.last_recorded})
            self._fall_behind()

    def _fall_behind(self) -> None:
        self.behind, self._retry = True, min(max(self._retry * 2, 0.05), 2.0)
        self._retry_later()

    def _caught_up(self, applied: list[Applied], batch: Applied) -> None:
        """Events read back from the log, some perhaps appended by other nodes."""
        applied.append(batch)

    def _retry_later(self) -> None:
        if self._retry_timer is None:
            self._retry_timer = self.loop.call_later(self._retry or 0.05, self._retried)

    def _retried(self) -> None:
        self._retry_timer = None
        if self.behind:
            self._settle([])  # catch up, release or expire what waits

    @staticmethod
    def _readable(outcome: Outcome, faulted: dict[str, dict]) -> Outcome:
        for aggregate_id in outcome.touched:
            fault = faulted.get(str(aggregate_id))
            if fault is not None:
                return Outcome(outcome.future, error=RecordedUnreadable(
                    f"recorded at position {fault['position']}, but read model"
                    f" {fault['model']} cannot apply it (see /health)"))
        return outcome

    def _answer(self, applied: list[Applied], outcomes: list[Outcome]) -> None:
        """Listeners first, so a long poll is woken before the sender hears back, then every
        request."""
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
