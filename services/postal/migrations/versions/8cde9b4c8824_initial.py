"""initial tables (with the shared outbox, inbox and calendar snapshot)

Revision ID: 8cde9b4c8824
Revises: 
Create Date: 2026-11-26 04:05:09.916757
"""
from alembic import op
import sqlalchemy as sa
import shared.db
from shared.migrations import create_shared_tables, drop_shared_tables


revision = '8cde9b4c8824'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shipments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('waybill', sa.String(length=40), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('expected_delivery', sa.Date(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('postage', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dossier_code', 'purpose'),
    sa.UniqueConstraint('waybill')
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_dossier_code'), ['dossier_code'], unique=False)

    op.create_table('tracking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.String(length=36), nullable=False),
    sa.Column('waybill', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('waybill', 'status', 'attempt')
    )
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_events_shipment_id'), ['shipment_id'], unique=False)

    create_shared_tables()


def downgrade():
    drop_shared_tables()
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_events_shipment_id'))

    op.drop_table('tracking_events')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_dossier_code'))

    op.drop_table('shipments')
