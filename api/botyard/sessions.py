"""The Botyard session tokens this server issued lately. Verifying and signing a JWT is a
third of a web user's request CPU, and a browser sends back the cookie it was just given: a
token found here is known without decoding it, and one younger than a minute is renewed by
sending it again. Held in memory only (never logged or stored), bounded, oldest out first."""
from collections import OrderedDict
from dataclasses import dataclass

REMEMBERED = 20_000


@dataclass(frozen=True)
class Session:
    token: str
    user_id: str
    issued: int  # unix seconds
    expires: int


class Sessions:
    def __init__(self, reissue_after: int = 60) -> None:
        self.reissue_after = reissue_after  # seconds: a cookie younger is sent again as it is
        self._held: OrderedDict[str, Session] = OrderedDict()

    def get(self, token: str, now: int) -> Session | None:
        session = self._held.get(token)
        return session if session is not None and session.expires > now else None

    def hold(self, session: Session) -> None:
        self._held[session.token] = session
        while len(self._held) > REMEMBERED:
            self._held.popitem(last=False)
