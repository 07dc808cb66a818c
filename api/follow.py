"""Following the log: building the read models from it at start, and on a shared log
(PostgreSQL, several nodes) catching up with what the other nodes append, told by the log's
notifications. Either way the events reach the same listeners (`on_applied`) as this node's
own writes, and a cached aggregate another node changed is forgotten."""
import asyncio
import logging
import time
from collections.abc import Callable

from api.settle import Settling
from domain.application import Botbus
from domain.errors import DomainError, unavailable
from projections.projector import Applied, Projector

log = logging.getLogger(__name__)


class Progress:
    """Building the read models from a long log at start is logged every few seconds."""

    def __init__(self, head: int, every: float = 2.0) -> None:
        self.head, self.every = head, every
        self.start = self.last = time.monotonic()

    def __call__(self, batch: Applied) -> None:
        now = time.monotonic()
        done = batch[-1][1] >= self.head and self.last > self.start  # the end of a long one
        if now - self.last >= self.every or done:
            self.last = now
            log.warning("building the read models from the log", extra={
                "position": batch[-1][1], "log_position": self.head,
                "percent": round(100 * batch[-1][1] / max(self.head, 1), 1),
                "seconds": round(now - self.start, 1)})


class Following(Settling):
    _writing: object | None  # the writer's batch on its way to the log, if any
    _closed: bool
    failure: BaseException | None

    def __init__(self, app: Botbus, projector: Projector, loop: asyncio.AbstractEventLoop,
                 on_applied: Callable[[Applied], None], answer_within: float) -> None:
        super().__init__(projector, loop, on_applied, answer_within)
        self.app = app
        self.shared = False  # other nodes append to the log too
        self.recorded_here: set[int] = set()  # shared: this node's positions not yet applied
        self._follow: asyncio.Handle | None = None
        self._follow_after_write = False
        self._after_write: list[asyncio.Future] = []
        self._misses: asyncio.Future[bool] | None = None  # the follow the next misses share

    def catch_up(self) -> None:
        """Before serving: apply what an earlier run left unprojected (a crash between save
        and projection, a read model replayed after its VERSION changed). Nobody listens yet,
        and those events' live pushes belonged to sockets of that earlier run: no listeners.
        A failure here is loud but never stops the start: the writer retries once running."""
        self.last_recorded = self.app.recorder.max_notification_id() or 0
        try:
            self.projector.catch_up(on_batch=Progress(self.last_recorded))
        except Exception:  # noqa: BLE001 - /health shows it; retried with backoff
            log.exception("projections cannot catch up with the log at start")
            self.behind = True
            self._retry_later()

    def appended_elsewhere(self) -> None:
        """From any thread: the shared log has new events (another node's, or this one's own:
        the notification cannot tell). A burst of them is followed once."""
        self.loop.call_soon_threadsafe(self._schedule_follow)

    def _schedule_follow(self) -> None:
        if self._follow is None and not self._closed:
            self._follow = self.loop.call_soon(self.follow)

    def follow(self) -> None:
        """Catch the read models up with the log, and tell every listener (long polls,
        sockets, the gateway, webhooks) as for this node's own writes. Not while a batch of
        this node's is on its way: its positions are known once it is back, so listeners can
        tell this node's events (a live push it decided) from the others'."""
        self._follow = None
        if self._writing is not None:
            self._follow_after_write = True
        elif self.failure is None and not self._closed:
            self._settle([], catch_up=True)

    async def caught_up(self) -> None:
        """Follow the log now, once this node's batch on its way (if any) is back: after it,
        the read models hold everything committed before this call."""
        while self._writing is not None:
            written = self.loop.create_future()
            self._after_write.append(written)
            await written
        self.follow()

    async def followed_others(self) -> bool:
        """On a shared log, follow it now: whether that applied anything (api/misses.py).
        The misses met before a follow starts share it: a flood of unknown tokens costs one
        read of the log per turn of the loop, not one per request."""
        if not self.shared or self._closed or self.failure is not None:
            return False
        if self._misses is None:
            self._misses = asyncio.ensure_future(self._follow_for_misses())
        return await asyncio.shield(self._misses)

    async def _follow_for_misses(self) -> bool:
        self._misses = None  # started: a miss met from now on needs a follow of its own
        before = self.projector.position
        await self.caught_up()
        return self.projector.position > before

    def _stopped(self) -> DomainError:
        """What a command hears once the writer stopped."""
        if self.failure is None:
            return unavailable("the writer stopped: the server is stopping")
        return unavailable(f"the writer stopped: {self.failure!r}")

    def mine(self, position: int) -> bool:
        """Whether this node recorded the event at `position` (always, alone on its log)."""
        return not self.shared or position in self.recorded_here

    def _caught_up(self, applied: list[Applied], batch: Applied) -> None:
        """A cached aggregate another node has since changed would lose every race: forget it."""
        super()._caught_up(applied, batch)
        self.app.forget_stale(event for event, _ in batch)
        if batch:
            self.last_recorded = max(self.last_recorded, batch[-1][1])

    def _written_then_follow(self) -> None:
        """After a batch of this node's: the follow it put off, and who waits for it."""
        waiting, self._after_write = self._after_write, []
        for written in waiting:
            if not written.done():
                written.set_result(None)
        if self._follow_after_write:
            self._follow_after_write = False
            self.follow()
