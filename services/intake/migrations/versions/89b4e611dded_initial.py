"""initial tables (with the shared outbox, inbox and calendar snapshot)

Revision ID: 89b4e611dded
Revises: 
Create Date: 2026-11-26 04:05:08.383132
"""
from alembic import op
import sqlalchemy as sa
import shared.db
from shared.migrations import create_shared_tables, drop_shared_tables


revision = '89b4e611dded'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('code_sequences',
    sa.Column('agency_code', sa.String(length=20), nullable=False),
    sa.Column('day', sa.String(length=6), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('agency_code', 'day')
    )
    op.create_table('idempotent_requests',
    sa.Column('caller', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('created_at', shared.db.Moment(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('caller', 'key')
    )
    op.create_table('procedures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('field', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=20), nullable=False),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('route', sa.JSON(), nullable=False),
    sa.Column('fee', sa.Integer(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('return_methods', sa.JSON(), nullable=False),
    sa.Column('supplement_clock', sa.String(length=10), nullable=False),
    sa.Column('cutoff', sa.String(length=5), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', 'version')
    )
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedures_code'), ['code'], unique=False)

    op.create_table('dossiers',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('agency_code', sa.String(length=20), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('procedure_code', sa.String(length=20), nullable=False),
    sa.Column('procedure_version', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('status_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=12), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('return_method', sa.String(length=10), nullable=False),
    sa.Column('delivery_address', sa.String(length=500), nullable=True),
    sa.Column('notify_sms', sa.Boolean(), nullable=False),
    sa.Column('notify_email', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('received_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('due_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('returned_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('rescheduled', sa.Boolean(), nullable=False),
    sa.Column('postal_status', sa.String(length=30), nullable=True),
    sa.Column('received_by', sa.String(length=100), nullable=True),
    sa.Column('correlation_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossiers_id_number'), ['id_number'], unique=False)

    op.create_table('dossier_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_code'], ['dossiers.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dossier_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_history_dossier_code'), ['dossier_code'], unique=False)

    create_shared_tables()


def downgrade():
    drop_shared_tables()
    with op.batch_alter_table('dossier_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_history_dossier_code'))

    op.drop_table('dossier_history')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_id_number'))

    op.drop_table('dossiers')
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedures_code'))

    op.drop_table('procedures')
    op.drop_table('idempotent_requests')
    op.drop_table('code_sequences')
