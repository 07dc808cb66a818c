"""Gateway fanout, pushed from `Runtime.on_applied`: each dispatch is serialized once (its `s`
is the event's log position, the same for every session) and written to every socket that
may see it in one pass, never awaited socket by socket (limits.md: the broadcast trap). Who
sees a server's events is its membership, held here as the projector applies it, so a kick
or an uninstall stops delivery at the very next event."""
import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

import orjson
from sqlite_utils import Database

from api.maxchat.dispatch import Dispatch, dispatches, revoked
from domain.guilds import Guild
from projections import guilds

log = logging.getLogger(__name__)


class Socket(Protocol):
    account_id: str
    token_hash: str

    def push(self, frame: bytes, position: int) -> None: ...

    def revoke(self) -> None: ...

    def reconnect(self) -> None: ...


def frame(dispatch: Dispatch, position: int) -> bytes:
    return orjson.dumps({"op": "DISPATCH", "t": dispatch.t, "s": position, "d": dispatch.d})


class Fanout:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.sockets: dict[str, set[Socket]] = {}  # account id → its identified sockets
        self._members: dict[str, set[str]] = {}  # server id → member account ids (loaded)

    def add(self, socket: Socket) -> None:
        self.sockets.setdefault(socket.account_id, set()).add(socket)

    def remove(self, socket: Socket) -> None:
        held = self.sockets.get(socket.account_id)
        if held is not None:
            held.discard(socket)
            if not held:
                del self.sockets[socket.account_id]

    def members(self, guild_id: str) -> set[str]:
        members = self._members.get(guild_id)
        if members is None:
            members = self._members[guild_id] = set(guilds.member_ids(self.db, guild_id))
        return members

    def applied(self, batch: Sequence[tuple[object, int]]) -> None:
        """One committed batch: its dispatches pushed, membership and revocations followed."""
        if not self.sockets:
            self._follow(event for event, _ in batch)
            return
        for event, position in batch:
            gone = revoked(event)
            if gone is not None:
                for socket in list(self.sockets.get(gone[0], ())):
                    if gone[1] in ("", socket.token_hash):
                        socket.revoke()
            if isinstance(event, Guild.MemberJoined):
                self._follow((event,))  # the joiner sees its own join
            for dispatch in dispatches(self.db, event):
                self.push(dispatch, position)
            self._follow((event,))

    def push(self, dispatch: Dispatch, position: int) -> None:
        audience = set(dispatch.accounts)
        if dispatch.guild:
            audience |= self.members(dispatch.guild)
        data = None
        for account in audience:
            for socket in self.sockets.get(account, ()):
                data = data or frame(dispatch, position)
                socket.push(data, position)

    def reconnect_all(self) -> None:
        """Shutting down: every socket is told to RECONNECT (its session stays resumable)."""
        for sockets in list(self.sockets.values()):
            for socket in list(sockets):
                socket.reconnect()

    def _follow(self, events: Iterable[object]) -> None:
        for event in events:
            if isinstance(event, Guild.MemberJoined | Guild.MemberLeft):
                members = self._members.get(event.guild_id)  # None: loaded when first needed
                if members is not None and isinstance(event, Guild.MemberJoined):
                    members.add(event.user_id)
                elif members is not None:
                    members.discard(event.user_id)
