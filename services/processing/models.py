"""processing's tables: each dossier's plan, the department work items, the control slip."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Moment


class Case(Base):
    """A dossier as processing sees it: its route through departments and deadline."""
    __tablename__ = "cases"

    dossier_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(sa.String(20))
    procedure_version: Mapped[int]
    route: Mapped[list] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(30))  # in_progress | finished | rejected
    current_step: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(Moment())
    due_at: Mapped[datetime] = mapped_column(Moment())
    finished_at: Mapped[datetime | None] = mapped_column(Moment())
    return_method: Mapped[str] = mapped_column(sa.String(10))
    postal_address: Mapped[str | None] = mapped_column(sa.String(500))
    supplement_clock: Mapped[str] = mapped_column(sa.String(10))
    correlation_id: Mapped[str] = mapped_column(sa.String(36))


class Task(Base):
    """One step of a dossier in one department's work queue."""
    __tablename__ = "tasks"
    __table_args__ = (sa.Index("ix_tasks_queue", "department", "status", "due_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(sa.ForeignKey("cases.dossier_code"), index=True)
    step: Mapped[int]
    department: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20))  # waiting | claimed | done
    available_at: Mapped[datetime] = mapped_column(Moment())
    due_at: Mapped[datetime] = mapped_column(Moment())
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(Moment())
    decided_at: Mapped[datetime | None] = mapped_column(Moment())
    decision: Mapped[str | None] = mapped_column(sa.String(30))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class HandOff(Base):
    """A line of the control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, Form 05)."""
    __tablename__ = "hand_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_code: Mapped[str] = mapped_column(sa.ForeignKey("cases.dossier_code"), index=True)
    from_party: Mapped[str] = mapped_column(sa.String(60))
    to_party: Mapped[str] = mapped_column(sa.String(60))
    handed_over_at: Mapped[datetime] = mapped_column(Moment())
    due_at: Mapped[datetime | None] = mapped_column(Moment())
    note: Mapped[str] = mapped_column(sa.Text, default="")
