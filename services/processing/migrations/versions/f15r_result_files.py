"""electronic results. The result file an officer attaches on the last step
(by reference: its content is in the file store under its SHA-256), and whether the
procedure returns its result electronically (dossier_received's result_electronic)

Revision ID: f15r_result_files
Revises: c13a_channel_applicant_agency
Create Date: 2026-12-10 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from shared.db import Moment


revision = 'f15r_result_files'
down_revision = 'c13a_channel_applicant_agency'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        # cases planned before: their dossier_received did not say; results on paper
        batch_op.add_column(sa.Column('result_electronic', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('result_file_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('result_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('result_size', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('result_media_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('result_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('result_uploaded_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('result_uploaded_at', Moment(), nullable=True))
        batch_op.create_index('ix_cases_result_sha256', ['result_sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_result_sha256')
        for column in (
            'result_uploaded_at', 'result_uploaded_by', 'result_name', 'result_media_type',
            'result_size', 'result_sha256', 'result_file_id', 'result_electronic',
        ):
            batch_op.drop_column(column)
