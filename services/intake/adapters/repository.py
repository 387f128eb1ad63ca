"""Repositories of intake's aggregates over SQLAlchemy, and its unit of work.

A repository loads and adds aggregates and has the unit of work track them, so
that the events they record reach the outbox with the commit (shared.uow).
Dossiers are locked (SELECT ... FOR UPDATE) where a change follows, so that two
counter actions or events on one dossier queue instead of overwriting each other.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.intake.adapters import orm, queries, statistics
from services.intake.domain import policies
from services.intake.domain.errors import DossierNotFound
from services.intake.domain.model import (
    Agency,
    CalendarOverride,
    CalendarOverrides,
    Dossier,
    DossierStatus,
    OverrideKind,
    Procedure,
    ProcedureVersion,
)
from shared import calendar_store, clock
from shared.calendar import WorkingCalendar
from shared.domain import DomainEvent
from shared.events import EventType
from shared.uow import UnitOfWork

CATALOGUE_LOCK = 7305  # one catalogue import at a time (PostgreSQL advisory lock)


class DossierRepository:
    def __init__(self, session: Session, work: UnitOfWork) -> None:
        self.session, self.work = session, work

    def get(self, code: str, for_update: bool = False) -> Dossier:
        """The dossier by its code or its submission reference (queries.by_code_or_reference)."""
        query = sa.select(Dossier).where(queries.by_code_or_reference(code))
        if for_update:
            query = query.with_for_update()
        dossier = self.session.scalars(query).first()
        if dossier is None:
            raise DossierNotFound(f"Không tìm thấy hồ sơ {code}")
        return self.work.track(dossier)

    def from_portal(self, portal_reference: str) -> Dossier | None:
        """The dossier the national portal knows by this number, if it came already."""
        found = self.session.scalars(
            sa.select(Dossier).where(orm.dossiers.c.portal_reference == portal_reference)
        ).first()
        return self.work.track(found) if found is not None else None

    def add(self, dossier: Dossier) -> Dossier:
        self.session.add(dossier)
        return self.work.track(dossier)

    def code_of_pickup(self, pickup_id: str) -> str | None:
        """The dossier registered for a postal collection, if any."""
        code: str | None = self.session.scalar(
            sa.select(orm.dossiers.c.code).where(orm.dossiers.c.pickup_id == pickup_id)
        )
        return code

    def awaiting_payment(self) -> list[str]:
        """The codes of the dossiers waiting for the fees due before processing."""
        d = orm.dossiers.c
        return list(self.session.scalars(sa.select(d.code).where(d.status == DossierStatus.AWAITING_PAYMENT.value)))


# SQL text: SQLAlchemy compiles its ON CONFLICT constructs anew on every execution
# (shared.db.insert_or_skip); the same statement runs on PostgreSQL and SQLite
NEXT_NUMBER = sa.text(
    'INSERT INTO code_sequences (agency_code, day, "last") VALUES (:agency_code, :day, 1) '
    'ON CONFLICT (agency_code, day) DO UPDATE SET "last" = code_sequences."last" + 1 RETURNING "last"'
)


class CodeSequences:
    """Dossier codes [Circular 01/2018/TT-VPCP Art. 19]. The counter row for (agency,
    day) is incremented inside the transaction that receives the dossier (a counter
    submission, or the acceptance of an online or postal one: a submission that is
    refused never asks): concurrent receptions queue on that row, and a rolled-back
    reception gives its number back, so codes stay unique and gap-free."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def next_code(self, agency_code: str, moment: datetime) -> str:
        day = policies.code_day(moment)
        number: int = self.session.execute(NEXT_NUMBER, {"agency_code": agency_code, "day": day}).scalar_one()
        return policies.dossier_code(agency_code, day, number)


