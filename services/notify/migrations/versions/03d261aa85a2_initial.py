"""initial tables (with the shared outbox, inbox and calendar snapshot)

Revision ID: 03d261aa85a2
Revises: 
Create Date: 2026-11-26 04:05:10.699188
"""
from alembic import op
import sqlalchemy as sa
import shared.db
from shared.migrations import create_shared_tables, drop_shared_tables


revision = '03d261aa85a2'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('sent_at', shared.db.Moment(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'channel')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_dossier_code'), ['dossier_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_status'), ['status'], unique=False)

    op.create_table('recipients',
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('sms', sa.Boolean(), nullable=False),
    sa.Column('email_enabled', sa.Boolean(), nullable=False),
    sa.Column('correlation_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('dossier_code')
    )
    op.create_table('local_deliveries',
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('delivered_at', shared.db.Moment(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ),
    sa.PrimaryKeyConstraint('message_id')
    )

    create_shared_tables()


def downgrade():
    drop_shared_tables()
    op.drop_table('local_deliveries')
    op.drop_table('recipients')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_status'))
        batch_op.drop_index(batch_op.f('ix_messages_dossier_code'))

    op.drop_table('messages')
