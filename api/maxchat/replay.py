"""RESUME's replay: the dispatches a session missed, read from the log itself (positions
after its `seq`), so a resume works after a dropped connection, a restart or on another node.
Which servers the account could see is walked along the log: those it is in now and had
joined by `seq`, or left since, then every join and leave in order."""
from collections.abc import Iterator

from api.maxchat.dispatch import Dispatch, dispatches
from api.maxchat.gateway_config import max_replay
from api.runtime import Runtime
from domain.guilds import Guild
from projections import guilds

CHUNK = 1_000


def too_far(seq: int, head: int) -> bool:
    """Whether a session missed more of the log than a RESUME replays: it gets INVALID_SESSION
    rather than a replay that stops short and says RESUMED over a gap."""
    return head - seq > max_replay()


def missed(runtime: Runtime, account_id: str, seq: int, head: int
           ) -> Iterator[tuple[Dispatch, int]]:
    recorder, mapper, db = runtime.app.recorder, runtime.app.mapper, runtime.db
    events: list[tuple[object, int]] = []
    start = seq + 1
    while start <= head:
        notifications = recorder.select_notifications(start=start, limit=CHUNK, stop=head)
        if not notifications:
            break
        events += [(mapper.to_domain_event(n), n.id) for n in notifications]
        start = notifications[-1].id + 1
    visible = guilds.joined_by(db, account_id, seq)
    visible |= {event.guild_id for event, _ in events
                if isinstance(event, Guild.MemberLeft) and event.user_id == account_id}
    for event, position in events:
        if isinstance(event, Guild.MemberJoined) and event.user_id == account_id:
            visible.add(event.guild_id)
        for dispatch in dispatches(db, event):
            if account_id in dispatch.accounts or dispatch.guild in visible:
                yield dispatch, position
        if isinstance(event, Guild.MemberLeft) and event.user_id == account_id:
            visible.discard(event.guild_id)
