"""The connector's ledger in its database, and its unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.portal.adapters import queries
from services.portal.adapters.orm import arrivals, catalogue_pulls, poll_cursor, statuses
from services.portal.domain.model import Arrival, ArrivalState, StatusRecord
from shared.db import dialect_insert, insert_or_skip
from shared.uow import UnitOfWork


class Ledger:
    def __init__(self, session: Session, work: UnitOfWork) -> None:
        self.session, self.work = session, work

    # --- statuses out ----------------------------------------------------------------

    def keep_status(self, record: StatusRecord) -> bool:
        """Record it unless known (a redelivered event changes nothing). True when new."""
        values = {c.key: getattr(record, c.key) for c in statuses.c}
        result = insert_or_skip(self.session, statuses, values, ("dossier_key", "seq"))
        return bool(result.rowcount == 1)

    def unsent(self, limit: int) -> list[StatusRecord]:
        """The oldest owed records, a few per dossier at most matter (sendable picks)."""
        query = (
            sa.select(StatusRecord)
            .where(statuses.c.sent_at.is_(None))
            .order_by(statuses.c.dossier_key, statuses.c.seq)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def last_sent(self, keys: list[str]) -> dict[str, int]:
        """The highest seq sent per dossier, for these dossiers."""
        if not keys:
            return {}
        rows = self.session.execute(
            sa.select(statuses.c.dossier_key, sa.func.max(statuses.c.seq))
            .where(statuses.c.dossier_key.in_(keys), statuses.c.sent_at.is_not(None))
            .group_by(statuses.c.dossier_key)
        ).all()
        return {key: seq for key, seq in rows}

    def status(self, dossier_key: str, seq: int, for_update: bool = False) -> StatusRecord | None:
        query = sa.select(StatusRecord).where(statuses.c.dossier_key == dossier_key, statuses.c.seq == seq)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        found: StatusRecord | None = self.session.scalars(query).first()
        return found

    def statuses_of(self, code: str) -> list[StatusRecord]:
        return queries.records_of(self.session, code)

    def keys_since(self, since: datetime | None) -> list[str]:
        query = sa.select(statuses.c.dossier_key).distinct()
        if since is not None:
            query = query.where(statuses.c.recorded_at >= since)
        return list(self.session.scalars(query.order_by(statuses.c.dossier_key)))

    # --- dossiers in -----------------------------------------------------------------

    def keep_arrival(self, arrival: Arrival) -> bool:
        """Record it unless the portal number is known (pushed twice, or pushed and
        polled). True when new."""
        values = {c.key: getattr(arrival, c.key) for c in arrivals.c}
        result = insert_or_skip(self.session, arrivals, values, ("portal_reference",))
        return bool(result.rowcount == 1)

    def arrivals_due(self, now: datetime, limit: int = 50) -> list[str]:
        query = (
            sa.select(arrivals.c.portal_reference)
            .where(
                arrivals.c.state.in_((ArrivalState.NEW, ArrivalState.SUBMITTED)),
                sa.or_(arrivals.c.next_try_at.is_(None), arrivals.c.next_try_at <= now),
            )
            .order_by(arrivals.c.arrived_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def arrival(self, portal_reference: str, for_update: bool = False) -> Arrival | None:
        query = sa.select(Arrival).where(arrivals.c.portal_reference == portal_reference)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        found: Arrival | None = self.session.scalars(query).first()
        return found

    def poll_cursor(self) -> str | None:
        return self.session.scalar(sa.select(poll_cursor.c.after).where(poll_cursor.c.id == 1))

    def move_poll_cursor(self, after: str | None, now: datetime) -> None:
        insert = dialect_insert(self.session)(poll_cursor).values(id=1, after=after, polled_at=now)
        self.session.execute(
            insert.on_conflict_do_update(index_elements=["id"], set_={"after": after, "polled_at": now})
        )

    # --- the catalogue -----------------------------------------------------------------

    def keep_pull(self, at: datetime, by: str, dry_run: bool, outcome: str, report: dict[str, Any]) -> None:
        self.session.execute(
            catalogue_pulls.insert().values(pulled_at=at, by=by, dry_run=dry_run, outcome=outcome, report=report)
        )

    def last_pulls(self) -> tuple[datetime | None, datetime | None]:
        """When the last real pull was done (it reached both sides), and when one was last tried."""
        real = catalogue_pulls.c.dry_run.is_(False)
        done = self.session.scalar(
            sa.select(sa.func.max(catalogue_pulls.c.pulled_at)).where(real, catalogue_pulls.c.outcome != "unreachable")
        )
        tried = self.session.scalar(sa.select(sa.func.max(catalogue_pulls.c.pulled_at)).where(real))
        return done, tried


class PortalWork(UnitOfWork):
    source = "portal"

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.ledger = Ledger(session, self)
