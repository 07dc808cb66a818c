"""The unit of work of one group commit: the aggregates its commands loaded or created.

Commands in one batch share loaded aggregates, so two commands touching one aggregate
build on each other and one `save()` writes them all in a single transaction.
"""
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate


class Unit:
    def __init__(self, repository: Repository) -> None:
        self._repository = repository
        self._aggregates: dict[UUID, Aggregate] = {}
        self.touched: list[UUID] = []  # by the command running now: whose events are whose

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        self.touched.append(aggregate_id)
        if aggregate_id not in self._aggregates:
            try:
                self._aggregates[aggregate_id] = self._repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        return self._aggregates[aggregate_id]

    def exists(self, aggregate_id: UUID) -> bool:
        return self.get(aggregate_id) is not None

    def add(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self._aggregates[aggregate.id] = aggregate
            self.touched.append(aggregate.id)

    @property
    def aggregates(self) -> list[Aggregate]:
        return [a for a in self._aggregates.values() if a.pending_events]

    def pending_count(self) -> int:
        return sum(len(a.pending_events) for a in self._aggregates.values())
