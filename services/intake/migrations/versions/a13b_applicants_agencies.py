"""issue 13 (applicants and forms): applicants of every kind, the sets received, the
request behind Form 02, and the agencies' configuration

Revision ID: a13b_applicants_agencies
Revises: r13a_reference
"""

import sqlalchemy as sa
from alembic import op

revision = "a13b_applicants_agencies"
down_revision = "r13a_reference"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("place", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("head_title", sa.String(length=200), nullable=False, server_default="THỦ TRƯỞNG CƠ QUAN"),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.alter_column("id_number", existing_type=sa.String(length=12), nullable=True)
        batch_op.add_column(sa.Column("applicant_kind", sa.String(length=20), nullable=False, server_default="citizen"))
        batch_op.add_column(sa.Column("organisation_code", sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column("passport_number", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("nationality", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("representative", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("on_behalf_of", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("authorisation", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("sets", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("supplement_request", sa.JSON(), nullable=True))


def downgrade():
    # a dossier of an organisation or a foreigner has no CCCD: "" keeps the column NOT NULL
    op.execute("UPDATE dossiers SET id_number = '' WHERE id_number IS NULL")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("supplement_request")
        batch_op.drop_column("sets")
        batch_op.drop_column("authorisation")
        batch_op.drop_column("on_behalf_of")
        batch_op.drop_column("representative")
        batch_op.drop_column("nationality")
        batch_op.drop_column("passport_number")
        batch_op.drop_column("organisation_code")
        batch_op.drop_column("applicant_kind")
        batch_op.alter_column("id_number", existing_type=sa.String(length=12), nullable=False)
    op.drop_table("agencies")
