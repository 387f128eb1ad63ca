"""postal pickups, closing reasons, calendar overrides

Revision ID: f20f254dcf09
Revises: 89b4e611dded
Create Date: 2026-11-26 04:08:38.381903
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'f20f254dcf09'
down_revision = '89b4e611dded'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.Column('set_at', shared.db.Moment(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pickup_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('handed_over_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closing_reason', sa.Text(), nullable=True))
        batch_op.create_index('ix_dossiers_pickup_id', ['pickup_id'], unique=True)



def downgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_pickup_id')
        batch_op.drop_column('closing_reason')
        batch_op.drop_column('handed_over_at')
        batch_op.drop_column('pickup_id')

    op.drop_table('calendar_overrides')
