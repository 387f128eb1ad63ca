"""Fakes of the unit tier: a unit of work without a database, and a repository
kept in a dict. A service's fake work subclasses FakeWork and sets its fake
repositories as attributes, as its real work does:

    class FakeIntakeWork(FakeWork):
        source = "intake"

        def __init__(self, dossiers=()):
            super().__init__()
            self.dossiers = FakeRepository(self, {d.code: d for d in dossiers})
"""

from __future__ import annotations

from typing import Generic, TypeVar

from shared.domain import Aggregate, DomainEvent
from shared.uow import UnitOfWork

A = TypeVar("A", bound=Aggregate)


class FakeWork(UnitOfWork):
    """Collects what would go to the outbox in `published`; `commit()` does what the
    end of `Database.work`'s block does."""

    def __init__(self) -> None:
        super().__init__(session=None)
        self.published: list[DomainEvent] = []
        self.committed = False

    def publish(self, event: DomainEvent) -> None:
        self.published.append(event)

    def commit(self) -> list[DomainEvent]:
        self.committed = True
        return self.publish_recorded()


class FakeRepository(Generic[A]):
    """Aggregates by key; what it hands out or adds is tracked by the work."""

    def __init__(self, work: UnitOfWork, items: dict[str, A] | None = None) -> None:
        self.work = work
        self.items: dict[str, A] = dict(items or {})

    def get(self, key: str) -> A | None:
        found = self.items.get(key)
        return self.work.track(found) if found is not None else None

    def add(self, key: str, aggregate: A) -> A:
        self.items[key] = aggregate
        return self.work.track(aggregate)
