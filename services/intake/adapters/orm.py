"""intake's tables, and the mapping of the domain's classes onto them (classical
mapping: the domain stays free of the database layer). The tables are those of the
migrations in services/intake/migrations: a change here needs a revision there."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry, relationship

from services.intake.domain.model import (
    DEFAULT_HEAD_TITLE,
    Agency,
    CalendarOverride,
    Channel,
    Dossier,
    DossierDepartment,
    DossierFile,
    DossierStatus,
    OnlineService,
    Outcome,
    OverrideKind,
    PostalStatus,
    ProcedureVersion,
    ReturnMethod,
    Transition,
)
from shared.db import EnumText, Moment

mapper_registry = registry()
metadata = mapper_registry.metadata  # intake's own tables (its database holds nothing of another service's)


class Base:
    """What shared.migrations reads: `Base.metadata` of a service's tables."""

    metadata = metadata


# One version of a procedure of the national catalogue (thủ tục hành chính).
procedures = sa.Table(
    "procedures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(20), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("field", sa.String(200), nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("online_service", EnumText(OnlineService, 10), nullable=False),  # Decree 42/2022/NĐ-CP
    sa.Column("agency_code", sa.String(20), nullable=False),
    sa.Column("duration_days", sa.Integer, nullable=False),
    sa.Column("route", sa.JSON, nullable=False),
    # the fee schedule [{name, amount (đồng), kind, when}] and its exemptions [{code, name}]; the total is computed
    sa.Column("fees", sa.JSON, nullable=False),
    sa.Column("fee_exemptions", sa.JSON, nullable=False),
    sa.Column("documents", sa.JSON, nullable=False),
    sa.Column("return_methods", sa.JSON, nullable=False),
    sa.Column("supplement_clock", sa.String(10), nullable=False),
    sa.Column("cutoff", sa.String(5), nullable=True),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("effective_to", sa.Date, nullable=True),
    sa.Column("legal_basis", sa.Text, nullable=False, default=""),
    # may be submitted by post (Decision 45/2016/QĐ-TTg: unless the applicant must come in person)
    sa.Column("postal_reception", sa.Boolean, nullable=False, default=True, server_default=sa.true()),
    sa.UniqueConstraint("code", "version"),
)


def _folded_name(context: Any) -> str:
    """The applicant's name without case or accents (queries.folded), written with the
    name: a dossier's name is written once, when it is registered."""
    from services.intake.adapters.queries import folded  # queries imports this module: imported when used

    return folded(context.get_current_parameters()["applicant_name"])


