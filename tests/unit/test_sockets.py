"""Live delivery: a push counts once the client acknowledges it; what no socket acknowledges
(closed, failed, too slow) is reported missed, so it waits in the queue instead."""
import asyncio
from uuid import uuid4

from api.sockets import ACK_TIMEOUT_CLOSE, Sockets
from domain.messages import Message
from tests.doubles import FixedClock


def batch(*events: object) -> list[tuple[object, int]]:
    return [(event, position) for position, event in enumerate(events, 1)]


def mine(position: int) -> bool:  # alone on its log, a node recorded every event
    return True


class Peer:
    """The far end of one user socket: records frames, or fails as a closed socket does."""

    def __init__(self, closed: bool = False) -> None:
        self.closed, self.frames, self.close_codes = closed, [], []

    async def send_text(self, frame: str) -> None:
        if self.closed:
            raise RuntimeError("Cannot call send once a close message has been sent")
        self.frames.append(frame)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.close_codes.append(code)


class InFlight:
    """The projections' side of deliver(): the in-flight row, as in_flight_item reads it."""

    def execute(self, sql, params):
        row = {"update_id": 7, "id": params[0], "to_address": "ab", "content": '{"text": "hi"}',
               "delivered": 1, "date": 1, "sender_fp": "cd" * 16, "sender_is_bot": 1,
               "sender_name": "Bot"}
        return type("Cursor", (), {"fetchone": lambda self: row})()


class Reports:
    def __init__(self) -> None:
        self.missed, self.received = [], []

    async def miss(self, message_id, reason):
        self.missed.append((message_id, reason))

    async def receive(self, message_id, address):
        self.received.append((message_id, address))


def sent(to: str, delivered: bool = True) -> Message.Sent:
    message = Message(id=uuid4(), sender_id="bot", to=to, content={"text": "hi"},
                      delivered=delivered, timestamp=FixedClock()())
    return message.collect_events()[0]


def sockets_for(reports: Reports, ack_timeout: float = 30.0) -> Sockets:
    return Sockets(reports.miss, reports.receive, ack_timeout)


def run(steps) -> None:
    async def main():
        await steps()
        await asyncio.sleep(0.01)

    asyncio.run(main())


def test_a_delivered_message_reaches_every_open_socket_as_an_inbox_item():
    reports, peers = Reports(), [Peer(), Peer()]

    async def steps():
        sockets = sockets_for(reports)
        for peer in peers:
            sockets.add("ab", peer)
        sockets.deliver(InFlight(), batch(sent("ab")), mine)

    run(steps)
    assert reports.missed == [] and all(len(peer.frames) == 1 for peer in peers)
    assert peers[0].frames[0].startswith('{"update_id":7,"message":{"message_id":')


def test_an_ack_on_the_socket_it_was_pushed_on_records_it_received_once():
    reports, event = Reports(), sent("ab")

    async def steps():
        sockets = sockets_for(reports)
        live = sockets.add("ab", Peer())
        sockets.deliver(InFlight(), batch(event), mine)
        sockets.acknowledge(live, [str(event.originator_id)] * 2)
        await asyncio.sleep(0)
        sockets.remove(live)  # nothing left to give back

    run(steps)
    assert reports.received == [(event.originator_id, "ab")] and reports.missed == []


def test_an_ack_on_another_socket_counts_for_nothing():
    reports, event = Reports(), sent("ab")

    async def steps():
        sockets = sockets_for(reports)
        live = sockets.add("ab", Peer())
        stranger = sockets.add("ef", Peer())
        sockets.deliver(InFlight(), batch(event), mine)
        sockets.acknowledge(stranger, [str(event.originator_id)])
        await asyncio.sleep(0)
        sockets.remove(live)

    run(steps)
    assert reports.received == []
    assert reports.missed == [(event.originator_id, "socket closed before acknowledgement")]


def test_a_push_goes_back_only_when_its_last_socket_closes_unacknowledged():
    reports, event = Reports(), sent("ab")
    states = []

    async def steps():
        sockets = sockets_for(reports)
        first, second = sockets.add("ab", Peer()), sockets.add("ab", Peer())
        sockets.deliver(InFlight(), batch(event), mine)
        sockets.remove(first)
        await asyncio.sleep(0)
        states.append(list(reports.missed))
        sockets.remove(second)

    run(steps)
    assert states == [[]] and [m for m, _ in reports.missed] == [event.originator_id]


def test_a_recipient_gone_offline_is_reported_missed():
    reports, event = Reports(), sent("ab")

    async def steps():
        sockets_for(reports).deliver(InFlight(), batch(event), mine)

    run(steps)
    assert reports.missed == [(event.originator_id, "recipient went offline")]


def test_a_push_that_fails_on_every_socket_is_reported_missed():
    reports = Reports()

    async def steps():
        sockets = sockets_for(reports)
        sockets.add("ab", Peer(closed=True))
        sockets.deliver(InFlight(), batch(sent("ab")), mine)

    run(steps)
    assert [reason for _, reason in reports.missed] == ["socket closed"]


def test_one_live_socket_is_enough_and_queued_messages_are_not_pushed():
    reports, alive = Reports(), Peer()

    async def steps():
        sockets = sockets_for(reports)
        sockets.add("ab", Peer(closed=True))
        sockets.add("ab", alive)
        sockets.deliver(InFlight(), batch(sent("ab"), sent("ab", delivered=False)), mine)

    run(steps)
    assert reports.missed == [] and len(alive.frames) == 1


def test_past_the_ack_timeout_the_push_goes_back_before_the_socket_closes_with_4008():
    reports, slow, event = Reports(), Peer(), sent("ab")
    seen_at_close = []

    async def close(code: int = 1000, reason: str | None = None) -> None:
        seen_at_close.append(list(reports.missed))
        slow.close_codes.append(code)

    slow.close = close

    async def steps():
        sockets = sockets_for(reports, ack_timeout=0.05)
        sockets.add("ab", slow)
        sockets.deliver(InFlight(), batch(event), mine)
        await asyncio.sleep(0.2)
        assert not sockets.is_online("ab")

    run(steps)
    assert slow.close_codes == [ACK_TIMEOUT_CLOSE]
    assert seen_at_close == [[(event.originator_id, "not acknowledged in time")]]


def test_closing_all_at_a_stop_gives_back_every_unacknowledged_push():
    reports, peer, event = Reports(), Peer(), sent("ab")

    async def steps():
        sockets = sockets_for(reports)
        sockets.add("ab", peer)
        sockets.deliver(InFlight(), batch(event), mine)
        sockets.close_all()
        await sockets.drain()

    run(steps)
    assert peer.close_codes == [1012]
    assert reports.missed == [(event.originator_id, "server stopping")]


def test_a_message_another_node_recorded_as_delivered_is_pushed_here_never_requeued_here():
    """On a shared log the node holding the recipient's socket pushes, whoever recorded it;
    a node without one leaves it to the node that recorded it."""
    reports, peer = Reports(), Peer()

    async def steps():
        sockets = sockets_for(reports)
        sockets.add("ab", peer)
        sockets.deliver(InFlight(), batch(sent("ab"), sent("cd")), lambda position: False)

    run(steps)
    assert reports.missed == [] and len(peer.frames) == 1
