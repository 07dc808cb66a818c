"""The uvicorn server, told of a stop before it waits for open requests; the process's GIL
and garbage collector set for serving."""
import gc
import socket
import sys

import uvicorn
from fastapi import FastAPI


class Graceful(uvicorn.Server):
    """uvicorn waits for every open request before the app's lifespan hears of a stop, so
    parked long polls would hold a SIGTERM for their whole timeout: the runtime hears first
    (polls answer, sockets close with 1012), then uvicorn stops as usual."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.botbus_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        runtime = getattr(self.botbus_app.state, "runtime", None)
        if runtime is not None:
            runtime.begin_stop()
        await super().shutdown(sockets)


# A PostgreSQL log's thread (api/writer.py) needs the GIL back after each append while the
# event loop runs Python: at the default 5 ms switch interval it waited up to 5 ms each time.
# 1 ms measured +15-25 % round trips/s on the echo bench at 10 and 50 users (then on the
# SQLite log, which now appends on the loop); 0.3 to 0.05 ms measured no better.
SWITCH_INTERVAL = 0.001


def share_the_gil() -> None:
    sys.setswitchinterval(SWITCH_INTERVAL)


# Python's cyclic garbage collector, measured on the echo bench at 50 users: a full
# collection every ~1.5 s that took 60-80 ms each, scanning the ~100,000 objects FastAPI,
# pydantic and the routes are made of (the p99 was mostly these pauses). Frozen once the app
# is built, they are never scanned again; and with a first generation of 5,000 objects
# instead of 700, the objects of requests in flight die young (freed by their reference
# counts) instead of being promoted to older generations, whose collections then come
# seldom. Measured together: p99 at 50 users 145-170 → 55-58 ms, +10 % round trips/s at 10.
# A cycle of garbage still waits for at most 5,000 new objects.
YOUNGEST_GENERATION = 5000


def settle_the_heap() -> None:
    """Once the app is built, before serving."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION, middle, oldest)
