"""initial tables (with the shared outbox, inbox and calendar snapshot)

Revision ID: b9b97aab382c
Revises: 
Create Date: 2026-11-26 04:05:09.132650
"""
from alembic import op
import sqlalchemy as sa
import shared.db
from shared.migrations import create_shared_tables, drop_shared_tables


revision = 'b9b97aab382c'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cases',
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('procedure_code', sa.String(length=20), nullable=False),
    sa.Column('procedure_version', sa.Integer(), nullable=False),
    sa.Column('route', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('current_step', sa.Integer(), nullable=False),
    sa.Column('received_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('due_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('finished_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('return_method', sa.String(length=10), nullable=False),
    sa.Column('postal_address', sa.String(length=500), nullable=True),
    sa.Column('supplement_clock', sa.String(length=10), nullable=False),
    sa.Column('correlation_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('dossier_code')
    )
    op.create_table('hand_offs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('from_party', sa.String(length=60), nullable=False),
    sa.Column('to_party', sa.String(length=60), nullable=False),
    sa.Column('handed_over_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('due_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_code'], ['cases.dossier_code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hand_offs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hand_offs_dossier_code'), ['dossier_code'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('available_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('due_at', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('decided_at', shared.db.Moment(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=30), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_code'], ['cases.dossier_code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_dossier_code'), ['dossier_code'], unique=False)
        batch_op.create_index('ix_tasks_queue', ['department', 'status', 'due_at'], unique=False)

    create_shared_tables()


def downgrade():
    drop_shared_tables()
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_queue')
        batch_op.drop_index(batch_op.f('ix_tasks_dossier_code'))

    op.drop_table('tasks')
    with op.batch_alter_table('hand_offs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hand_offs_dossier_code'))

    op.drop_table('hand_offs')
    op.drop_table('cases')
