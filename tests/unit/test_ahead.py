"""What is read while a batch is appended (api/ahead.ReadAhead) is used only for that very
batch, applied at the positions it was staged at."""
from api.ahead import ReadAhead
from api.callers import Callers
from api.longpoll import Waiters
from api.sockets import Sockets


async def _never(*args) -> None:
    raise AssertionError("nothing is reported here")


def read_ahead() -> ReadAhead:
    return ReadAhead(db=None, waiters=Waiters(), sockets=Sockets(_never, _never, 30.0),
                     callers=Callers(None))


def test_the_batch_staged_gets_what_was_read_for_it_once():
    ahead, event = read_ahead(), object()
    batch = [(event, 3)]
    ahead.staged(batch)
    assert ahead.applied([(event, 3)]) == {}  # read for it (no sockets here: no frames)
    assert ahead.applied([(event, 3)]) is None  # once


def test_another_batch_or_other_positions_get_nothing():
    ahead, event = read_ahead(), object()
    ahead.staged([(event, 3)])
    assert ahead.applied([(event, 4)]) is None  # the log numbered it otherwise
    ahead.staged([(event, 3)])
    assert ahead.applied([(object(), 3)]) is None  # its append failed: a later batch
    assert ahead.applied([]) is None
