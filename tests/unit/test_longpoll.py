"""A parked poll's wake-up (api/longpoll.Watch): woken at once, timed out on time, and
resumed ahead of the requests answered after it was woken."""
import asyncio

from api.longpoll import Waiters, untaken


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


def test_a_read_made_ahead_is_handed_over_only_for_the_batch_applied_and_only_once():
    """`prepare` reads while a batch is appended; `wake(prepared=True)` hands the read to
    the poll, which uses it only if nothing was applied since (the position it was read at)."""
    async def main():
        waiters, reads = Waiters(), []
        with waiters.watch("bot") as woken, waiters.watch("other") as other:
            woken.reader = lambda: reads.append("bot") or ["update 7"]
            other.reader = lambda: reads.append("other") or ["never"]
            waiters.prepare(["bot"], position=7)
            waiters.wake(["bot"], prepared=True)
            handed = woken.clear(position=7)
            again = woken.clear(position=7)  # consumed
            waiters.prepare(["bot"], position=9)
            waiters.wake(["bot"], prepared=True)
            moved_on = woken.clear(position=10)  # something was applied after it
            return handed, again, moved_on, reads, other.clear(position=7)

    handed, again, moved_on, reads, other = asyncio.run(main())
    assert handed == ["update 7"] and again is None and moved_on is None
    assert reads == ["bot", "bot"] and other is None  # only the queues the batch touched


def test_a_read_made_for_a_batch_whose_append_failed_is_never_used():
    async def main():
        waiters = Waiters()
        with waiters.watch("bot") as woken:
            woken.reader = lambda: ["from the failed batch"]
            waiters.prepare(["bot"], position=5)  # that append failed: no prepared wake
            waiters.wake(["bot"])  # woken otherwise (a later batch, a stop)
            first = woken.clear(position=5)
            waiters.wake(["bot"], prepared=True)  # a later batch, read ahead for nothing here
            return first, woken.clear(position=5)

    assert asyncio.run(main()) == (None, None)


def test_a_reader_that_fails_leaves_the_poll_to_read_for_itself(caplog):
    async def main():
        waiters = Waiters()
        with waiters.watch("bot") as woken:
            woken.reader = lambda: 1 / 0
            waiters.prepare(["bot"], position=3)
            waiters.wake(["bot"], prepared=True)
            return woken.is_set(), woken.clear(position=3)

    assert asyncio.run(main()) == (True, None)
    assert "read ahead failed" in caplog.text


def test_what_another_poll_took_or_an_offset_confirmed_since_is_left_out():
    ready = [({"update_id": n}, f"shown {n}") for n in (4, 5, 6)]
    assert untaken(ready, held={5}) == [ready[0], ready[2]]
    assert untaken(ready, held=(), above=5) == [ready[2]]
    assert untaken(None, held=()) == []
