"""plan clock, supplements, extension, automation, control slip receipt

Revision ID: 01417b0f5615
Revises: b9b97aab382c
Create Date: 2026-11-26 04:09:19.684307
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '01417b0f5615'
down_revision = 'b9b97aab382c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('automated_departments',
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('since', shared.db.Moment(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('department')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_start', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_seconds', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('supplement_late_allowed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('supplement_requested_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('supplement_department', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('extended_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('extension_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('old_due_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('extended_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('overdue_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.create_index('ix_cases_running_due', ['due_at'], unique=False,
                              postgresql_where=sa.text("status = 'in_progress' AND overdue_at IS NULL"),
                              sqlite_where=sa.text("status = 'in_progress' AND overdue_at IS NULL"))

    with op.batch_alter_table('hand_offs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender_due_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('received_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('task_id', sa.String(length=36), nullable=True))

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('received_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.create_index('ix_tasks_open', ['department', 'due_at', 'id'], unique=False, postgresql_where=sa.text("status IN ('waiting', 'claimed')"), sqlite_where=sa.text("status IN ('waiting', 'claimed')"))
        batch_op.create_index('ix_tasks_undispatched', ['department', 'available_at'], unique=False, postgresql_where=sa.text("status = 'waiting' AND dispatched_at IS NULL"), sqlite_where=sa.text("status = 'waiting' AND dispatched_at IS NULL"))



def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_undispatched', postgresql_where=sa.text("status = 'waiting' AND dispatched_at IS NULL"), sqlite_where=sa.text("status = 'waiting' AND dispatched_at IS NULL"))
        batch_op.drop_index('ix_tasks_open', postgresql_where=sa.text("status IN ('waiting', 'claimed')"), sqlite_where=sa.text("status IN ('waiting', 'claimed')"))
        batch_op.drop_column('received_at')
        batch_op.drop_column('dispatched_at')

    with op.batch_alter_table('hand_offs', schema=None) as batch_op:
        batch_op.drop_column('task_id')
        batch_op.drop_column('received_at')
        batch_op.drop_column('sender_due_at')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_running_due',
                            postgresql_where=sa.text("status = 'in_progress' AND overdue_at IS NULL"),
                            sqlite_where=sa.text("status = 'in_progress' AND overdue_at IS NULL"))
        batch_op.drop_column('overdue_at')
        batch_op.drop_column('extended_by')
        batch_op.drop_column('old_due_at')
        batch_op.drop_column('extension_reason')
        batch_op.drop_column('extended_at')
        batch_op.drop_column('supplement_department')
        batch_op.drop_column('supplement_requested_at')
        batch_op.drop_column('supplement_late_allowed')
        batch_op.drop_column('paused_seconds')
        batch_op.drop_column('plan_start')

    op.drop_table('automated_departments')
