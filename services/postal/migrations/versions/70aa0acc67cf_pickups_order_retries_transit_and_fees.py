"""pickups, order retries, transit and fees

A pickup (dossier collected by post) has no dossier code until intake registers it,
so dossier_code becomes nullable.

Revision ID: 70aa0acc67cf
Revises: 8cde9b4c8824
Create Date: 2026-11-26 04:09:57.984490
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '70aa0acc67cf'
down_revision = '8cde9b4c8824'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('distance_class', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('order_tries', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_try_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('fees_to_collect', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('fees_collected', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('handed_over_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', shared.db.Moment(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('submission', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('request_key', sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('dossier_code',
               existing_type=sa.VARCHAR(length=40),
               nullable=True)
        batch_op.create_unique_constraint('uq_shipments_request_key', ['request_key'])



def downgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_shipments_request_key', type_='unique')
        batch_op.alter_column('dossier_code',
               existing_type=sa.VARCHAR(length=40),
               nullable=False)
        batch_op.drop_column('request_hash')
        batch_op.drop_column('request_key')
        batch_op.drop_column('submission')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('handed_over_at')
        batch_op.drop_column('fees_collected')
        batch_op.drop_column('fees_to_collect')
        batch_op.drop_column('next_try_at')
        batch_op.drop_column('order_tries')
        batch_op.drop_column('next_attempt_on')
        batch_op.drop_column('distance_class')

