"""The unit of work: what one use case changes, committed together with the events
it owes.

A service defines its own, with a repository per aggregate:

    class IntakeWork(UnitOfWork):
        source = "intake"

        def __init__(self, session):
            super().__init__(session)
            self.dossiers = DossierRepository(session, self)

and runs a use case in it: `with self.db.work(IntakeWork) as work:
application.accept(work, ...)`. Repositories `track` every aggregate they load or
add; at the end of the block `publish_recorded` writes the events those aggregates
recorded to the outbox in the same transaction (shared.reliability.emit), so no
rule ever publishes anything itself.

Tests of the application layer use `FakeWork`-style subclasses: no session, fake
repositories, and `publish` overridden to keep the events in a list.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from shared.domain import Aggregate, DomainEvent

A = TypeVar("A", bound=Aggregate)


class UnitOfWork:
    """Base of each service's unit of work. `source` is the service name: the owner
    of the events it publishes (shared.events refuses an event another service owns)."""

    source: ClassVar[str] = ""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._tracked: list[Aggregate] = []
        self._loose: list[DomainEvent] = []
        self._rows: list[dict[str, Any]] = []  # outbox rows owed, written together

    def track(self, aggregate: A) -> A:
        """Remember an aggregate loaded or added in this unit of work (once)."""
        if not any(seen is aggregate for seen in self._tracked):
            self._tracked.append(aggregate)
        return aggregate

    def expect(self, envelopes: list[dict[str, Any]]) -> None:
        """The events a batch is about to handle in this unit of work, before the
        first: a repository may read at once what each will ask. Nothing by default."""

    def record(self, event: DomainEvent) -> None:
        """An event that belongs to no aggregate of this service (a calendar change,
        a pickup handed over): published with the others."""
        self._loose.append(event)

    def collect_events(self) -> list[DomainEvent]:
        """Every recorded event, aggregate by aggregate in tracking order (each in the
        order it recorded them), then the loose ones; all are cleared."""
        collected: list[DomainEvent] = []
        for aggregate in self._tracked:
            collected.extend(aggregate.events)
            aggregate.events.clear()
        collected.extend(self._loose)
        self._loose.clear()
        return collected

    def publish_recorded(self) -> list[DomainEvent]:
        """Write every recorded event to the outbox, in one statement (shared.db's
        `work` calls it just before the commit). Returns what was published."""
        published = self.collect_events()
        for event in published:
            self.publish(event)
        self.write_published()
        return published

    def publish(self, event: DomainEvent) -> None:
        """One event owed by this unit of work: validated now, written by
        `write_published` in its transaction."""
        # imported here: fakes of the unit tier use this module without a database layer
        from shared.reliability import outbox_row

        self._rows.append(
            outbox_row(self.source, event.event_type, event.dossier_code, event.data(), event.correlation_id)[1]
        )

    def write_published(self) -> None:
        from shared.reliability import write_outbox

        rows, self._rows = self._rows, []
        write_outbox(self.session, rows)