# A dossier in the register (sổ theo dõi hồ sơ), with its citizen-facing status.
dossiers = sa.Table(
    "dossiers",
    metadata,
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("agency_code", sa.String(20), nullable=False),
    sa.Column("procedure_id", sa.ForeignKey("procedures.id"), nullable=False),
    sa.Column("procedure_code", sa.String(20), nullable=False),
    sa.Column("procedure_version", sa.Integer, nullable=False),
    sa.Column("channel", EnumText(Channel, 10), nullable=False),
    sa.Column("status", EnumText(DossierStatus, 30), nullable=False),
    sa.Column("status_at", Moment(), nullable=False),
    sa.Column("applicant_name", sa.String(200), nullable=False),
    # the name as the register's search compares it (GET /api/dossiers?q=)
    sa.Column("applicant_folded", sa.String(200), nullable=True, default=_folded_name),
    sa.Column("id_number", sa.String(12), nullable=True, index=True),  # a citizen's CCCD
    sa.Column("phone", sa.String(20), nullable=True),
    sa.Column("email", sa.String(200), nullable=True),
    sa.Column("address", sa.String(500), nullable=True),
    sa.Column("documents", sa.JSON, nullable=False),
    sa.Column("return_method", EnumText(ReturnMethod, 10), nullable=False),
    sa.Column("delivery_address", sa.String(500), nullable=True),
    sa.Column("notify_sms", sa.Boolean, nullable=False, default=False),
    sa.Column("notify_email", sa.Boolean, nullable=False, default=False),
    sa.Column("submitted_at", Moment(), nullable=False),
    sa.Column("received_at", Moment(), nullable=True),
    sa.Column("due_at", Moment(), nullable=True),
    sa.Column("returned_at", Moment(), nullable=True),
    sa.Column("overdue", sa.Boolean, nullable=False, default=False),
    sa.Column("rescheduled", sa.Boolean, nullable=False, default=False),
    sa.Column("postal_status", EnumText(PostalStatus, 30), nullable=True),
    sa.Column("received_by", sa.String(100), nullable=True),
    sa.Column("correlation_id", sa.String(36), nullable=False),
    sa.Column("pickup_id", sa.String(64), nullable=True, unique=True, index=True),
    sa.Column("handed_over_at", Moment(), nullable=True),
    sa.Column("closing_reason", sa.Text, nullable=True),
    # issue 13: applicants of every kind (CONTRACT "Applicants"), the sets received, Form 02
    sa.Column("applicant_kind", sa.String(20), nullable=False, server_default="citizen"),
    sa.Column("organisation_code", sa.String(13), nullable=True),
    sa.Column("passport_number", sa.String(12), nullable=True),
    sa.Column("nationality", sa.String(2), nullable=True),
    sa.Column("representative", sa.JSON, nullable=True),
    sa.Column("on_behalf_of", sa.JSON, nullable=True),
    sa.Column("authorisation", sa.String(300), nullable=True),
    sa.Column("sets", sa.Integer, nullable=False, server_default="1"),
    sa.Column("supplement_request", sa.JSON, nullable=True),
    # issue 13: an online or postal submission's own number; `code` holds it until the
    # dossier is received and given its code (the history follows: ON UPDATE CASCADE)
    sa.Column("reference", sa.String(40), nullable=True),
    sa.Column("submitted_by", sa.String(100), nullable=True),  # the submitter's `sub`
    sa.Column("outcome", EnumText(Outcome, 10), nullable=True),  # result | rejected, once returned
    # the financial obligation: the applicant's exemption {code, reason}, and what is owed
    # per stage {stage: {amount, pay_by, paid_at, order_id, method}} (Dossier.payments)
    sa.Column("fee_exemption", sa.JSON, nullable=True),
    sa.Column("payments", sa.JSON, nullable=True),
    # the national portal's number of a dossier submitted there, and the count of status
    # changes (dossier_status_changed.seq)
    sa.Column("portal_reference", sa.String(60), nullable=True),
    sa.Column("status_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_dossiers_reference", "reference", unique=True),
    sa.Index("ix_dossiers_portal_reference", "portal_reference", unique=True),
    # the counter's list (GET /api/dossiers): an agency's newest, a day's, those waiting
    sa.Index("ix_dossiers_agency_submitted", "agency_code", "submitted_at"),
    sa.Index("ix_dossiers_agency_received", "agency_code", "received_at"),
    sa.Index("ix_dossiers_agency_status", "agency_code", "status", "submitted_at"),
    sa.Index("ix_dossiers_organisation_code", "organisation_code"),
    sa.Index("ix_dossiers_passport_number", "passport_number"),
    # the register's search (GET /api/dossiers) beyond one agency: the newest, of a
    # status, of a procedure; a part of the name (LIKE '%...%', pg_trgm)
    sa.Index("ix_dossiers_submitted", "submitted_at", "code"),
    sa.Index("ix_dossiers_status", "status", "submitted_at"),
    sa.Index("ix_dossiers_procedure", "procedure_code", "submitted_at"),
    sa.Index(
        "ix_dossiers_applicant_folded",
        "applicant_folded",
        postgresql_using="gin",
        postgresql_ops={"applicant_folded": "gin_trgm_ops"},
    ),
)
# how long after (or before) its submission a dossier was received, and has its
# appointment: their ends bound the submissions of a period of receptions or
# appointments (register._submitted_around)
sa.Index("ix_dossiers_reception_gap", dossiers.c.received_at - dossiers.c.submitted_at)
sa.Index("ix_dossiers_appointment_gap", dossiers.c.due_at - dossiers.c.submitted_at)

