"""staff accounts and signed-in sessions

Revision ID: w14a_accounts
Revises:
Create Date: 2026-11-29 22:30:00
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "w14a_accounts"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("username", sa.String(length=64), primary_key=True),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=True),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", shared.db.Moment(timezone=True), nullable=True),
        sa.Column("created_at", shared.db.Moment(timezone=True), nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("key_hash", sa.String(length=64), primary_key=True),
        sa.Column("username", sa.String(length=64), sa.ForeignKey("accounts.username"), nullable=False),
        sa.Column("created_at", shared.db.Moment(timezone=True), nullable=False),
        sa.Column("last_seen_at", shared.db.Moment(timezone=True), nullable=False),
        sa.Column("expires_at", shared.db.Moment(timezone=True), nullable=False),
    )
    op.create_index("ix_sessions_username", "sessions", ["username"])


def downgrade():
    op.drop_index("ix_sessions_username", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("accounts")
