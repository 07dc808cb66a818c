"""LoginThrottle's sliding window on a clock of the test's own: a username is refused while
`failures` of its failures are younger than the window, and told when the oldest of those
ages out; keys with nothing left in the window are forgotten."""
from api.logins import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_past_each_failure_in_turn():
    clock = Clock()
    throttle = LoginThrottle(3, 60, clock)
    for step in (0, 10, 20):  # three failures at 1000, 1010, 1020
        clock.now = 1000 + step
        assert throttle.attempt("Ann", "a") is None
    clock.now = 1030
    assert throttle.attempt("ann", "b") == 30  # until the one at 1000 is 60 s old
    clock.now = 1060.5
    assert throttle.attempt("ann", "b") is None  # one slot free: counted again
    assert throttle.attempt("ann", "b") == 10  # the one at 1010 is next to go


def test_a_success_clears_the_username_and_takes_back_its_own_attempt():
    clock = Clock()
    throttle = LoginThrottle(2, 60, clock)
    assert throttle.attempt("ann", "a") is None
    assert throttle.attempt("ann", "a") is None
    throttle.succeeded("ANN", "a")
    assert throttle.attempt("ann", "a") is None  # the address keeps the first failure of its 20


def test_no_failures_allowed_means_no_throttle():
    throttle = LoginThrottle(0, 60, Clock())
    assert all(throttle.attempt("ann", "a") is None for _ in range(100))


def test_keys_with_nothing_in_the_window_are_forgotten():
    clock = Clock()
    throttle = LoginThrottle(3, 60, clock)
    for n in range(50):
        throttle.attempt(f"user{n}", "a")
    clock.now += 61
    throttle.attempt("late", "b")
    assert set(throttle._failed) == {"user:late", "address:b"}
