"""Botbus(Application): the commands. Each validates first, then records events in a Unit.

Validation happens before any aggregate changes, so a failed command records nothing.
The writer (`api/writer.py`) saves a whole batch of units' aggregates in one transaction.
"""
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording, Transcoder

from domain import naming
from domain.bots import Bot
from domain.claims import ALIAS, FINGERPRINT, NUMBER, Claim, claim_id
from domain.clock import Clock, utc_now
from domain.errors import conflict, invalid, not_found
from domain.ids import AccountId, Ids, aggregate_id
from domain.messages import Message
from domain.tokens import hash_token
from domain.transcoder import OrjsonTranscoder
from domain.unit import Unit
from domain.updates import UpdateQueue, queue_id
from domain.users import User

log = logging.getLogger(__name__)
ALIAS_TAKEN = "alias already taken"
FINGERPRINT_TAKEN = "fingerprint already registered"


@dataclass(frozen=True)
class BotRegistration:
    bot_id: AccountId
    number: int
    name: str
    fingerprint: str
    alias: str
    token: str
    api_token: str


@dataclass(frozen=True)
class UserRegistration:
    user_id: AccountId
    number: int
    fingerprint: str
    token: str


@dataclass(frozen=True)
class Sent:
    message_id: UUID
    date: int


