"""The IDENTIFY count slides: a day after an IDENTIFY it no longer counts."""
from api.maxchat.identifies import DAY, Identifies


def test_the_limit_counts_per_account_over_a_sliding_day():
    now = [0.0]
    limits = Identifies(2, clock=lambda: now[0])
    assert limits.allow("a") and limits.allow("a") and not limits.allow("a")
    assert limits.allow("b")
    now[0] = DAY - 1
    assert not limits.allow("a")
    now[0] = DAY + 0.5  # the first two are a day old now
    assert limits.allow("a") and limits.allow("a") and not limits.allow("a")
