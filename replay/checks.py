"""What `replay import` lets into a log: only events this server could have written itself.

A topic names a module for the library to import and a class to build, so an imported topic
is looked up in an allow-list of our aggregates' own event classes before anything resolves
it: `os:system`, or any module at all, is refused without being imported. The event is then
decoded by the application's mapper and must fill exactly its class's fields with values of
the declared types, or a projection (or loading the aggregate) would fail on it later. Each
aggregate's versions must run 1, 2, 3... in file order, starting with the event creating it.
"""
import dataclasses
import importlib
import pkgutil
import types
import typing
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

import domain

Classes = tuple[type, ...] | None  # what a field's value may be; None: not checked


def aggregates() -> list[type[Aggregate]]:
    """Every aggregate class defined in a module of the `domain` package (all ours)."""
    found: list[type[Aggregate]] = []
    for info in pkgutil.walk_packages(domain.__path__, "domain."):
        module = importlib.import_module(info.name)
        found += [value for value in vars(module).values() if isinstance(value, type)
                  and issubclass(value, Aggregate) and value.__module__ == module.__name__]
    return found


def event_classes() -> dict[str, tuple[type, type[Aggregate]]]:
    """Topic → (event class, its aggregate). The `Event` and `Created` bases the library
    gives every aggregate are left out: no command records them."""
    allowed = {}
    for aggregate in aggregates():
        for name, value in vars(aggregate).items():
            if (isinstance(value, type) and issubclass(value, Aggregate.Event)
                    and not _library_base(name, value)):
                allowed[get_topic(value)] = (value, aggregate)
    return allowed


def _library_base(name: str, cls: type) -> bool:
    base = {"Event": Aggregate.Event, "Created": Aggregate.Created}.get(name)
    return base is not None and _names(cls) == _names(base)


def _names(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def field_classes(cls: type) -> dict[str, Classes]:
    hints = typing.get_type_hints(cls)
    return {field.name: _classes(hints.get(field.name)) for field in dataclasses.fields(cls)}


def _classes(hint: Any) -> Classes:
    hint = getattr(hint, "__supertype__", hint)  # a NewType holds a value of its base
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        parts = [_classes(arg) for arg in typing.get_args(hint)]
        return None if None in parts else tuple(c for part in parts if part for c in part)
    origin = typing.get_origin(hint) or hint
    if origin is Any or not isinstance(origin, type):  # a TypeVar (originator_id), Any
        return None
    return (origin, int) if origin is float else (origin,)


def _fits(value: object, classes: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in classes:  # JSON true is no number of ours
        return False
    return isinstance(value, classes)


class EventCheck:
    """Checks a file's events in order; `check` raises ValueError saying what is wrong."""

    def __init__(self, mapper: Mapper) -> None:
        self.mapper, self.allowed = mapper, event_classes()
        self.fields = {topic: field_classes(cls) for topic, (cls, _) in self.allowed.items()}
        self.seen: dict[UUID | str, tuple[int, type]] = {}  # id → (last version, class)

    def check(self, stored: StoredEvent) -> None:
        if stored.topic not in self.allowed:  # before anything resolves the topic
            raise ValueError(f"topic {stored.topic!r} is not an event of this server's"
                             " aggregates")
        cls, aggregate = self.allowed[stored.topic]
        self._check_version(stored, cls, aggregate)
        try:
            event = self.mapper.to_domain_event(stored)
        except Exception as error:  # noqa: BLE001 - whatever stops decoding is the reason
            reason = error.__cause__ or error
            raise ValueError(f"state does not decode as {cls.__qualname__}:"
                             f" {type(reason).__name__}: {reason}") from None
        if type(event) is not cls:
            raise ValueError(f"topic {stored.topic!r} decodes as {type(event).__qualname__}")
        self._check_fields(vars(event), self.fields[stored.topic], cls, aggregate)
        self.seen[stored.originator_id] = (stored.originator_version, aggregate)

    def _check_version(self, stored: StoredEvent, cls: type, aggregate: type) -> None:
        last, owner = self.seen.get(stored.originator_id, (0, aggregate))
        version, name = stored.originator_version, cls.__qualname__
        if version != last + 1:
            where = f"after version {last}" if last else "first"
            raise ValueError(f"aggregate {stored.originator_id} has version {version} {where}:"
                             " each aggregate's versions run 1, 2, 3... in file order")
        if owner is not aggregate:
            raise ValueError(f"{name} is not an event of {owner.__name__}"
                             f" {stored.originator_id}")
        if (version == 1) != issubclass(cls, CanInitAggregate):
            raise ValueError(f"{name} at version {version} of {stored.originator_id}: an"
                             " aggregate's first event, and only that, creates it")

    @staticmethod
    def _check_fields(state: dict[str, Any], fields: dict[str, Classes], cls: type,
                      aggregate: type) -> None:
        missing = [name for name in fields if name not in state]
        unknown = [name for name in state if name not in fields]
        if missing or unknown:
            raise ValueError(f"{cls.__qualname__} state: " + "; ".join(
                f"{label} {', '.join(names)}" for label, names in
                (("missing", missing), ("unknown field", unknown)) if names))
        for name, classes in fields.items():
            if classes is not None and not _fits(state[name], classes):
                expected = " | ".join(c.__name__ for c in classes)
                raise ValueError(f"{cls.__qualname__}.{name} must be {expected},"
                                 f" not {type(state[name]).__name__}")
        # a created event names its aggregate's class, which loading it would import
        if "originator_topic" in fields and state["originator_topic"] != get_topic(aggregate):
            raise ValueError(f"{cls.__qualname__}.originator_topic must be"
                             f" {get_topic(aggregate)!r}")
