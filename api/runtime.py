"""The running server's parts, built once by the app's lifespan: log, projector, writer,
the read connection, long-poll waiters and live sockets."""
import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from uuid import UUID

from sqlite_utils import Database

from api.longpoll import Waiters
from api.secrets import Secrets, load_or_create
from api.sockets import Sockets
from api.writer import Writer
from domain.application import Botbus
from projections import updates
from projections.db import PROJECTIONS_FILE, lock_data_dir, open_projections
from projections.projector import Applied, Projector


@dataclass
class Runtime:
    app: Botbus
    writer: Writer
    db: Database  # the event loop's read connection
    waiters: Waiters
    sockets: Sockets
    secrets: Secrets
    lock: IO

    @classmethod
    def start(cls, data: Path) -> tuple["Runtime", str | None]:
        lock = lock_data_dir(data)
        secrets, new_admin_key = load_or_create(data)
        app = Botbus.open(data)
        loop = asyncio.get_running_loop()
        projector = Projector(app.recorder, app.mapper,
                              open_projections(data / PROJECTIONS_FILE, handed_over=True))
        db = open_projections(data / PROJECTIONS_FILE)

        def on_missed(message_id: UUID, reason: str) -> None:
            sockets.spawn(writer.run(
                lambda unit: app.requeue_message(unit, message_id, reason)))

        waiters, sockets = Waiters(), Sockets(on_missed)

        def on_applied(batch: Applied) -> None:
            events = [event for event, _ in batch]
            waiters.wake(updates.addresses_touched(events))
            sockets.deliver(db, events)

        writer = Writer(app, projector, loop, on_applied)
        writer.catch_up()
        writer.start()
        return cls(app, writer, db, waiters, sockets, secrets, lock), new_admin_key

    def stop(self) -> None:
        self.writer.stop()
        self.sockets.close_all()
        self.app.close()
        self.db.close()
        self.lock.close()
