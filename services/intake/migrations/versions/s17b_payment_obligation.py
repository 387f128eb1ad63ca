"""the financial obligation of a dossier

Revision ID: s17b_payment_obligation
Revises: s17a_fee_schedules

- dossiers.fee_exemption: the applicant's exemption {code, reason}, as submitted;
- dossiers.payments: what is owed per stage {stage: {amount, pay_by, paid_at,
  order_id, method}}; none for the dossiers before (nothing was requested of them).
  A dossier waiting for a payment before processing has no appointment yet (due_at
  was nullable already).
"""

import sqlalchemy as sa
from alembic import op

revision = "s17b_payment_obligation"
down_revision = "s17a_fee_schedules"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("dossiers", sa.Column("fee_exemption", sa.JSON, nullable=True))
    op.add_column("dossiers", sa.Column("payments", sa.JSON, nullable=True))


def downgrade():
    op.drop_column("dossiers", "payments")
    op.drop_column("dossiers", "fee_exemption")
