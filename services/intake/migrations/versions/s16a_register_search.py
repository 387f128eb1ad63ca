"""the register's search (GET /api/dossiers)

Revision ID: s16a_register_search
Revises: f15b_result_file_kind

- dossiers.applicant_folded: the applicant's name without case or accents
  (queries.folded), filled here for the dossiers there are; on PostgreSQL a pg_trgm
  GIN index finds a part of it (LIKE '%nguyen van an%').
- dossier_departments (dossier_code, department, submitted_at): the departments that
  had a task of a dossier, an officer's scope; filled here from the history's
  processing entries (their note is the department).
- indexes of the search beyond one agency (an administrator's, an officer's): the
  newest, of a status, of a procedure; and the gaps from the submission to the
  reception and to the appointment, whose ends tell how far these may lie from the
  submission (a period of receptions or appointments is then searched among the
  submissions around it).
"""

import sqlalchemy as sa
from alembic import op

from services.intake.adapters.queries import folded
from shared.db import Moment

revision = "s16a_register_search"
down_revision = "f15b_result_file_kind"
branch_labels = None
depends_on = None

BATCH = 5000

INDEXES = {
    "ix_dossiers_submitted": ["submitted_at", "code"],
    "ix_dossiers_status": ["status", "submitted_at"],
    "ix_dossiers_procedure": ["procedure_code", "submitted_at"],
    "ix_dossiers_reception_gap": [sa.text("(received_at - submitted_at)")],
    "ix_dossiers_appointment_gap": [sa.text("(due_at - submitted_at)")],
}


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.add_column(sa.Column("applicant_folded", sa.String(200), nullable=True))
    _fold_names(bind)
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # a finer histogram of the names: the planner then tells a rare part of a name
        # (read through the trigram index) from a common one (read newest first)
        op.execute("ALTER TABLE dossiers ALTER COLUMN applicant_folded SET STATISTICS 1000")
    op.create_index(
        "ix_dossiers_applicant_folded",
        "dossiers",
        ["applicant_folded"],
        postgresql_using="gin",
        postgresql_ops={"applicant_folded": "gin_trgm_ops"},
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "dossiers", columns)

    op.create_table(
        "dossier_departments",
        sa.Column("dossier_code", sa.String(40), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("submitted_at", Moment(), nullable=False),
        sa.ForeignKeyConstraint(["dossier_code"], ["dossiers.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("dossier_code", "department"),
    )
    op.create_index(
        "ix_dossier_departments_newest", "dossier_departments", ["department", "submitted_at", "dossier_code"]
    )
    # processing's entries in the trail: a processing_started's note is its department
    op.execute(
        """
        INSERT INTO dossier_departments (dossier_code, department, submitted_at)
        SELECT DISTINCT h.dossier_code, h.note, d.submitted_at
        FROM dossier_history h JOIN dossiers d ON d.code = h.dossier_code
        WHERE h.actor = 'processing' AND h.note <> '' AND length(h.note) <= 40
        """
    )


def _fold_names(bind):
    dossiers = sa.table("dossiers", sa.column("code"), sa.column("applicant_name"), sa.column("applicant_folded"))
    rows = bind.execute(sa.select(dossiers.c.code, dossiers.c.applicant_name)).all()
    update = (
        sa.update(dossiers)
        .where(dossiers.c.code == sa.bindparam("b_code"))
        .values(applicant_folded=sa.bindparam("b_folded"))
    )
    for start in range(0, len(rows), BATCH):
        bind.execute(update, [{"b_code": code, "b_folded": folded(name)} for code, name in rows[start : start + BATCH]])


def downgrade():
    op.drop_index("ix_dossier_departments_newest", table_name="dossier_departments")
    op.drop_table("dossier_departments")
    for name in reversed(list(INDEXES)):
        op.drop_index(name, table_name="dossiers")
    op.drop_index("ix_dossiers_applicant_folded", table_name="dossiers")
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.drop_column("applicant_folded")
    # pg_trgm stays: an extension may serve more than this revision