class ProcedureRepository:
    def __init__(self, session: Session, work: UnitOfWork) -> None:
        self.session, self.work = session, work

    def get(self, code: str) -> Procedure:
        """The procedure with every version of it (none when the code is unknown)."""
        versions = self.session.scalars(
            sa.select(ProcedureVersion).where(orm.procedures.c.code == code).order_by(orm.procedures.c.effective_from)
        ).all()
        return self.work.track(Procedure(code, versions))

    def version(self, version_id: int | None) -> ProcedureVersion:
        found = self.session.get(ProcedureVersion, version_id)
        if found is None:
            raise LookupError(f"no procedure version {version_id}")
        return found

    def listed_on(self, day: date) -> list[ProcedureVersion]:
        """Every procedure version in effect on `day`, by code."""
        return queries.listed_on(self.session, day)

    def count(self) -> int:
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(orm.procedures)) or 0)

    def lock_catalogue(self) -> None:
        """One import at a time: a plan reads versions that a concurrent import could change."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CATALOGUE_LOCK})

    def save(self, procedure: Procedure) -> None:
        """Keep the versions an import added (changed ones are tracked by the session)."""
        self.session.add_all(procedure.added)
        procedure.added.clear()
        self.session.flush()


class CalendarRepository:
    """The administrators' overrides, and the snapshot every service counts on
    (shared.calendar_store)."""

    def __init__(self, session: Session, work: UnitOfWork) -> None:
        self.session, self.work = session, work

    def working(self) -> WorkingCalendar:
        """The calendar appointments are counted on: the newest stored snapshot."""
        return calendar_store.load(self.session)

    def overrides(self) -> CalendarOverrides:
        """Every override under the current version, the snapshot row locked (when
        there is one) so that two edits get two versions."""
        snapshot = calendar_store.calendar_snapshot
        version = self.session.execute(
            sa.select(snapshot.c.version).where(snapshot.c.id == 1).with_for_update()
        ).scalar()
        rows = self.session.scalars(sa.select(CalendarOverride).order_by(orm.calendar_overrides.c.day)).all()
        return self.work.track(CalendarOverrides(rows, version or 0))

    def save(self, overrides: CalendarOverrides) -> None:
        """Keep the overrides as they are now, and the snapshot under their version."""
        self.session.add_all(overrides.added)
        for removed in overrides.removed:
            self.session.delete(removed)
        overrides.added.clear()
        overrides.removed.clear()
        self.session.flush()
        calendar_store.store(
            self.session,
            {
                "version": overrides.version,
                "days_off": overrides.days(OverrideKind.DAY_OFF),
                "working_days": overrides.days(OverrideKind.WORKING_DAY),
            },
        )


class AgencyRepository:
    """The receiving agencies' configuration (name, address, place, head's title)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str) -> Agency | None:
        return self.session.get(Agency, code)

    def configured(self, code: str) -> Agency:
        """The agency as configured, or its code standing for its name."""
        return self.get(code) or Agency.unconfigured(code)

    def add(self, agency: Agency) -> Agency:
        self.session.add(agency)
        return agency

    def all(self) -> list[Agency]:
        return list(self.session.scalars(sa.select(Agency).order_by(orm.agencies.c.code)))


class IntakeWork(UnitOfWork):
    """One use case of intake in one transaction, with its repositories."""

    source = "intake"

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self.dossiers = DossierRepository(session, self)
        self.codes = CodeSequences(session)
        self.procedures = ProcedureRepository(session, self)
        self.calendar = CalendarRepository(session, self)
        self.agencies = AgencyRepository(session)

    def publish(self, event: DomainEvent) -> None:
        """Into the outbox and, a lifecycle event, into the statistics' log (Biểu 06), as
        of the moment of the action that recorded it (its dossier's status time)."""
        super().publish(event)
        if event.event_type == EventType.DOSSIER_STATUS_CHANGED:  # a restatement for the portal, not a fact to count
            return
        dossier = next((a for a in self._tracked if isinstance(a, Dossier) and a.code == event.dossier_code), None)
        if dossier is None:
            self.observe(event.event_type, event.dossier_code, event.data(), clock.now())
            return
        described = None
        if event.event_type in statistics.DESCRIBED and dossier.procedure_id:
            # from memory: the use case loaded the procedure, the session's identity map has it
            procedure = self.session.get(ProcedureVersion, dossier.procedure_id)
            described = statistics.described_by(dossier.agency_code, dossier.channel, procedure) if procedure else None
        statistics.record(
            self.session,
            event.event_type,
            event.dossier_code,
            event.data(),
            dossier.status_at,
            described=described,
            new=sa.inspect(dossier).pending,  # type: ignore[union-attr]  # added in this unit of work, not yet written
        )

    def observe(self, event_type: str, dossier_code: str, data: Any, at: datetime) -> None:
        """A lifecycle event, intake's or one it follows, into the statistics' log and the
        dossier's facts, in this transaction."""
        statistics.record(self.session, event_type, dossier_code, data, at)
