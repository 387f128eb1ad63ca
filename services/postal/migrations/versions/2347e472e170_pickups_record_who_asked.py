"""pickups record who asked for them

A pickup is read and cancelled only by the agency (counter) or portal client that
asked for it. Pickups asked before this revision have no requester: only an
administrator reads them.

Revision ID: 2347e472e170
Revises: 70aa0acc67cf
Create Date: 2026-11-30 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '2347e472e170'
down_revision = '70aa0acc67cf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_by_role', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('requested_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('requested_by_agency', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_column('requested_by_agency')
        batch_op.drop_column('requested_by')
        batch_op.drop_column('requested_by_role')
