"""fee schedules

Revision ID: s17a_fee_schedules
Revises: s16c_catalogue_report

- procedures.fees: the version's fee schedule [{name, amount, kind, when}], filled
  from the old single `fee` as the catalogue file's old entries are read
  (fees.single_fee: one lệ phí due at submission, no item for 0);
- procedures.fee_exemptions: the exempted categories [{code, name}], none before;
- procedures.fee is dropped: the total is computed from the items. Going down puts
  the total back in it (the items' names, kinds and times are lost).
"""

import sqlalchemy as sa
from alembic import op

from services.intake.domain.fees import FeeSchedule, single_fee

revision = "s17a_fee_schedules"
down_revision = "s16c_catalogue_report"
branch_labels = None
depends_on = None

procedures = sa.table(
    "procedures",
    sa.column("id", sa.Integer),
    sa.column("fee", sa.Integer),
    sa.column("fees", sa.JSON),
    sa.column("fee_exemptions", sa.JSON),
)


def upgrade():
    with op.batch_alter_table("procedures") as batch_op:
        batch_op.add_column(sa.Column("fees", sa.JSON, nullable=True))
        batch_op.add_column(sa.Column("fee_exemptions", sa.JSON, nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(procedures.c.id, procedures.c.fee)).all()
    if rows:
        bind.execute(
            procedures.update().where(procedures.c.id == sa.bindparam("row_id")),
            [{"row_id": row.id, "fees": single_fee(row.fee), "fee_exemptions": []} for row in rows],
        )
    with op.batch_alter_table("procedures") as batch_op:
        batch_op.alter_column("fees", existing_type=sa.JSON, nullable=False)
        batch_op.alter_column("fee_exemptions", existing_type=sa.JSON, nullable=False)
        batch_op.drop_column("fee")


def downgrade():
    with op.batch_alter_table("procedures") as batch_op:
        batch_op.add_column(sa.Column("fee", sa.Integer, nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(procedures.c.id, procedures.c.fees)).all()
    if rows:
        bind.execute(
            procedures.update().where(procedures.c.id == sa.bindparam("row_id")),
            [{"row_id": row.id, "fee": FeeSchedule.of(row.fees).total} for row in rows],
        )
    with op.batch_alter_table("procedures") as batch_op:
        batch_op.alter_column("fee", existing_type=sa.Integer, nullable=False)
        batch_op.drop_column("fees")
        batch_op.drop_column("fee_exemptions")
