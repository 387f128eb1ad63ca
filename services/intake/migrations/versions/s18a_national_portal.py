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
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.add_column(sa.Column("portal_reference", sa.String(60), nullable=True))
        batch_op.add_column(sa.Column("status_seq", sa.Integer, nullable=False, server_default="0"))
        batch_op.create_index("ix_dossiers_portal_reference", ["portal_reference"], unique=True)


def downgrade():
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.drop_index("ix_dossiers_portal_reference")
        batch_op.drop_column("status_seq")
        batch_op.drop_column("portal_reference")
