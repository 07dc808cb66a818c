"""The webhook worker: pushes each address's queued updates to its webhook, one update per
request, in order per chat and in parallel across chats (up to `max_connections`), and records
every attempt's outcome (Webhook.Delivered / Webhook.DeliveryFailed). Woken from
`Runtime.on_applied`, and by a timer for the next retry: never a polling loop. A restart
resumes whatever is still queued (at least once: an attempt cut by a crash is made again).

The request's shape is the dialect's (an `Adapter`, registered by name: Telegram's and
Botyard's); the outbox, the order, the backoff, the records and the HTTP client are shared."""
import asyncio
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp

from api.webhook_http import TIMEOUT, Answer, post
from domain.webhooks import GONE_AFTER, Webhook
from projections import backlog, outbox, updates

if TYPE_CHECKING:
    from api.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 100
LEASE_RETRY = 3.0  # how soon a node takes over a webhook whose node died (or, say, stopped)
class Adapter(Protocol):
    removes_gone: bool  # a receiver answering only 410 for `gone_after` loses its webhook

    def request(self, runtime: "Runtime", item: dict, hook: dict
                ) -> tuple[bytes, dict[str, str]] | None:
        """The body and headers of the POST for one queued update; None to skip it."""

    async def answered(self, runtime: "Runtime", hook: dict, answer: Answer) -> None:
        """A 2xx answer's own request, if the dialect has such a thing (Telegram does)."""


ADAPTERS: dict[str, Adapter] = {}


@dataclass
class Hook:
    flying: dict[int, str] = field(default_factory=dict)  # update_id → its chat, in the air
    settling: set[int] = field(default_factory=set)  # delivered, the record on its way
    timer: asyncio.TimerHandle | None = None
    pumping: bool = False
    leased: bool = False  # on a shared log: this node delivers this address's webhooks
    lease_tried: float = -LEASE_RETRY


class Deliveries:
    def __init__(self, runtime: "Runtime", gone_after: float = GONE_AFTER) -> None:
        self.runtime = runtime
        self.gone_after = gone_after  # BOTBUS_WEBHOOK_GONE_AFTER
        self.hooked: set[str] = set()  # addresses with a webhook (getUpdates answers 409)
        self._hooks: dict[str, Hook] = {}
        self._tasks: set[asyncio.Task] = set()
        self._client: aiohttp.ClientSession | None = None  # made on the running loop
        self._stopped = False

    def start(self) -> None:
        # aiohttp: a third of httpx's CPU per delivery (measured on the webhook bench)
        self._client = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TIMEOUT), trust_env=False,
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=60),
            skip_auto_headers=("User-Agent",), headers={"User-Agent": "Botbus"})
        self.hooked = set(outbox.addresses(self.runtime.db))
        self.wake(self.hooked)

    def active(self, address: str) -> bool:
        return address in self.hooked

    def applied(self, events: Iterable[object], touched: set[str]) -> None:
        """From `Runtime.on_applied`: webhooks set or deleted, queues that grew."""
        for event in events:
            if isinstance(event, Webhook.Set):
                self.hooked.add(event.address)
                touched.add(event.address)
            elif isinstance(event, Webhook.Deleted):
                self.hooked.discard(event.address)
        self.wake(touched)

    def wake(self, addresses: Iterable[str]) -> None:
        for address in addresses:
            if address in self.hooked and not self._stopped:
                hook = self._hooks.setdefault(address, Hook())
                if not hook.pumping:
                    hook.pumping = True
                    asyncio.get_running_loop().call_soon(self._pump, address, hook)

    def _pump(self, address: str, hook: Hook) -> None:
        hook.pumping = False
        if hook.timer is not None:
            hook.timer.cancel()
            hook.timer = None
        if not self._ours(address, hook):
            return
        found = outbox.webhook(self.runtime.db, address)
        if found is None or self._stopped:
            return
        retries, now = outbox.retries(self.runtime.db, address), time.time()
        busy, soonest = set(hook.flying.values()), None
        skip = [*hook.flying, *hook.settling]
        for update_id, chat in backlog.heads(self.runtime.db, address, BATCH, skip):
            if chat in busy:
                continue
            busy.add(chat)  # later updates of this chat wait for this one
            attempts, retry_at = retries.get(update_id, (0, 0.0))
            if retry_at > now:
                soonest = retry_at if soonest is None else min(soonest, retry_at)
                continue
            if len(hook.flying) >= found["max_connections"]:
                break
            hook.flying[update_id] = chat
            self._spawn(self._deliver(address, hook, found, update_id, attempts + 1))
        if soonest is not None:
            hook.timer = asyncio.get_running_loop().call_later(
                soonest - now, self.wake, [address])

    def _ours(self, address: str, hook: Hook) -> bool:
        """Exactly one node delivers an address's webhooks: the one holding its lease, held
        until that node's connection to PostgreSQL ends. Another tries again every few
        seconds, and once it has the lease reads what the previous holder recorded first."""
        node = self.runtime.node
        if node is None or hook.leased:
            return True
        now = time.monotonic()
        if now - hook.lease_tried >= LEASE_RETRY:
            hook.lease_tried = now
            if node.leases.take(f"webhook:{address}"):
                hook.leased = True
                self.runtime.writer.follow()
                return True
        hook.timer = asyncio.get_running_loop().call_later(
            hook.lease_tried + LEASE_RETRY - now, self.wake, [address])
        return False

    async def _deliver(self, address: str, hook: Hook, found: dict, update_id: int,
                       attempt: int) -> None:
        """One attempt. A 2xx frees the chat for its next update at once (its record rides
        with the writer's next batch: a crash before it repeats this update, in order); a
        failure is recorded first, so the next look at the queue knows when to retry."""
        runtime = self.runtime
        try:
            item = updates.item(runtime.db, address, update_id)
            adapter = ADAPTERS[found["dialect"]]
            request = adapter.request(runtime, item, found) if item is not None else None
            if request is None:  # gone, or nothing a receiver of this dialect is shown
                await runtime.writer.run(lambda unit: runtime.app.confirm_updates(
                    unit, address, update_id, "webhook.skip", [update_id]))
                return
            assert self._client is not None, "start() first"
            status, error, retry_in, response = await post(self._client, found["url"],
                                                           *request, attempt, address)
            recorded = runtime.writer.submit(lambda unit: runtime.app.record_delivery(
                unit, address, update_id, attempt, status, error, retry_in,
                self.gone_after if adapter.removes_gone else math.inf))
            if not error:
                hook.flying.pop(update_id, None)
                hook.settling.add(update_id)
                self.wake([address])
            try:
                if await recorded:
                    log.warning("webhook removed: its receiver answered only 410 Gone",
                                extra={"address": address, "seconds": self.gone_after})
            finally:
                hook.settling.discard(update_id)
            if response is not None and not error:
                await adapter.answered(runtime, found, response)
        except Exception:  # noqa: BLE001 - tried again a second later
            log.exception("webhook delivery failed", extra={"address": address,
                                                            "update_id": update_id})
            hook.flying.pop(update_id, None)
            asyncio.get_running_loop().call_later(1.0, self.wake, [address])
        else:
            hook.flying.pop(update_id, None)
            self.wake([address])

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Attempts in the air are abandoned (made again after the restart)."""
        self._stopped = True
        for hook in self._hooks.values():
            if hook.timer is not None:
                hook.timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)
        if self._client is not None:
            await self._client.close()
