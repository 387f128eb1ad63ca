"""postal's tables: carrier orders (results going out, dossiers coming in) and their tracking."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import Moment


class Base(DeclarativeBase):
    """postal's own tables (its database holds nothing of another service's)."""


class Shipment(Base):
    """One carrier order (bưu gửi). purpose "result": a result carried to the citizen,
    one per dossier ((dossier_code, purpose) is unique). purpose "pickup": a dossier
    collected at the citizen's address (thu gom hồ sơ), which has no dossier code
    until intake registers it; `submission` keeps what the citizen submits."""
    __tablename__ = "shipments"
    __table_args__ = (sa.UniqueConstraint("dossier_code", "purpose"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    dossier_code: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))  # result | pickup
    # pending (not yet ordered) | created | accepted | collected | in_transit | failed
    # | delivered | returned | handed_over | cancelled
    status: Mapped[str] = mapped_column(sa.String(20))
    waybill: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    address: Mapped[str] = mapped_column(sa.String(500))  # delivery address, or the pickup address
    distance_class: Mapped[str | None] = mapped_column(sa.String(20))
    expected_delivery: Mapped[date | None] = mapped_column(sa.Date)
    attempts: Mapped[int] = mapped_column(default=0)  # delivery attempts reported by the carrier
    next_attempt_on: Mapped[date | None] = mapped_column(sa.Date)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    order_tries: Mapped[int] = mapped_column(default=0)  # failed calls to create the carrier order
    next_try_at: Mapped[datetime | None] = mapped_column(Moment())
    postage: Mapped[int] = mapped_column(default=0)  # cước, VND
    fees_to_collect: Mapped[int] = mapped_column(default=0)  # fees the postal worker collects, VND
    fees_collected: Mapped[int] = mapped_column(default=0)
    handed_over_at: Mapped[datetime | None] = mapped_column(Moment())
    delivered_at: Mapped[datetime | None] = mapped_column(Moment())
    submission: Mapped[dict | None] = mapped_column(sa.JSON)
    request_key: Mapped[str | None] = mapped_column(sa.String(250), unique=True)  # caller + Idempotency-Key
    request_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(Moment())
    updated_at: Mapped[datetime] = mapped_column(Moment())
    correlation_id: Mapped[str] = mapped_column(sa.String(36))
    # Who asked for a pickup: only they read or cancel it (shared.scope). A counter's
    # pickup belongs to its agency, a portal's to that portal client (its `sub`).
    requested_by_role: Mapped[str | None] = mapped_column(sa.String(20))
    requested_by: Mapped[str | None] = mapped_column(sa.String(100))
    requested_by_agency: Mapped[str | None] = mapped_column(sa.String(20))


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