class Botbus(Application):
    name = "botbus"
    snapshotting_intervals: ClassVar = {UpdateQueue: 100}
    # One writer per log: a cached aggregate is as current as the log, so loading one needs
    # no fast-forward query (a third of a confirmation's cost). Scale-out revisits this.
    # Units share the cache's objects instead of deep copies, and abandon what they do not
    # save (domain/unit.py).
    env: ClassVar = {"AGGREGATE_CACHE_MAXSIZE": "10000", "AGGREGATE_CACHE_FASTFORWARD": "n",
                     "DEEPCOPY_FROM_AGGREGATE_CACHE": "n"}

    def __init__(self, env: dict[str, str] | None = None, *, clock: Clock = utc_now,
                 ids: Ids | None = None) -> None:
        super().__init__(env)
        self.clock, self.ids = clock, ids or Ids()

    @classmethod
    def open(cls, data_dir: Path, **kwargs: Any) -> "Botbus":
        """The log under a data directory: SQLite by default; PostgreSQL when the environment
        says so (eventsourcing's own PERSISTENCE_MODULE and POSTGRES_* variables)."""
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
               "SQLITE_DBNAME": str(Path(data_dir) / "events.db"),
               "SQLITE_LOCK_TIMEOUT": "10"}
        return cls({k: v for k, v in env.items() if k not in os.environ}, **kwargs)

    def construct_transcoder(self) -> Transcoder:
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording]:
        """The library's save(), without its two Protocol isinstance checks per object (about
        15 µs each on Python 3.11: a third of the writer's time per event in a large batch)
        when every object is one of our aggregates. Once the events are recorded, nothing
        after (a snapshot) can turn the save into a failure: the writer would report a
        recorded command as failed, or run it again."""
        if not all(isinstance(obj, Aggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing_event: ProcessingEvent = ProcessingEvent()
        for aggregate in objs:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        try:  # the events are recorded: a snapshot is an optimisation, never a failure
            self._take_snapshots(processing_event)
        except Exception:  # noqa: BLE001 - the next interval takes another
            log.exception("snapshot failed", extra={"positions": [
                r.notification.id for r in recordings]})
        self._notify(recordings)
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent) -> None:
        """A snapshot of an aggregate just saved is its state in memory: the library reads
        it back from the log instead (a hundred events for an update queue, each time)."""
        for event in processing_event.events:
            aggregate: Any = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if (self.snapshots is None or interval is None
                    or event.originator_version % interval):
                continue
            if aggregate.version != event.originator_version:  # more events in this save
                self.take_snapshot(event.originator_id, version=event.originator_version)
                continue
            snapshot_class: Any = getattr(type(aggregate), "Snapshot", self.snapshot_class)
            self.snapshots.put([snapshot_class.take(aggregate)])

    def new_unit(self) -> Unit:
        return Unit(self.repository)

    def register_bot(self, unit: Unit, name: str, fingerprint: str,
                     description: str = "") -> BotRegistration:
        name, fingerprint = naming.bot_name(name), naming.fingerprint(fingerprint)
        alias = naming.bot_alias(name)
        self._check_unclaimed(unit, fingerprint, alias)
        now, bot_id, number = self.clock(), AccountId(self.ids.ulid()), self._new_number(unit)
        token, api_token = self._feather_token(fingerprint), self._api_token(number)
        bot = Bot(bot_id=bot_id, number=number, name=name, fingerprint=fingerprint,
                  description=description, timestamp=now)
        bot.issue_token("feather", hash_token(token), timestamp=now)
        bot.issue_token("api", hash_token(api_token), timestamp=now)
        unit.add(bot, *self._claims(bot_id, fingerprint, alias, number, now))
        return BotRegistration(bot_id, number, name, fingerprint, alias, token, api_token)

    def register_user(self, unit: Unit, fingerprint: str, name: str | None = None,
                      alias: str | None = None) -> UserRegistration:
        fingerprint = naming.fingerprint(fingerprint)
        alias = naming.user_alias(alias) if alias is not None else None
        self._check_unclaimed(unit, fingerprint, alias)
        now, user_id, number = self.clock(), AccountId(self.ids.ulid()), self._new_number(unit)
        token = self.ids.secret(32)
        user = User(user_id=user_id, number=number, name=name or naming.display_name(fingerprint),
                    fingerprint=fingerprint, token_hash=hash_token(token), timestamp=now)
        unit.add(user, *self._claims(user_id, fingerprint, alias, number, now))
        return UserRegistration(user_id, number, fingerprint, token)

    def reset_token(self, unit: Unit, bot_id: AccountId, scheme: str) -> str:
        """Issue a new token of one scheme; the old one stops working at once."""
        bot = unit.get(aggregate_id(bot_id))
        if not isinstance(bot, Bot):
            raise not_found("bot not found")
        if scheme == "feather":
            token = self._feather_token(bot.fingerprint)
        elif scheme == "api":
            token = self._api_token(bot.number)
        else:
            raise invalid(f"unknown token scheme: {scheme}")
        bot.reset_token(scheme, hash_token(token), timestamp=self.clock())
        return token

    def send_message(self, unit: Unit, sender_id: AccountId, to: str, content: dict[str, Any],
                     delivered: bool) -> Sent:
        now, message_id = self.clock(), self.ids.ulid_uuid()
        unit.add(Message(id=message_id, sender_id=sender_id, to=to, content=content,
                         delivered=delivered, timestamp=now))
        return Sent(message_id, int(now.timestamp()))

    def requeue_message(self, unit: Unit, message_id: UUID, reason: str) -> bool:
        """A live push that was not acknowledged goes back to its recipient's queue."""
        return self._message(unit, message_id).fail_delivery(reason, timestamp=self.clock())

    def acknowledge_message(self, unit: Unit, message_id: UUID, to: str) -> bool:
        """The recipient `to` received a live push; anyone else's ack is refused."""
        message = self._message(unit, message_id)
        if message.to != to:
            raise not_found("message not found")
        return message.acknowledge(timestamp=self.clock())

    def confirm_updates(self, unit: Unit, address: str, up_to: int, via: str,
                        update_ids: list[int] | None = None) -> bool:
        return self._queue(unit, address).confirm(up_to, via, timestamp=self.clock(),
                                                  update_ids=update_ids)

    def return_updates(self, unit: Unit, address: str, updates: list[tuple[int, str]],
                       reason: str) -> bool:
        """Taken updates that never reached the reader go back under their own ids."""
        return self._queue(unit, address).give_back(
            [[update_id, message_id] for update_id, message_id in updates], reason,
            timestamp=self.clock())

    def _message(self, unit: Unit, message_id: UUID) -> Message:
        message = unit.get(message_id)
        if not isinstance(message, Message):
            raise not_found("message not found")
        return message

    def _queue(self, unit: Unit, address: str) -> UpdateQueue:
        queue = unit.get(queue_id(address))
        if not isinstance(queue, UpdateQueue):
            queue = UpdateQueue(address=address, timestamp=self.clock())
            unit.add(queue)
        return queue

    def _new_number(self, unit: Unit) -> int:
        """The next account number that no account in the log holds."""
        number = self.ids.number()
        while unit.exists(claim_id(NUMBER, str(number))):
            self.ids.observe(number)
            number = self.ids.number()
        return number

    def _feather_token(self, fingerprint: str) -> str:
        """The seed's form: <first 16 of the fingerprint>:<32 hex>."""
        return f"{fingerprint[:16]}:{self.ids.hex(16)}"

    def _api_token(self, number: int) -> str:
        """<bot id>:<secret>, which aiogram and telebot require (a numeric prefix)."""
        return f"{number}:{self.ids.secret()}"

    def _check_unclaimed(self, unit: Unit, fingerprint: str, alias: str | None) -> None:
        if unit.exists(claim_id(FINGERPRINT, fingerprint)):
            raise conflict(FINGERPRINT_TAKEN)
        if alias is not None and unit.exists(claim_id(ALIAS, alias)):
            raise conflict(ALIAS_TAKEN)

    @staticmethod
    def _claims(owner_id: str, fingerprint: str, alias: str | None, number: int,
                now) -> list[Claim]:
        claims = [Claim(namespace=FINGERPRINT, name=fingerprint, owner_id=owner_id, timestamp=now),
                  Claim(namespace=NUMBER, name=str(number), owner_id=owner_id, timestamp=now)]
        if alias is not None:
            claims.append(Claim(namespace=ALIAS, name=alias, owner_id=owner_id, timestamp=now))
        return claims
