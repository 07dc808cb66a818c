"""The running server's parts, built once by the app's lifespan: log, projector, writer,
the read connection, long-poll waiters and live sockets."""
import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any
from uuid import UUID

from sqlite_utils import Database

from api.ahead import ReadAhead
from api.botyard.config import BotyardConfig
from api.botyard.config import load as load_botyard_config
from api.botyard.sessions import Sessions
from api.callers import Callers
from api.filestore import FileStore
from api.logins import LoginThrottle
from api.longpoll import Polls, Taken, Waiters, addresses_touched
from api.maxchat.fanout import Fanout
from api.presence import Presence
from api.ratelimit import RateLimits
from api.readers import Readers
from api.retention import Retention
from api.secrets import Secrets, load_or_create
from api.settings import Settings
from api.sockets import Sockets
from api.webhooks import Deliveries
from api.writer import Writer
from domain.application import Botbus
from domain.logstore import is_shared, log_identity
from domain.recorder import GroupRecorder
from projections import directory, updates
from projections.checkpoints import Checkpoints
from projections.db import PROJECTIONS_FILE, discard_if_foreign, lock_data_dir, open_projections
from projections.files import store_dir
from projections.projector import Applied, Projector

if TYPE_CHECKING:
    from api.cluster import Node

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
    checkpoints: list[Checkpoints]  # the projections' WAL, and the SQLite log's
    limits: RateLimits
    botyard: BotyardConfig = field(default_factory=load_botyard_config)
    sessions: Sessions = field(default_factory=Sessions)  # Botyard's web users
    webhooks: Deliveries = field(init=False)
    retention: Retention = field(init=False)
    gateway: Fanout = field(init=False)
    node: "Node | None" = None  # on a shared log (PostgreSQL): this node's part in it
    readers: Readers | None = None  # shared: which queues this node hands out
    alive: set[int] | None = None  # shared: the other nodes alive, last heard
    stopping: bool = False

    @classmethod
    def start(cls, settings: Settings) -> tuple["Runtime", str | None]:
        """Everything a server runs on, from its settings; the webhook worker and the
        retention sweep are started by the caller, once in-flight pushes are back."""
        data, log_url = settings.data, settings.log_url
        lock = lock_data_dir(data)
        app = Botbus.open(data, log_url or None)
        node = join(app) if is_shared(log_url) else None
        if node is not None:
            discard_if_foreign(data, log_identity(app.env))
        secrets, new_admin_key = load_or_create(
            data, node.leases.shared_secrets if node is not None else None)
        app.key_secret = secrets.bot_key_secret
        loop = asyncio.get_running_loop()
        projector = Projector(app.recorder, app.mapper, open_projections(  # the loop's own
            data / PROJECTIONS_FILE, autocheckpoint=False))
        checkpoints = [Checkpoints(data / PROJECTIONS_FILE)]
        projector.on_projected = checkpoints[0].applied
        if isinstance(app.recorder, GroupRecorder) and app.recorder.path:  # the embedded log
            checkpoints.append(Checkpoints(app.recorder.path, name="log"))
            app.recorder.on_appended = checkpoints[-1].applied
            if node is None:  # the one writer: appends in a child process, projects meanwhile
                app.recorder.use_appender()
        db = projector.db  # reads see a batch held uncommitted past its answers

        def on_missed(message_id: UUID, reason: str) -> Awaitable[bool]:
            return writer.run(lambda unit: app.requeue_message(unit, message_id, reason))

        def on_received(message_id: UUID, address: str) -> Awaitable[bool]:
            return writer.submit(  # lazy: the client needs no answer
                lambda unit: app.acknowledge_message(unit, message_id, address), lazy=True)

        waiters = Waiters()
        sockets = Sockets(on_missed, on_received, settings.ack_timeout,
                          settings.sockets_per_account)
        callers = Callers(db)

        ahead = ReadAhead(db, waiters, sockets, callers)  # while the child appends a batch

        def on_applied(batch: Applied) -> None:
            events = [event for event, _ in batch]
            callers.forget(events)  # first: a revoked token is refused from now on
            touched = addresses_touched(events)
            frames = ahead.applied(batch)  # None: nothing was read ahead for this batch
            waiters.wake(touched, prepared=frames is not None)
            sockets.deliver(db, batch, writer.mine, frames)
            sockets.notify(db, batch)
            if started:
                started[0].webhooks.applied(events, touched)
                started[0].gateway.applied(batch)
            if writer.recorded_here:
                writer.recorded_here.difference_update(position for _, position in batch)

        started: list[Runtime] = []

        writer = Writer(app, projector, loop, on_applied, inline=node is None)
        writer.on_staged = ahead.staged
        writer.shared = node is not None
        writer.catch_up()
        app.ids.observe(directory.highest_number(db))
        writer.start()
        runtime = cls(app, writer, db, waiters, sockets, secrets, lock, callers, Taken(), Polls(),
                      FileStore(store_dir(data, settings.files), settings.max_upload_bytes),
                      checkpoints,
                      RateLimits(settings.telegram_rate_limit,
                                 settings.telegram_chat_rate_limit, logins=LoginThrottle(
                                     settings.login_failures, settings.login_window)),
                      node=node)
        runtime.webhooks = Deliveries(runtime, settings.webhook_gone_after)
        runtime.retention = Retention(runtime, settings.update_retention)
        runtime.gateway = Fanout(db)
        started.append(runtime)
        if node is not None:  # from here on, other nodes' appends reach every listener
            runtime.join(node)
        return runtime, new_admin_key

    def join(self, node: "Node") -> None:
        """Other nodes' appends, long polls and sockets reach this node from here on."""
        loop = self.writer.loop
        self.polls.announce = lambda address, started: node.signal(
            loop, {"poll": address, "started": started})
        self.readers = Readers(node, self.writer, self.taken, self.waiters)
        presence = self.sockets.presence = Presence(lambda signal: node.signal(loop, signal))
        node.follow(getattr(self.app.recorder, "channel_name", ""),
                    self.writer.appended_elsewhere,
                    lambda sender, signal: loop.call_soon_threadsafe(
                        self.signalled, sender, signal),
                    lambda alive: loop.call_soon_threadsafe(self.nodes_alive, alive))
        presence.hello()

    def nodes_alive(self, alive: set[int]) -> None:
        """Every few seconds. A node gone (killed, say) may have held pushes in flight that
        only it would have given back: what is in flight now and still is an ack timeout
        later goes back to its queue (a live node settles its own by then)."""
        if self.sockets.presence is not None:
            self.sockets.presence.alive(alive)
        gone = self.alive is not None and bool(self.alive - alive)
        self.alive = alive
        if gone and not self.stopping:
            log.warning("a node of the shared log is gone", extra={"alive": sorted(alive)})
            self.sockets.return_unless_settled(self.db, updates.in_flight(self.db), RESTARTED)

    def signalled(self, sender: int, signal: dict) -> None:
        """Another node's signal: a long poll it started, the sockets it holds."""
        if "poll" in signal:
            self.polls.started_elsewhere(signal["poll"], signal["started"])
        elif self.sockets.presence is not None:
            self.sockets.presence.heard(sender, signal, self.sockets.online_here)

    async def return_in_flight(self) -> None:
        """Pushes the last run made and no client acknowledged go back to their queues. On a
        shared log some are other nodes' and still in the air: only those still unanswered
        an ack timeout later go back (a live node settles its own by then)."""
        in_flight = updates.in_flight(self.db)
        if self.node is not None:
            self.sockets.return_unless_settled(self.db, in_flight, RESTARTED)
            return
        message_ids = [UUID(m) for m in in_flight]
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
        self.retention.stop()
        await self.webhooks.stop()
        await self.sockets.drain()  # the requeues they report go through the writer
        self.writer.stop()
        if isinstance(self.app.recorder, GroupRecorder) and self.app.recorder.appender:
            self.app.recorder.appender.close()
        for checkpoints in self.checkpoints:
            checkpoints.close()
        if self.node is not None:
            self.node.close()
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


def join(app: Botbus) -> "Node":
    """Imported here: psycopg is only installed with the `postgres` extra."""
    from api.cluster import Node
    return Node.join(app)
