"""The running server's parts, built once by the app's lifespan: log, projector, writer,
the read connection, long-poll waiters and live sockets."""
import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from sqlite_utils import Database

from api.botyard.config import BotyardConfig
from api.botyard.config import load as load_botyard_config
from api.botyard.sessions import Sessions
from api.callers import Callers
from api.filestore import FileStore
from api.longpoll import Polls, Taken, Waiters, addresses_touched
from api.maxchat.fanout import Fanout
from api.ratelimit import RateLimits
from api.secrets import Secrets, load_or_create
from api.sockets import Sockets
from api.webhooks import Deliveries
from api.writer import Writer
from domain.application import Botbus
from projections import directory, updates
from projections.db import PROJECTIONS_FILE, lock_data_dir, open_projections
from projections.projector import Applied, Projector

log = logging.getLogger(__name__)
RESTARTED = "server restarted before acknowledgement"


@dataclass
class Runtime:
    app: Botbus
    writer: Writer
    db: Database  # the event loop's read connection
    waiters: Waiters
    sockets: Sockets
    secrets: Secrets
    lock: IO
    callers: Callers
    taken: Taken
    polls: Polls
    files: FileStore
    limits: RateLimits = field(default_factory=RateLimits)
    botyard: BotyardConfig = field(default_factory=load_botyard_config)
    sessions: Sessions = field(default_factory=Sessions)  # Botyard's web users
    webhooks: Deliveries = field(init=False)
    gateway: Fanout = field(init=False)
    stopping: bool = False

    @classmethod
    def start(cls, data: Path, ack_timeout: float = 30.0, max_upload: int = 2 << 30
              ) -> tuple["Runtime", str | None]:
        lock = lock_data_dir(data)
        secrets, new_admin_key = load_or_create(data)
        app = Botbus.open(data)
        app.key_secret = secrets.bot_key_secret
        loop = asyncio.get_running_loop()
        projector = Projector(app.recorder, app.mapper,
                              open_projections(data / PROJECTIONS_FILE))  # the loop's own
        db = open_projections(data / PROJECTIONS_FILE)

        def on_missed(message_id: UUID, reason: str) -> Awaitable[bool]:
            return writer.run(lambda unit: app.requeue_message(unit, message_id, reason))

        def on_received(message_id: UUID, address: str) -> Awaitable[bool]:
            return writer.submit(  # lazy: the client needs no answer
                lambda unit: app.acknowledge_message(unit, message_id, address), lazy=True)

        waiters, sockets = Waiters(), Sockets(on_missed, on_received, ack_timeout)
        callers = Callers(db)

        def on_applied(batch: Applied) -> None:
            events = [event for event, _ in batch]
            callers.forget(events)  # first: a revoked token is refused from now on
            touched = addresses_touched(events)
            waiters.wake(touched)
            sockets.deliver(db, events)
            sockets.notify(db, batch)
            if started:
                started[0].webhooks.applied(events, touched)
                started[0].gateway.applied(batch)

        started: list[Runtime] = []

        writer = Writer(app, projector, loop, on_applied)
        writer.catch_up()
        app.ids.observe(directory.highest_number(db))
        writer.start()
        runtime = cls(app, writer, db, waiters, sockets, secrets, lock, callers, Taken(), Polls(),
                      FileStore(data, max_upload))
        runtime.webhooks = Deliveries(runtime)
        runtime.gateway = Fanout(db)
        started.append(runtime)
        return runtime, new_admin_key

    async def return_in_flight(self) -> None:
        """Pushes the last run made and no client acknowledged go back to their queues."""
        message_ids = [UUID(m) for m in updates.in_flight(self.db)]
        if message_ids:
            await self.writer.run(lambda unit: [
                self.app.requeue_message(unit, m, RESTARTED) for m in message_ids])
            log.info("returned unacknowledged pushes to their queues",
                     extra={"messages": len(message_ids)})

    def begin_stop(self) -> None:
        """SIGTERM: parked long polls answer now, sockets close (1012), pushes requeued."""
        self.stopping = True
        self.waiters.wake_all()
        self.sockets.close_all()
        self.gateway.reconnect_all()

    async def stop(self) -> None:
        self.begin_stop()
        await self.webhooks.stop()
        await self.sockets.drain()  # the requeues they report go through the writer
        self.writer.stop()
        self.app.close()
        self.db.close()
        self.lock.close()

    def health(self) -> tuple[int, dict[str, Any]]:
        """200 `{"ok": true}` while every read model follows the log; 503 with the details
        when one is behind, has set events aside, or the writer stopped."""
        projector, writer = self.writer.projector, self.writer
        behind = {name: position for name, position in projector.positions.items()
                  if position < writer.last_recorded}
        if not (behind or writer.behind or projector.faults or writer.failure):
            return 200, {"ok": True}
        problems = []
        if writer.failure is not None:
            problems.append("the writer stopped")
        if behind or writer.behind:
            problems.append("read models are behind the log")
        if projector.faults:
            problems.append("read models set events aside")
        return 503, {"ok": False, "description": "; ".join(problems),
                     "log_position": writer.last_recorded,
                     "read_models": dict(projector.positions), "faults": projector.faults}
