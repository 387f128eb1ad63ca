"""Intake's tables: the procedure catalogue, the dossier register, codes, idempotency."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import Moment


class Base(DeclarativeBase):
    """intake's own tables (its database holds nothing of another service's)."""


class Procedure(Base):
    """One version of a procedure of the national catalogue (thủ tục hành chính)."""
    __tablename__ = "procedures"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(500))
    field: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[int]
    agency_code: Mapped[str] = mapped_column(sa.String(20))
    duration_days: Mapped[int]
    route: Mapped[list] = mapped_column(sa.JSON)
    fee: Mapped[int] = mapped_column(default=0)
    documents: Mapped[list] = mapped_column(sa.JSON)
    return_methods: Mapped[list] = mapped_column(sa.JSON)
    supplement_clock: Mapped[str] = mapped_column(sa.String(10))
    cutoff: Mapped[str | None] = mapped_column(sa.String(5))
    effective_from: Mapped[date] = mapped_column(sa.Date)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="")


class Dossier(Base):
    """A dossier in the register (sổ theo dõi hồ sơ), with its citizen-facing status."""
    __tablename__ = "dossiers"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    agency_code: Mapped[str] = mapped_column(sa.String(20))
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("procedures.id"))
    procedure_code: Mapped[str] = mapped_column(sa.String(20))
    procedure_version: Mapped[int]
    channel: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(30))
    status_at: Mapped[datetime] = mapped_column(Moment())
    applicant_name: Mapped[str] = mapped_column(sa.String(200))
    id_number: Mapped[str] = mapped_column(sa.String(12), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(500))
    documents: Mapped[list] = mapped_column(sa.JSON)
    return_method: Mapped[str] = mapped_column(sa.String(10))
    delivery_address: Mapped[str | None] = mapped_column(sa.String(500))
    notify_sms: Mapped[bool] = mapped_column(default=False)
    notify_email: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(Moment())
    received_at: Mapped[datetime | None] = mapped_column(Moment())
    due_at: Mapped[datetime | None] = mapped_column(Moment())
    returned_at: Mapped[datetime | None] = mapped_column(Moment())
    overdue: Mapped[bool] = mapped_column(default=False)
    rescheduled: Mapped[bool] = mapped_column(default=False)
    postal_status: Mapped[str | None] = mapped_column(sa.String(30))
    received_by: Mapped[str | None] = mapped_column(sa.String(100))
    correlation_id: Mapped[str] = mapped_column(sa.String(36))
    # A postal collection: the carrier's pickup (one dossier per pickup, whatever the
    # redeliveries) and the signed hand-over, which is the legal reception time.
    pickup_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(Moment())
    closing_reason: Mapped[str | None] = mapped_column(sa.Text)  # refusal (Form 03) or withdrawal


class DossierHistory(Base):
    """Each transition of a dossier with its time and actor (the audit trail)."""
    __tablename__ = "dossier_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_code: Mapped[str] = mapped_column(sa.ForeignKey("dossiers.code"), index=True)
    status: Mapped[str] = mapped_column(sa.String(30))
    at: Mapped[datetime] = mapped_column(Moment())
    actor: Mapped[str] = mapped_column(sa.String(100))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class CodeSequence(Base):
    """Last dossier number given per receiving agency and day (restarts at 0001 daily)."""
    __tablename__ = "code_sequences"

    agency_code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    day: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    last: Mapped[int]


class IdempotentRequest(Base):
    """The first answer to a request sent with an Idempotency-Key."""
    __tablename__ = "idempotent_requests"

    caller: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]
    response: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(Moment())


class CalendarOverride(Base):
    """An administrator's change to the official calendar: an extra day off, or a
    make-up working day (ngày làm bù)."""
    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # day_off | working_day
    note: Mapped[str] = mapped_column(sa.Text, default="")
    set_by: Mapped[str] = mapped_column(sa.String(100))
    set_at: Mapped[datetime] = mapped_column(Moment())
