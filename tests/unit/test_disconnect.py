"""`gone(request)` and `read_body(request)`: the ASGI messages read without waiting or
streaming machinery, and nothing left behind."""
import asyncio

import pytest
from starlette.requests import ClientDisconnect, Request

from api.disconnect import gone
from api.params import read_body


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


def test_a_body_is_read_whole_from_its_chunks_and_once():
    messages = [{"type": "http.request", "body": b'{"a":', "more_body": True},
                {"type": "http.request", "body": b"1}", "more_body": False}]

    async def receive():
        return messages.pop(0)

    async def main():
        request = request_with(receive)
        return await read_body(request), await read_body(request)

    assert asyncio.run(main()) == (b'{"a":1}', b'{"a":1}')


def test_a_client_gone_while_its_body_is_read_is_a_disconnect():
    async def receive():
        return {"type": "http.disconnect"}

    with pytest.raises(ClientDisconnect):
        asyncio.run(read_body(request_with(receive)))
