"""Dependencies shared by every dialect's routes."""
from typing import Annotated

from fastapi import Depends, Request

from api.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


CurrentRuntime = Annotated[Runtime, Depends(runtime)]
