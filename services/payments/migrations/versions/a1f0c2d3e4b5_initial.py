"""initial tables: obligations, orders, confirmations (with the shared outbox, inbox and calendar snapshot)

Revision ID: a1f0c2d3e4b5
Revises:
Create Date: 2026-11-26 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db
from shared.migrations import create_shared_tables, drop_shared_tables


revision = 'a1f0c2d3e4b5'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('obligations',
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('pay_by', sa.Date(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('agency_code', sa.String(length=20), nullable=False),
    sa.Column('procedure_code', sa.String(length=40), nullable=False),
    sa.Column('procedure_name', sa.String(length=500), nullable=True),
    sa.Column('requested_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('dossier_code', 'stage')
    )
    op.create_index(op.f('ix_obligations_agency_code'), 'obligations', ['agency_code'], unique=False)
    op.create_table('orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('agency_code', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('receipt_number', sa.String(length=60), nullable=True),
    sa.Column('return_url', sa.String(length=500), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('correlation_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('paid_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('overpayment', sa.Boolean(), nullable=False),
    sa.Column('refund_started_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('refunded_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('refund_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['dossier_code', 'stage'], ['obligations.dossier_code', 'obligations.stage'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('method', 'receipt_number')
    )
    op.create_index(op.f('ix_orders_dossier_code'), 'orders', ['dossier_code'], unique=False)
    op.create_index(op.f('ix_orders_paid_at'), 'orders', ['paid_at'], unique=False)
    op.create_table('confirmations',
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('confirmed_at', shared.db.Moment(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('dossier_code', 'stage'),
    sa.UniqueConstraint('order_id')
    )
    create_shared_tables()


def downgrade():
    drop_shared_tables()
    op.drop_table('confirmations')
    op.drop_index(op.f('ix_orders_paid_at'), table_name='orders')
    op.drop_index(op.f('ix_orders_dossier_code'), table_name='orders')
    op.drop_table('orders')
    op.drop_index(op.f('ix_obligations_agency_code'), table_name='obligations')
    op.drop_table('obligations')
