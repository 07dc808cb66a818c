"""Dependencies shared by every dialect's routes."""
from typing import Annotated

from fastapi import Depends, Request

from api.runtime import Runtime


async def runtime(request: Request) -> Runtime:
    """Async, like every dependency here: FastAPI runs sync ones on worker threads, and the
    read connection belongs to the event loop's thread."""
    return request.app.state.runtime


CurrentRuntime = Annotated[Runtime, Depends(runtime)]
