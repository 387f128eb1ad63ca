"""processing's tables, and the mapping of the domain's classes onto them (the
domain classes stay plain: the mapping is declared here, once, on import).

The tables are those of the migrations in services/processing/migrations: a
change here needs a new revision there."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from services.processing.domain import model
from shared.db import Moment


class Base(DeclarativeBase):
    """processing's own tables (its database holds nothing of another service's)."""


metadata = Base.metadata

# A dossier as processing sees it: its route through departments and deadline.
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("dossier_code", sa.String(40), primary_key=True),
    sa.Column("procedure_code", sa.String(20), nullable=False),
    sa.Column("procedure_version", sa.Integer, nullable=False),
    sa.Column("route", sa.JSON, nullable=False),
    sa.Column("status", sa.String(30), nullable=False),  # model.CaseStatus
    sa.Column("current_step", sa.Integer, nullable=False),
    sa.Column("received_at", Moment(), nullable=False),
    sa.Column("due_at", Moment(), nullable=False),
    sa.Column("finished_at", Moment(), nullable=True),
    sa.Column("return_method", sa.String(10), nullable=False),
    sa.Column("postal_address", sa.String(500), nullable=True),
    sa.Column("supplement_clock", sa.String(10), nullable=False),
    sa.Column("correlation_id", sa.String(36), nullable=False),
    sa.Column("plan_start", Moment(), nullable=True),
    sa.Column("paused_seconds", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("supplement_late_allowed", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("supplement_requested_at", Moment(), nullable=True),
    sa.Column("supplement_department", sa.String(40), nullable=True),
    sa.Column("extended_at", Moment(), nullable=True),
    sa.Column("extension_reason", sa.Text, nullable=True),
    sa.Column("old_due_at", Moment(), nullable=True),
    sa.Column("extended_by", sa.String(100), nullable=True),
    sa.Column("overdue_at", Moment(), nullable=True),
    # counter | postal (paper: the 15:00 cut-off applies) | online
    sa.Column("channel", sa.String(10), nullable=False, default="counter", server_default="counter"),
    # Form 04 is addressed to the applicant and signed by the agency {code, name, head_title, place}
    sa.Column("applicant_name", sa.String(300), nullable=True),
    sa.Column("agency", sa.JSON, nullable=True),
    # does the procedure return its result electronically (dossier_received
    # says), and the result file attached on the last step (its content is in the file
    # store under result_sha256; the sweep keeps what a case names)
    sa.Column("result_electronic", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("result_file_id", sa.String(36), nullable=True),
    sa.Column("result_sha256", sa.String(64), nullable=True, index=True),
    sa.Column("result_size", sa.BigInteger, nullable=True),
    sa.Column("result_media_type", sa.String(100), nullable=True),
    sa.Column("result_name", sa.String(200), nullable=True),
    sa.Column("result_uploaded_by", sa.String(100), nullable=True),
    sa.Column("result_uploaded_at", Moment(), nullable=True),
    # the overdue sweep: running dossiers not yet announced overdue, by deadline
    sa.Index(
        "ix_cases_running_due",
        "due_at",
        postgresql_where=sa.text("status = 'in_progress' AND overdue_at IS NULL"),
        sqlite_where=sa.text("status = 'in_progress' AND overdue_at IS NULL"),
    ),
)

# One step of a dossier in one department's work queue.
tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("dossier_code", sa.ForeignKey("cases.dossier_code"), nullable=False, index=True),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("department", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # model.TaskStatus
    sa.Column("available_at", Moment(), nullable=False),
    sa.Column("due_at", Moment(), nullable=False),
    sa.Column("claimed_by", sa.String(100), nullable=True),
    sa.Column("claimed_at", Moment(), nullable=True),
    sa.Column("decided_at", Moment(), nullable=True),
    sa.Column("decision", sa.String(30), nullable=True),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("dispatched_at", Moment(), nullable=True),  # published to the department's system
    sa.Column("received_at", Moment(), nullable=True),  # first taken by an officer or system
    sa.Index("ix_tasks_queue", "department", "status", "due_at"),
    # the work queues: open items of a department, earliest due first
    sa.Index(
        "ix_tasks_open",
        "department",
        "due_at",
        "id",
        postgresql_where=sa.text("status IN ('waiting', 'claimed')"),
        sqlite_where=sa.text("status IN ('waiting', 'claimed')"),
    ),
    # items still to publish to automated departments
    sa.Index(
        "ix_tasks_undispatched",
        "department",
        "available_at",
        postgresql_where=sa.text("status = 'waiting' AND dispatched_at IS NULL"),
        sqlite_where=sa.text("status = 'waiting' AND dispatched_at IS NULL"),
    ),
)

# A line of the control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, Form 05).
hand_offs = sa.Table(
    "hand_offs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dossier_code", sa.ForeignKey("cases.dossier_code"), nullable=False, index=True),
    sa.Column("from_party", sa.String(60), nullable=False),
    sa.Column("to_party", sa.String(60), nullable=False),
    sa.Column("handed_over_at", Moment(), nullable=False),
    sa.Column("due_at", Moment(), nullable=True),  # the receiving party's deadline
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("sender_due_at", Moment(), nullable=True),  # ahead / on time / late against this
    sa.Column("received_at", Moment(), nullable=True),  # the counter took it (else: the task's)
    sa.Column("task_id", sa.String(36), nullable=True),  # the work item it handed to
)

# A department whose own software takes its work from processing.tasks.<department>.
automated_departments = sa.Table(
    "automated_departments",
    metadata,
    sa.Column("department", sa.String(40), primary_key=True),
    sa.Column("since", Moment(), nullable=False),
    sa.Column("set_by", sa.String(100), nullable=False),
)

Base.registry.map_imperatively(model.Case, cases)
Base.registry.map_imperatively(model.Task, tasks)
Base.registry.map_imperatively(model.HandOff, hand_offs)
Base.registry.map_imperatively(model.AutomatedDepartment, automated_departments)
