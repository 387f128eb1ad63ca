"""delivery statuses, retries, template versions, segments

Revision ID: e9146ecb8a35
Revises: 03d261aa85a2
Create Date: 2026-11-26 04:09:12.714636
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'e9146ecb8a35'
down_revision = '03d261aa85a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_version', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('segments', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('encoding', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('provider_ref', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('correlation_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('sending_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', shared.db.Moment(timezone=True), nullable=True))

    # the chosen channels become {channel: address}, filled from the old flags
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('addresses', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('procedure_name', sa.String(length=300), nullable=True))
    recipients = sa.table('recipients', sa.column('dossier_code', sa.String), sa.column('phone', sa.String),
                          sa.column('email', sa.String), sa.column('sms', sa.Boolean),
                          sa.column('email_enabled', sa.Boolean), sa.column('addresses', sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(recipients)).all():
        addresses = {}
        if row.sms and row.phone:
            addresses['sms'] = row.phone
        if row.email_enabled and row.email:
            addresses['email'] = row.email
        connection.execute(recipients.update().where(recipients.c.dossier_code == row.dossier_code)
                           .values(addresses=addresses))
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.alter_column('addresses', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('sms')
        batch_op.drop_column('email_enabled')


def downgrade():
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('sms', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_column('procedure_name')
        batch_op.drop_column('addresses')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('sending_at')
        batch_op.drop_column('correlation_id')
        batch_op.drop_column('provider_ref')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('encoding')
        batch_op.drop_column('segments')
        batch_op.drop_column('template_version')
