"""processing's tables: each dossier's plan, the department work items, the control slip."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import Moment


class Base(DeclarativeBase):
    """processing's own tables (its database holds nothing of another service's)."""


class Case(Base):
    """A dossier as processing sees it: its route through departments and deadline."""
    __tablename__ = "cases"
    __table_args__ = (
        # the overdue sweep: running dossiers not yet announced overdue, by deadline
        sa.Index("ix_cases_running_due", "due_at",
                 postgresql_where=sa.text("status = 'in_progress' AND overdue_at IS NULL"),
                 sqlite_where=sa.text("status = 'in_progress' AND overdue_at IS NULL")),
    )

    dossier_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(sa.String(20))
    procedure_version: Mapped[int]
    route: Mapped[list] = mapped_column(sa.JSON)
    # in_progress | supplement_requested | finished | rejected | withdrawn
    status: Mapped[str] = mapped_column(sa.String(30))
    current_step: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(Moment())
    due_at: Mapped[datetime] = mapped_column(Moment())
    finished_at: Mapped[datetime | None] = mapped_column(Moment())
    return_method: Mapped[str] = mapped_column(sa.String(10))
    postal_address: Mapped[str | None] = mapped_column(sa.String(500))
    supplement_clock: Mapped[str] = mapped_column(sa.String(10))
    correlation_id: Mapped[str] = mapped_column(sa.String(36))
    # The steps' due dates count from plan_start, shifted by the working time spent
    # waiting for supplements under the "pause" rule.
    plan_start: Mapped[datetime | None] = mapped_column(Moment())
    paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    supplement_late_allowed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    supplement_requested_at: Mapped[datetime | None] = mapped_column(Moment())
    supplement_department: Mapped[str | None] = mapped_column(sa.String(40))
    # The apology (Form 04): at most once per dossier.
    extended_at: Mapped[datetime | None] = mapped_column(Moment())
    extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    old_due_at: Mapped[datetime | None] = mapped_column(Moment())
    extended_by: Mapped[str | None] = mapped_column(sa.String(100))
    overdue_at: Mapped[datetime | None] = mapped_column(Moment())  # when dossier_overdue went out


class Task(Base):
    """One step of a dossier in one department's work queue."""
    __tablename__ = "tasks"
    __table_args__ = (
        sa.Index("ix_tasks_queue", "department", "status", "due_at"),
        # the work queues: open items of a department, earliest due first
        sa.Index("ix_tasks_open", "department", "due_at", "id",
                 postgresql_where=sa.text("status IN ('waiting', 'claimed')"),
                 sqlite_where=sa.text("status IN ('waiting', 'claimed')")),
        # items still to publish to automated departments
        sa.Index("ix_tasks_undispatched", "department", "available_at",
                 postgresql_where=sa.text("status = 'waiting' AND dispatched_at IS NULL"),
                 sqlite_where=sa.text("status = 'waiting' AND dispatched_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(sa.ForeignKey("cases.dossier_code"), index=True)
    step: Mapped[int]
    department: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20))  # waiting | claimed | done | cancelled
    available_at: Mapped[datetime] = mapped_column(Moment())
    due_at: Mapped[datetime] = mapped_column(Moment())
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(Moment())
    decided_at: Mapped[datetime | None] = mapped_column(Moment())
    decision: Mapped[str | None] = mapped_column(sa.String(30))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    dispatched_at: Mapped[datetime | None] = mapped_column(Moment())  # published to the department's system
    received_at: Mapped[datetime | None] = mapped_column(Moment())  # first taken by an officer or system


class HandOff(Base):
    """A line of the control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, Form 05)."""
    __tablename__ = "hand_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_code: Mapped[str] = mapped_column(sa.ForeignKey("cases.dossier_code"), index=True)
    from_party: Mapped[str] = mapped_column(sa.String(60))
    to_party: Mapped[str] = mapped_column(sa.String(60))
    handed_over_at: Mapped[datetime] = mapped_column(Moment())
    due_at: Mapped[datetime | None] = mapped_column(Moment())  # the receiving party's deadline
    note: Mapped[str] = mapped_column(sa.Text, default="")
    sender_due_at: Mapped[datetime | None] = mapped_column(Moment())  # ahead / on time / late against this
    received_at: Mapped[datetime | None] = mapped_column(Moment())  # the counter took it (else: the task's)
    task_id: Mapped[str | None] = mapped_column(sa.String(36))  # the work item it handed to


class AutomatedDepartment(Base):
    """A department whose own software takes its work from processing.tasks.<department>."""
    __tablename__ = "automated_departments"

    department: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    since: Mapped[datetime] = mapped_column(Moment())
    set_by: Mapped[str] = mapped_column(sa.String(100))
