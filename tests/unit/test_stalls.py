"""The stalled-loop warning (api/stalls.py), on a real event loop held by a blocking call."""
import asyncio
import logging
import time

from api.stalls import Stalls


def hold_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # as an fsync on a disk that stopped answering would


def watched(body, after: float = 0.2):
    async def main() -> None:
        stalls = Stalls(asyncio.get_running_loop(), after=after, beat=0.02).start()
        try:
            await body()
        finally:
            stalls.stop()
    asyncio.run(main())


def warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "api.stalls"]


def test_a_stall_is_told_once_with_where_the_loop_stands_then_its_end(caplog):
    async def body() -> None:
        await asyncio.sleep(0.1)
        hold_the_loop(0.8)
        await asyncio.sleep(0.3)

    with caplog.at_level(logging.WARNING, logger="api.stalls"):
        watched(body)
    stalled, again = warnings(caplog)
    assert stalled.getMessage() == "the event loop is stalled: no request is served"
    assert stalled.seconds >= 0.2
    assert any(line.endswith(" hold_the_loop") for line in stalled.where), stalled.where
    assert again.getMessage() == "the event loop runs again"
    assert 0.6 <= again.stalled_seconds


def test_a_loop_that_keeps_turning_is_never_told(caplog):
    async def body() -> None:
        for _ in range(30):
            hold_the_loop(0.01)  # busy, but each turn short
            await asyncio.sleep(0.01)

    with caplog.at_level(logging.WARNING, logger="api.stalls"):
        watched(body)
    assert warnings(caplog) == []


def test_zero_turns_it_off(caplog):
    async def body() -> None:
        hold_the_loop(0.3)

    with caplog.at_level(logging.WARNING, logger="api.stalls"):
        watched(body, after=0)
    assert warnings(caplog) == []
