"""Live delivery: what cannot reach a socket is reported, so it waits in the queue instead."""
import asyncio
from uuid import uuid4

from api.sockets import Sockets
from domain.messages import Message
from tests.doubles import FixedClock


class Peer:
    """The far end of one user socket: records frames, or fails as a closed socket does."""

    def __init__(self, closed: bool = False) -> None:
        self.closed, self.frames = closed, []

    async def send_text(self, frame: str) -> None:
        if self.closed:
            raise RuntimeError("Cannot call send once a close message has been sent")
        self.frames.append(frame)


class Messages:
    """The projections' side of deliver(): one message row, as messages.get returns it."""

    def execute(self, sql, params):
        row = {"id": params[0], "to_address": "ab", "content": '{"text": "hi"}', "delivered": 1,
               "date": 1, "sender_fp": "cd" * 16, "sender_is_bot": 1, "sender_name": "Bot"}
        return type("Cursor", (), {"fetchone": lambda self: row})()


def sent(to: str, delivered: bool = True) -> Message.Sent:
    message = Message(id=uuid4(), sender_id="bot", to=to, content={"text": "hi"},
                      delivered=delivered, timestamp=FixedClock()())
    return message.collect_events()[0]


def run(sockets: Sockets, events) -> None:
    async def main():
        sockets.deliver(Messages(), events)
        await asyncio.sleep(0.01)

    asyncio.run(main())


def test_a_delivered_message_reaches_every_open_socket_of_its_recipient():
    missed, peers = [], [Peer(), Peer()]
    sockets = Sockets(lambda message_id, reason: missed.append(reason))
    for peer in peers:
        sockets.add("ab", peer)
    run(sockets, [sent("ab")])
    assert missed == [] and all(len(peer.frames) == 1 for peer in peers)
    assert '"text":"hi"' in peers[0].frames[0]


def test_a_recipient_gone_offline_is_reported_missed():
    missed = []
    sockets = Sockets(lambda message_id, reason: missed.append((message_id, reason)))
    event = sent("ab")
    run(sockets, [event])
    assert missed == [(event.originator_id, "recipient went offline")]


def test_a_push_that_fails_on_every_socket_is_reported_missed():
    missed = []
    sockets = Sockets(lambda message_id, reason: missed.append(reason))
    sockets.add("ab", Peer(closed=True))
    run(sockets, [sent("ab")])
    assert missed == ["socket closed"]


def test_one_live_socket_is_enough_and_queued_messages_are_not_pushed():
    missed, alive = [], Peer()
    sockets = Sockets(lambda message_id, reason: missed.append(reason))
    sockets.add("ab", Peer(closed=True))
    sockets.add("ab", alive)
    run(sockets, [sent("ab"), sent("ab", delivered=False)])
    assert missed == [] and len(alive.frames) == 1
