"""the statistics' read model (Biểu 06)

Revision ID: s16b_statistics
Revises: s16a_register_search

- register_events: every lifecycle event of a dossier intake publishes or follows, as
  the statistics read it (no personal data), appended with the change.
- dossier_facts: one row per dossier, folded from it (`motcua stats rebuild` fills it
  for the dossiers received before this revision, from the register).
"""

import sqlalchemy as sa
from alembic import op

from shared.db import Moment

revision = "s16b_statistics"
down_revision = "s16a_register_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "register_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("dossier_code", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("occurred_at", Moment(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_register_events_dossier", "register_events", ["dossier_code", "id"])
    op.create_table(
        "dossier_facts",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("agency_code", sa.String(20), nullable=True),
        sa.Column("procedure_code", sa.String(20), nullable=True),
        sa.Column("procedure_name", sa.String(500), nullable=True),
        sa.Column("field", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(10), nullable=True),
        sa.Column("department", sa.String(100), nullable=True),
        sa.Column("received_at", Moment(), nullable=True),
        sa.Column("appointments", sa.JSON(), nullable=False),
        sa.Column("extensions", sa.JSON(), nullable=False),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("finished_at", Moment(), nullable=True),
        sa.Column("closed", sa.String(10), nullable=True),
        sa.Column("closed_at", Moment(), nullable=True),
        sa.Column("returned_at", Moment(), nullable=True),
        sa.Column("ended_at", Moment(), nullable=True),
    )
    op.create_index("ix_dossier_facts_agency_received", "dossier_facts", ["agency_code", "received_at"])
    op.create_index("ix_dossier_facts_ended", "dossier_facts", ["ended_at"])
    op.create_index("ix_dossier_facts_closed", "dossier_facts", ["closed_at"])


def downgrade():
    op.drop_index("ix_dossier_facts_closed", table_name="dossier_facts")
    op.drop_index("ix_dossier_facts_ended", table_name="dossier_facts")
    op.drop_index("ix_dossier_facts_agency_received", table_name="dossier_facts")
    op.drop_table("dossier_facts")
    op.drop_index("ix_register_events_dossier", table_name="register_events")
    op.drop_table("register_events")
