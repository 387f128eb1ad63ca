"""the catalogue report: postal reception

Revision ID: s16c_catalogue_report
Revises: s16b_statistics

- procedures.postal_reception: whether the procedure may be submitted by post
  (Decision 45/2016/QĐ-TTg: any procedure may, unless it requires the applicant in
  person); every version before this one may.
"""

import sqlalchemy as sa
from alembic import op

revision = "s16c_catalogue_report"
down_revision = "s16b_statistics"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("postal_reception", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_column("postal_reception")
