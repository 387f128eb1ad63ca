"""issue 13: the dossier's channel (the 15:00 cut-off is for paper dossiers), and
the applicant's name and the agency for the apology (Form 04)

Revision ID: c13a_channel_applicant_agency
Revises: 01417b0f5615
Create Date: 2026-12-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c13a_channel_applicant_agency'
down_revision = '01417b0f5615'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        # cases planned before: all were treated as paper dossiers, as "counter" says
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='counter', nullable=False))
        batch_op.add_column(sa.Column('applicant_name', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('agency', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('agency')
        batch_op.drop_column('applicant_name')
        batch_op.drop_column('channel')
