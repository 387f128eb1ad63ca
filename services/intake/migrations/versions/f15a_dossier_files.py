"""the files of a dossier

Revision ID: f15a_dossier_files
Revises: w3a_dossier_list_indexes

- dossier_files: one row per file of a dossier (scans at the counter, online uploads):
  which document it is, its cleaned name, media type, size, SHA-256 (the content is in
  the file store under it), who uploaded it and when, whether an event listed it. The
  dossier key follows a reference becoming the code (ON UPDATE CASCADE).
"""

import sqlalchemy as sa
from alembic import op

from shared.db import Moment

revision = "f15a_dossier_files"
down_revision = "w3a_dossier_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dossier_files",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "dossier_code",
            sa.String(40),
            sa.ForeignKey("dossiers.code", onupdate="CASCADE"),
            nullable=False,
        ),
        sa.Column("document", sa.String(500), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", Moment(), nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("announced", sa.Boolean, nullable=False),
    )
    op.create_index("ix_dossier_files_dossier_code", "dossier_files", ["dossier_code"])
    op.create_index("ix_dossier_files_sha256", "dossier_files", ["sha256"])


def downgrade():
    op.drop_index("ix_dossier_files_sha256", table_name="dossier_files")
    op.drop_index("ix_dossier_files_dossier_code", table_name="dossier_files")
    op.drop_table("dossier_files")
