"""The shipments in postal's database, and postal's unit of work."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.postal.adapters.orm import shipments
from services.postal.domain.model import Pickup, Purpose, ResultShipment, Shipment, ShipmentStatus, parse_reference
from shared import calendar_store
from shared.calendar import WorkingCalendar
from shared.db import insert_or_skip
from shared.uow import UnitOfWork


class ShipmentRepository:
    """Loads and adds shipments; what it hands out is tracked by the unit of work (its
    recorded events reach the outbox with the commit)."""

    def __init__(self, session: Session, work: UnitOfWork) -> None:
        self.session, self.work = session, work

    def _one(self, query: sa.Select[Any], for_update: bool) -> Any:
        if for_update:
            # the row as it is once locked, even when this session had read it before
            query = query.with_for_update().execution_options(populate_existing=True)
        found = self.session.scalars(query).first()
        return self.work.track(found) if found is not None else None

    def get(self, shipment_id: str, for_update: bool = False) -> Shipment | None:
        shipment: Shipment | None = self._one(sa.select(Shipment).where(shipments.c.id == shipment_id), for_update)
        return shipment

    def get_pickup(self, pickup_id: str, for_update: bool = False) -> Pickup | None:
        pickup: Pickup | None = self._one(sa.select(Pickup).where(shipments.c.id == pickup_id), for_update)
        return pickup

    def by_waybill(self, waybill: str, for_update: bool = False) -> Shipment | None:
        shipment: Shipment | None = self._one(sa.select(Shipment).where(shipments.c.waybill == waybill), for_update)
        return shipment

    def by_reference(self, reference: str | None, for_update: bool = False) -> Shipment | None:
        """The shipment our carrier reference names (`<dossier_code>:result`,
        `<dossier_code>:rejection`, `pickup:<id>`)."""
        parsed = parse_reference(reference)
        if parsed is None:
            return None
        purpose, key = parsed
        if purpose == Purpose.PICKUP:
            return self.get_pickup(key, for_update)
        shipment: Shipment | None = self._one(
            sa.select(ResultShipment).where(shipments.c.dossier_code == key, shipments.c.purpose == purpose),
            for_update,
        )
        return shipment

    def by_request_key(self, request_key: str) -> Pickup | None:
        pickup: Pickup | None = self._one(sa.select(Pickup).where(shipments.c.request_key == request_key), False)
        return pickup

    def add(self, shipment: Shipment) -> Shipment:
        self.session.add(shipment)
        return self.work.track(shipment)

    def add_result(self, shipment: ResultShipment) -> ResultShipment:
        """The dossier's shipment of this purpose (its result, or its rejection): this
        one, unless one is recorded already (a repeated or concurrent result_ready or
        dossier_rejected finds the same row: no race, no error)."""
        values = {c.key: getattr(shipment, c.key, None) for c in shipments.c}
        # what is not set stays SQL NULL (a JSON column would store None as JSON null)
        insert_or_skip(
            self.session, shipments, {k: v for k, v in values.items() if v is not None}, ("dossier_code", "purpose")
        )
        stored: ResultShipment = self.session.scalars(
            sa.select(ResultShipment).where(
                shipments.c.dossier_code == shipment.dossier_code, shipments.c.purpose == shipment.purpose
            )
        ).one()
        return self.work.track(stored)

    def due_for_order(self, now: datetime, limit: int = 50) -> list[str]:
        """Pending orders whose next try has come (also those a crash left behind)."""
        return list(
            self.session.scalars(
                sa.select(shipments.c.id)
                .where(shipments.c.status == ShipmentStatus.PENDING, shipments.c.next_try_at <= now)
                .order_by(shipments.c.next_try_at)
                .limit(limit)
            )
        )


class StoredCalendar:
    """The working-day calendar with the newest overrides this service knows, read
    from the database the first time a rule needs it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._calendar: WorkingCalendar | None = None

    def _loaded(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = calendar_store.load(self.session)
        return self._calendar

    def next_working_moment(self, moment: datetime) -> datetime:
        found: datetime = self._loaded().next_working_moment(moment)
        return found

    def add_working_days_to_date(self, day: date, count: int) -> date:
        found: date = self._loaded().add_working_days_to_date(day, count)
        return found


class PostalWork(UnitOfWork):
    """One use case of postal in one transaction: the shipments it changes and the
    events they recorded commit together."""

    source = "postal"

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.shipments = ShipmentRepository(session, self)
        self.calendar = StoredCalendar(session)

    def keep_calendar(self, snapshot: dict[str, Any]) -> bool:
        """Keep intake's newest calendar overrides (an older snapshot changes nothing)."""
        stored: bool = calendar_store.store(self.session, snapshot)
        return stored
