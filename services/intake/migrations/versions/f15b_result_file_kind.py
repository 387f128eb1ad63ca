"""a dossier's result file

Revision ID: f15b_result_file_kind
Revises: f15a_dossier_files

- dossier_files.kind: "paper" (a paper of the dossier: scans, online uploads, as every
  row before) or "result" (the electronic result processing announced with
  result_ready; served like any file, downloaded by the citizen at POST /api/lookup/result).
"""

import sqlalchemy as sa
from alembic import op

revision = "f15b_result_file_kind"
down_revision = "f15a_dossier_files"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossier_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="paper"))


def downgrade():
    with op.batch_alter_table("dossier_files", schema=None) as batch_op:
        batch_op.drop_column("kind")
