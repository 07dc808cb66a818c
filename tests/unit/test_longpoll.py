"""A parked poll's wake-up (api/longpoll.Watch): woken at once, timed out on time, and
resumed ahead of the requests answered after it was woken."""
import asyncio

from api.longpoll import Waiters


def test_a_watch_set_before_waiting_answers_at_once_and_one_never_set_times_out():
    async def main():
        waiters = Waiters()
        with waiters.watch("a") as early, waiters.watch("b") as never:
            waiters.wake(["a"])
            return await early.wait(5), await never.wait(0.01), never.is_set()

    assert asyncio.run(main()) == (True, False, False)


def test_a_cleared_watch_waits_for_the_next_wake():
    async def main():
        waiters = Waiters()
        with waiters.watch("a") as woken:
            waiters.wake(["a"])
            woken.clear()
            waiting = asyncio.ensure_future(woken.wait(5))
            await asyncio.sleep(0.01)
            parked = not waiting.done()
            waiters.wake(["a", "elsewhere"])
            return parked, await waiting

    assert asyncio.run(main()) == (True, True)


def test_a_woken_poll_resumes_before_a_request_whose_answer_was_set_after_it():
    """The writer wakes polls, then resolves the requests of the batch: the poll must answer
    first (it is the bot waiting for the update), as with any awaited future."""
    async def main():
        loop, order = asyncio.get_running_loop(), []
        waiters, answer = Waiters(), loop.create_future()

        async def poll():
            with waiters.watch("bot") as woken:
                await woken.wait(5)
                order.append("poll")

        async def request():
            await answer
            order.append("request")

        tasks = [asyncio.ensure_future(poll()), asyncio.ensure_future(request())]
        await asyncio.sleep(0)  # both parked
        waiters.wake(["bot"])
        answer.set_result(None)
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(main()) == ["poll", "request"]


def test_a_cancelled_wait_leaves_no_timer_and_a_later_wake_harms_nothing():
    async def main():
        waiters = Waiters()
        with waiters.watch("a") as woken:
            waiting = asyncio.ensure_future(woken.wait(0.05))
            await asyncio.sleep(0)
            waiting.cancel()
            await asyncio.sleep(0.1)  # its timer would have fired here
            waiters.wake(["a"])
            return waiting.cancelled(), await woken.wait(1)

    assert asyncio.run(main()) == (True, True)
