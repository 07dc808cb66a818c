"""Sending rate limits: one-second windows per bot and per chat, off unless configured."""
from api.ratelimit import RateLimits


class Clock:
    def __init__(self, now: float = 100.25) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_no_limits_configured_lets_everything_through():
    limits = RateLimits()
    assert all(limits.retry_after("bot", "chat") is None for _ in range(10_000))


def test_per_bot_limit_counts_every_chat_and_resets_each_second():
    clock = Clock()
    limits = RateLimits(per_bot=2, clock=clock)
    assert limits.retry_after("b", "c1") is None
    assert limits.retry_after("b", "c2") is None
    assert limits.retry_after("b", "c3") == 1
    assert limits.retry_after("other", "c1") is None  # another bot has its own count
    clock.now = 101.0
    assert limits.retry_after("b", "c3") is None


def test_per_chat_limit_is_per_chat_of_a_bot():
    limits = RateLimits(per_chat=1, clock=Clock())
    assert limits.retry_after("b", "c1") is None
    assert limits.retry_after("b", "c1") == 1
    assert limits.retry_after("b", "c2") is None


def test_a_refused_call_is_not_counted():
    clock = Clock()
    limits = RateLimits(per_bot=5, per_chat=1, clock=clock)
    assert limits.retry_after("b", "c1") is None
    for _ in range(10):
        assert limits.retry_after("b", "c1") == 1  # refused by the chat limit, not counted
    assert [limits.retry_after("b", f"c{n}") for n in range(2, 7)] == [None] * 4 + [1]
