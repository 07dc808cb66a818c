"""The rules of a miss run again (api/misses.py): which refusals are misses, that a request
which submitted a command never runs twice, and that its files are read again from the start.
tests/scaleout/test_misses.py shows it across two real nodes."""
import asyncio
from types import SimpleNamespace

from starlette.requests import Request
from starlette.responses import Response

from api import misses
from api.filestore import FileStore
from api.follow import Following
from api.lean import LeanRoute
from api.telegram.errors import TelegramError, TelegramRoute, bad_request
from domain.errors import conflict, invalid, not_found, unauthorized

FILE_ID = "01JD0000000000000000000000"


class Writer:
    def __init__(self) -> None:
        self.follows = 0

    async def followed_others(self) -> bool:
        self.follows += 1
        return True


def request_to(writer: Writer) -> SimpleNamespace:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        runtime=SimpleNamespace(writer=writer))))


def test_a_request_that_submitted_a_command_is_never_run_again():
    writer = Writer()

    async def request(submits: bool) -> bool:
        if submits:
            misses.submitted()
        return await misses.behind(request_to(writer))  # type: ignore[arg-type]

    async def main() -> list[bool]:  # each request is a task of its own, as in uvicorn
        return list(await asyncio.gather(request(True), request(False), request(True)))

    assert asyncio.run(main()) == [False, True, False]
    assert writer.follows == 1


def test_without_a_runtime_nothing_is_behind():
    bare = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace()))
    assert asyncio.run(misses.behind(bare)) is False  # type: ignore[arg-type]


def test_a_form_file_read_by_the_first_run_is_stored_whole_by_the_second(tmp_path):
    """The second run reads the form the first kept on the request, and the file store reads
    an upload from its start, wherever the first run left it."""
    body = (b"--b\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n7\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a.bin\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + b"x" * 5000 + b"\r\n--b--\r\n")

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def main() -> tuple[bytes, int, bytes]:
        request = Request({"type": "http", "method": "POST", "query_string": b"", "headers": [
            (b"content-type", b"multipart/form-data; boundary=b")]}, receive)
        first = await (await request.form())["document"].read()  # type: ignore[union-attr]
        again = (await request.form())["document"]  # the second run's form: the same one
        store = FileStore(tmp_path, 1 << 20)
        blob = await store.take(FILE_ID, again, "file")  # type: ignore[arg-type]
        await request.close()
        path = store.path(FILE_ID)
        assert path is not None
        return first, blob.size, path.read_bytes()

    assert asyncio.run(main()) == (b"x" * 5000, 5000, b"x" * 5000)


def test_what_counts_as_a_miss():
    route = LeanRoute.__new__(LeanRoute)
    plain = Response(status_code=200)
    assert route.missed(not_found("no such chat"), plain)
    assert route.missed(unauthorized("invalid token"), plain)  # featherChat answers 200
    assert not route.missed(invalid("text is required"), Response(status_code=404))
    assert not route.missed(conflict("try again"), plain)
    assert route.missed(ValueError(), Response(status_code=404))
    assert not route.missed(ValueError(), Response(status_code=400))

    telegram = TelegramRoute.__new__(TelegramRoute)
    for description in ("chat not found", "message to edit not found", "invalid file_id",
                        "query is too old and response timeout expired or query ID is invalid"):
        assert telegram.missed(bad_request(description), plain), description
    assert telegram.missed(TelegramError(401, "Unauthorized"), plain)
    assert not telegram.missed(bad_request("message text is empty"), plain)
    assert not telegram.missed(TelegramError(404, "Not Found: method not found"), plain)
    assert telegram.missed(not_found("no such message"), plain)


def test_the_misses_met_before_a_follow_starts_share_it():
    """A flood of unknown tokens on a shared log reads the log once per turn of the loop."""
    follower = Following.__new__(Following)  # only the follow's bookkeeping is exercised
    follower.shared, follower._closed, follower.failure, follower._misses = True, False, None, None
    follower.projector = SimpleNamespace(position=0)
    follows: list[int] = []

    async def caught_up() -> None:
        follows.append(follower.projector.position)
        follower.projector.position += 1  # another node's append, applied

    follower.caught_up = caught_up  # type: ignore[method-assign]

    async def main() -> tuple[list[bool], bool]:
        flood = await asyncio.gather(*(follower.followed_others() for _ in range(50)))
        return list(flood), await follower.followed_others()

    flood, later = asyncio.run(main())
    assert flood == [True] * 50 and later is True
    assert follows == [0, 1]  # one follow for the flood, one for the miss after it started
    follower.shared = False
    assert asyncio.run(follower.followed_others()) is False and follows == [0, 1]
