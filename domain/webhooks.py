"""A bot's webhook: where its updates are pushed instead of waiting for getUpdates, and the
outcome of every delivery attempt (telegram.md decision 6, design.md "Delivery guarantees").
One aggregate per queue address, named after it; snapshots keep it cheap to load."""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.clock import Clock
from domain.errors import not_found
from domain.ids import named_id
from domain.unit import Unit


class Webhook(Aggregate):
    class Opened(Aggregate.Created):
        address: str

    class Set(Aggregate.Event):
        """`dialect` names the request shape (`telegram`; Botyard's next). The secret is the
        bot's own, sent back to it in a header, so it is kept as given."""

        address: str
        url: str
        secret: str
        max_connections: int
        dialect: str

        def apply(self, aggregate: "Webhook") -> None:
            aggregate.url, aggregate.secret = self.url, self.secret
            aggregate.max_connections, aggregate.dialect = self.max_connections, self.dialect
            aggregate.gone_since = None  # a new receiver, or the same one told again

    class Deleted(Aggregate.Event):
        address: str

        def apply(self, aggregate: "Webhook") -> None:
            aggregate.url, aggregate.gone_since = "", None

    class Removed(Deleted):
        """Deleted by the server, not the bot: its receiver answered 410 Gone, and nothing
        else, for `gone_after` (Telegram: 23 hours). Its updates wait for getUpdates."""

        reason: str

    class Delivered(Aggregate.Event):
        """The receiver answered 2xx: the update leaves the queue."""

        address: str
        update_id: int
        attempt: int
        status: int

        def apply(self, aggregate: "Webhook") -> None:
            aggregate.gone_since = None

    class DeliveryFailed(Aggregate.Event):
        """Not delivered: tried again at `retry_at` (unix seconds, decided here, so a rebuild
        schedules the same). `status` is the receiver's (None: no answer; v1 events had
        none). A run of 410s counts from its first."""

        class_version = 2
        address: str
        update_id: int
        attempt: int
        error: str
        retry_at: float
        status: int | None

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["status"] = None

        def apply(self, aggregate: "Webhook") -> None:
            if self.status != GONE:
                aggregate.gone_since = None
            elif aggregate.gone() is None:
                aggregate.gone_since = self.timestamp.timestamp()

    @staticmethod
    def create_id(address: str, **_: object) -> UUID:
        return webhook_id(address)

    @event(Opened)
    def __init__(self, address: str, timestamp: datetime) -> None:
        self.address, self.url, self.secret = address, "", ""
        self.max_connections, self.dialect = 40, "telegram"
        self.gone_since: float | None = None

    def gone(self) -> float | None:
        """Since when (unix seconds) every attempt was answered 410 (a snapshot from before
        this was kept has no such run)."""
        return getattr(self, "gone_since", None)

    def set(self, url: str, secret: str, max_connections: int, dialect: str,
            timestamp: datetime) -> bool:
        if (url, secret, max_connections, dialect) == (
                self.url, self.secret, self.max_connections, self.dialect):
            return False
        self.trigger_event(self.Set, address=self.address, url=url, secret=secret,
                           max_connections=max_connections, dialect=dialect, timestamp=timestamp)
        return True

    def delete(self, timestamp: datetime) -> bool:
        if not self.url:
            return False
        self.trigger_event(self.Deleted, address=self.address, timestamp=timestamp)
        return True


GONE = 410
GONE_AFTER = 23 * 3600.0  # Telegram's: a webhook answered only 410 for this long is removed


def webhook_id(address: str) -> UUID:
    return named_id("webhook", address)


class WebhookCommands:
    clock: Clock

    def set_webhook(self, unit: Unit, address: str, url: str, secret: str,
                    max_connections: int, dialect: str) -> bool:
        """Records nothing (False) when this webhook is already the one set."""
        return self._webhook(unit, address).set(url, secret, max_connections, dialect,
                                                timestamp=self.clock())

    def delete_webhook(self, unit: Unit, address: str) -> bool:
        return self._webhook(unit, address).delete(timestamp=self.clock())

    def record_delivery(self, unit: Unit, address: str, update_id: int, attempt: int,
                        status: int | None, error: str, retry_in: float,
                        gone_after: float = GONE_AFTER) -> bool:
        """One attempt's outcome: delivered (`status` 2xx) or failed, retried in `retry_in`.
        Returns whether the webhook was removed: answered only 410 for `gone_after`."""
        webhook = unit.get(webhook_id(address))
        if not isinstance(webhook, Webhook):
            raise not_found("webhook not found")
        now = self.clock()
        if status is not None and 200 <= status < 300:
            webhook.trigger_event(Webhook.Delivered, address=address, update_id=update_id,
                                  attempt=attempt, status=status, timestamp=now)
            return False
        webhook.trigger_event(Webhook.DeliveryFailed, address=address, update_id=update_id,
                              attempt=attempt, error=error, status=status,
                              retry_at=now.timestamp() + retry_in, timestamp=now)
        since = webhook.gone()
        if not webhook.url or since is None or now.timestamp() - since < gone_after:
            return False
        webhook.trigger_event(Webhook.Removed, address=address, timestamp=now,
                              reason=f"the webhook answered {GONE} Gone for"
                                     f" {round(now.timestamp() - since)} s")
        return True

    def _webhook(self, unit: Unit, address: str) -> Webhook:
        webhook = unit.get(webhook_id(address))
        if not isinstance(webhook, Webhook):
            webhook = Webhook(address=address, timestamp=self.clock())
            unit.add(webhook)
        return webhook
