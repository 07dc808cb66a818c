"""Anonymous sign-ups, throttled per client address. Four routes make an account for anyone
who asks (featherChat's user and bot registration, Botyard's web user, MaxChat's human,
which also costs an argon2 hash), and each account is in the log for good: one client
looping on them appended ~280 accounts a second (~1 KB of log each, measured), gigabytes a
day. A token bucket per address allows `per_hour` at once, then one more every
3600/`per_hour` seconds; past it, 429 in the route's dialect with `Retry-After`.

An IPv6 address counts by its /64 (what one subscriber is given). Loopback is not counted:
it is this machine, or a reverse proxy whose clients are told apart only once
BOTBUS_FORWARDED_ALLOW_IPS names it (then each client counts on its own). Kept in memory per
process: a bucket full again is forgotten, and at most MAX_ADDRESSES are held (the least
recently seen out first), so addresses an attacker cycles through cannot grow it for good."""
import ipaddress
import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import envelope_for

SIGNUPS = frozenset({"/v1/users/register", "/v1/bot/register", "/v1/client-api/user",
                     "/api/auth/register"})
MAX_ADDRESSES = 100_000
HOUR = 3600.0


class Buckets:
    """Sign-ups left per address (fractional, refilled over time); `per_hour` 0: no limit."""

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic,
                 most: int = MAX_ADDRESSES) -> None:
        self.per_hour, self.clock, self.most = per_hour, clock, most
        self._left: dict[str, tuple[float, float]] = {}  # key → (sign-ups left, as of)
        self._swept = clock()

    def take(self, address: str) -> int | None:
        """None when a sign-up from this address may go (and counts it); else the seconds
        until it may."""
        key = _key(address)
        if not self.per_hour or key is None:
            return None
        now = self.clock()
        self._sweep(now)
        left, then = self._left.pop(key, (float(self.per_hour), now))
        left = min(float(self.per_hour), left + (now - then) * self.per_hour / HOUR)
        if left < 1:
            self._left[key] = (left, now)
            return max(1, math.ceil((1 - left) * HOUR / self.per_hour))
        while len(self._left) >= self.most:
            del self._left[next(iter(self._left))]  # the least recently seen
        self._left[key] = (left - 1, now)
        return None

    def __len__(self) -> int:
        return len(self._left)

    def _sweep(self, now: float) -> None:
        """Once an hour: a bucket an hour old is full again, and a full one says nothing."""
        if now - self._swept < HOUR:
            return
        self._swept = now
        for key in [key for key, (_, then) in self._left.items() if now - then >= HOUR]:
            del self._left[key]


def _key(address: str) -> str | None:
    """What an address counts as: itself, its /64 for IPv6; None for loopback."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or None  # not an IP (a Unix socket's peer): as it is
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class SignupLimit:
    """The ASGI layer in front of the whole app (the fast lane included)."""

    def __init__(self, app: ASGIApp, per_hour: int) -> None:
        self.app, self.buckets = app, Buckets(per_hour)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"] in SIGNUPS and self.buckets.per_hour):
            client = scope.get("client")
            wait = self.buckets.take(client[0] if client else "")
            if wait is not None:
                response = envelope_for(scope["path"])(
                    f"too many sign-ups from this address: retry after {wait} seconds", 429)
                response.headers["Retry-After"] = str(wait)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)
