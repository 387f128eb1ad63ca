"""recipients remember the dossier's channel (issue 13)

The supplement message says where to supplement by the dossier's channel (online:
the public service portal; counter and postal: the one-stop counter), learnt from
dossier_received. Recipients known before this revision have none: their messages
keep naming the counter.

Revision ID: n13a_recipient_channel
Revises: e9146ecb8a35
Create Date: 2026-12-01 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "n13a_recipient_channel"
down_revision = "e9146ecb8a35"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("channel")
