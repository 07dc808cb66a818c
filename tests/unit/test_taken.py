"""Updates a read handed out, held until its lazy confirmation lands (api/longpoll.Taken)."""
import asyncio

from api.longpoll import Taken

QUEUE = [{"update_id": n} for n in range(1, 8)]


def read(n: int) -> list[dict]:
    return QUEUE[:n]


def ids(items: list[dict]) -> list[int]:
    return [item["update_id"] for item in items]


def test_later_reads_skip_what_is_held_and_still_fill_their_limit():
    async def main():
        taken = Taken()
        first = taken.skip("bot", read, 3)
        confirmed = asyncio.get_running_loop().create_future()
        taken.hold("bot", ids(first), confirmed)
        second = taken.skip("bot", read, 3)
        other = taken.skip("someone else", read, 2)
        confirmed.set_result(True)
        await asyncio.sleep(0)
        return first, second, other, taken.skip("bot", read, 2)

    first, second, other, after = asyncio.run(main())
    assert ids(first) == [1, 2, 3] and ids(second) == [4, 5, 6] and ids(other) == [1, 2]
    assert ids(after) == [1, 2]  # `read` is a fixed list here: the confirmation released them


def test_a_failed_confirmation_hands_the_updates_out_again(caplog):
    async def main():
        taken = Taken()
        confirmed = asyncio.get_running_loop().create_future()
        taken.hold("bot", [1, 2], confirmed)
        held = taken.skip("bot", read, 2)
        confirmed.set_exception(RuntimeError("disk full"))
        await asyncio.sleep(0)
        return held, taken.skip("bot", read, 2)

    held, again = asyncio.run(main())
    assert ids(held) == [3, 4] and ids(again) == [1, 2]
    assert "handed out again" in caplog.text
