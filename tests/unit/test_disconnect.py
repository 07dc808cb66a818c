"""`gone(request)`: a client's departure seen without waiting, and nothing left behind."""
import asyncio

from starlette.requests import Request

from api.disconnect import gone


def request_with(receive) -> Request:
    return Request({"type": "http", "method": "POST", "headers": []}, receive)


def test_a_client_that_left_is_gone():
    async def receive():
        return {"type": "http.disconnect"}

    assert gone(request_with(receive)) is True


def test_a_client_still_connected_is_not_gone_and_its_waiter_is_cleaned_up():
    async def main():
        arrived = asyncio.Event()

        async def receive():
            await arrived.wait()  # as uvicorn waits for the next message
            return {"type": "http.disconnect"}

        answer = gone(request_with(receive))
        return answer, len(arrived._waiters)

    assert asyncio.run(main()) == (False, 0)
