"""initial tables: statuses, arrivals, poll_cursor, catalogue_pulls (with the shared outbox, inbox and calendar snapshot)

Revision ID: p1a_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.db import Moment
from shared.migrations import create_shared_tables, drop_shared_tables

revision = "p1a_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "statuses",
        sa.Column("dossier_key", sa.String(60), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("number", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("dossier_code", sa.String(60), nullable=False),
        sa.Column("reference", sa.String(60)),
        sa.Column("portal_reference", sa.String(60)),
        sa.Column("changed_at", Moment(), nullable=False),
        sa.Column("agency_code", sa.String(20), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("recorded_at", Moment(), nullable=False),
        sa.Column("sent_at", Moment()),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try_at", Moment()),
        sa.Column("last_error", sa.String(500)),
        sa.Column("parked_at", Moment()),
    )
    op.create_index("ix_statuses_dossier_code", "statuses", ["dossier_code"])
    op.create_index(
        "ix_statuses_unsent", "statuses", ["dossier_key", "seq"], postgresql_where=sa.text("sent_at IS NULL")
    )
    op.create_table(
        "arrivals",
        sa.Column("portal_reference", sa.String(60), primary_key=True),
        sa.Column("dossier", sa.JSON, nullable=False),
        sa.Column("arrived_at", Moment(), nullable=False),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("reference", sa.String(60)),
        sa.Column("files_done", sa.JSON),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try_at", Moment()),
        sa.Column("last_error", sa.String(500)),
        sa.Column("done_at", Moment()),
    )
    op.create_index("ix_arrivals_state", "arrivals", ["state"])
    op.create_table(
        "poll_cursor",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("after", sa.String(200)),
        sa.Column("polled_at", Moment()),
    )
    op.create_table(
        "catalogue_pulls",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pulled_at", Moment(), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
    )
    op.create_index("ix_catalogue_pulls_pulled_at", "catalogue_pulls", ["pulled_at"])
    create_shared_tables()


def downgrade():
    drop_shared_tables()
    for table in ("catalogue_pulls", "poll_cursor", "arrivals", "statuses"):
        op.drop_table(table)