# A receiving agency's configuration: the name, address and place its forms print, and
# its head's title for signatures (catalogue file `agencies`, `motcua agency set`).
agencies = sa.Table(
    "agencies",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("address", sa.String(500), nullable=False, server_default=""),
    sa.Column("place", sa.String(100), nullable=False, server_default=""),
    sa.Column("head_title", sa.String(200), nullable=False, server_default=DEFAULT_HEAD_TITLE),
)

# Each transition of a dossier with its time and actor (the audit trail).
dossier_history = sa.Table(
    "dossier_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dossier_code", sa.ForeignKey("dossiers.code", onupdate="CASCADE"), nullable=False, index=True),
    sa.Column("status", EnumText(DossierStatus, 30), nullable=False),
    sa.Column("at", Moment(), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
)

# The files of a dossier (scans, uploads). The content is in the file store
# under `sha256`, stored before the row is written; a stored file no row names is swept
# after 24 hours. The key follows the dossier's (a reference becomes the code).
dossier_files = sa.Table(
    "dossier_files",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("dossier_code", sa.ForeignKey("dossiers.code", onupdate="CASCADE"), nullable=False, index=True),
    sa.Column("document", sa.String(500), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("uploaded_at", Moment(), nullable=False),
    sa.Column("uploaded_by", sa.String(100), nullable=False),
    sa.Column("announced", sa.Boolean, nullable=False, default=False),  # listed by an event
    # paper (of the dossier) | result (the electronic result processing announced)
    sa.Column("kind", sa.String(10), nullable=False, default="paper", server_default="paper"),
)

# The departments that have or had a task of a dossier (processing_started,
# dossier_transferred): an officer's scope. The dossier's submitted_at is copied in
# (it never changes) so that a department's dossiers are read newest first from here.
dossier_departments = sa.Table(
    "dossier_departments",
    metadata,
    sa.Column("dossier_code", sa.ForeignKey("dossiers.code", onupdate="CASCADE"), primary_key=True),
    sa.Column("department", sa.String(40), primary_key=True),
    sa.Column("submitted_at", Moment(), nullable=False),
    sa.Index("ix_dossier_departments_newest", "department", "submitted_at", "dossier_code"),
)

# Last dossier number given per receiving agency and day (restarts at 0001 daily).
code_sequences = sa.Table(
    "code_sequences",
    metadata,
    sa.Column("agency_code", sa.String(20), primary_key=True),
    sa.Column("day", sa.String(6), primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)

# The first answer to a request sent with an Idempotency-Key.
idempotent_requests = sa.Table(
    "idempotent_requests",
    metadata,
    sa.Column("caller", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", Moment(), nullable=False),
)

# An administrator's change to the official calendar.
calendar_overrides = sa.Table(
    "calendar_overrides",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", EnumText(OverrideKind, 12), nullable=False),  # day_off | working_day
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("set_by", sa.String(100), nullable=False),
    sa.Column("set_at", Moment(), nullable=False),
)

mapper_registry.map_imperatively(ProcedureVersion, procedures)
mapper_registry.map_imperatively(Transition, dossier_history)
mapper_registry.map_imperatively(DossierFile, dossier_files)
mapper_registry.map_imperatively(
    Dossier,
    dossiers,
    properties={
        # only the entries a change appends are written; the stored trail is read by the views
        "trail": relationship(Transition, lazy="noload", cascade="save-update"),
        # the files are loaded when a rule needs them (the total, the events' lists)
        "files": relationship(
            DossierFile,
            lazy="select",
            cascade="save-update",
            order_by=[dossier_files.c.uploaded_at, dossier_files.c.id],
        ),
        # loaded when processing's events name a department
        "departments": relationship(DossierDepartment, lazy="select", cascade="save-update"),
    },
)
mapper_registry.map_imperatively(DossierDepartment, dossier_departments)
mapper_registry.map_imperatively(CalendarOverride, calendar_overrides)
mapper_registry.map_imperatively(Agency, agencies)

from services.intake.adapters import statistics  # noqa: E402, F401  (its tables: register_events, dossier_facts)
