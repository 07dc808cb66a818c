"""The unit of work of one group commit: the aggregates its commands loaded or created.

Commands in one batch share loaded aggregates, so two commands touching one aggregate
build on each other and one `save()` writes them all in a single transaction.

Loaded aggregates are the repository cache's own objects, not copies (a deep copy cost more
than the rest of a command): a unit that is not saved must be `abandon`ed, which drops what
it loaded from the cache, so the next load reads the log again.
"""
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate


class Unit:
    def __init__(self, repository: Repository) -> None:
        self._repository = repository
        self._aggregates: dict[UUID, Aggregate] = {}
        self.begin()

    def begin(self) -> None:
        """A command starts: what it touches, and whether it changed anything, count from here
        (in the aggregates it touched only: a whole batch's, per command, grew quadratic)."""
        self.touched: list[UUID] = []  # whose events are whose, if a read model sets one aside
        self._before: dict[UUID, int] = {}
        self._added = False

    def changed(self) -> bool:
        """Has the running command recorded anything yet (before it failed, say)?"""
        return self._added or any(len(self._aggregates[aggregate_id].pending_events) != count
                                  for aggregate_id, count in self._before.items())

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        self.touched.append(aggregate_id)
        aggregate = self._aggregates.get(aggregate_id)
        if aggregate is None:
            try:
                aggregate = self._aggregates[aggregate_id] = self._repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        self._before.setdefault(aggregate_id, len(aggregate.pending_events))
        return aggregate

    def exists(self, aggregate_id: UUID) -> bool:
        return self.get(aggregate_id) is not None

    def add(self, *aggregates: Aggregate) -> None:
        self._added = True
        for aggregate in aggregates:
            self._aggregates[aggregate.id] = aggregate
            self.touched.append(aggregate.id)

    @property
    def aggregates(self) -> list[Aggregate]:
        return [a for a in self._aggregates.values() if a.pending_events]

    def abandon(self) -> None:
        """Nothing of this unit is saved: forget the cached objects its commands changed."""
        cache = self._repository.cache
        if cache is not None:
            for aggregate_id in self._aggregates:
                try:
                    cache.get(aggregate_id, evict=True)
                except KeyError:
                    pass  # created by the unit, never cached
        self._aggregates.clear()
