"""the national portal: a portal dossier's own number, and the count of status changes

Revision ID: s18a_national_portal
Revises: s17b_payment_obligation

- dossiers.portal_reference: the national portal's number of a dossier submitted
  there; unique, so the same portal dossier arriving twice stays one dossier;
- dossiers.status_seq: how many times the status changed, the `seq` of
  dossier_status_changed. The dossiers before start at 0: the portal is told their
  changes from now on (`motcua portal reconcile` compares the rest).
"""

import sqlalchemy as sa
from alembic import op

revision = "s18a_national_portal"
down_revision = "s17b_payment_obligation"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("dossiers", sa.Column("portal_reference", sa.String(60), nullable=True))
    op.add_column("dossiers", sa.Column("status_seq", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_dossiers_portal_reference", "dossiers", ["portal_reference"], unique=True)


def downgrade():
    op.drop_index("ix_dossiers_portal_reference", table_name="dossiers")
    op.drop_column("dossiers", "status_seq")
    op.drop_column("dossiers", "portal_reference")
