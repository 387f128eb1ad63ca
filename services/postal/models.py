"""postal's tables: shipments of results (and later collections) and their tracking."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Moment


class Shipment(Base):
    """One carrier order. (dossier_code, purpose) is unique: one shipment per result."""
    __tablename__ = "shipments"
    __table_args__ = (sa.UniqueConstraint("dossier_code", "purpose"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))  # result | pickup
    status: Mapped[str] = mapped_column(sa.String(20))   # pending | created | in_transit | delivered | failed | returned
    waybill: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    address: Mapped[str] = mapped_column(sa.String(500))
    expected_delivery: Mapped[date | None] = mapped_column(sa.Date)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    postage: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(Moment())
    updated_at: Mapped[datetime] = mapped_column(Moment())
    correlation_id: Mapped[str] = mapped_column(sa.String(36))


class TrackingEvent(Base):
    """A carrier tracking update as received (the shipment's history)."""
    __tablename__ = "tracking_events"
    __table_args__ = (sa.UniqueConstraint("waybill", "status", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[str] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    waybill: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20))
    attempt: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(Moment())
    note: Mapped[str] = mapped_column(sa.Text, default="")
