"""issue 13 (reception): submission references with the code given at acceptance,
who submitted, the outcome handed back, the online service level of Decree 42/2022

Revision ID: r13a_reference
Revises: f20f254dcf09

- dossiers.reference: the submission's own number (TN-...) of an online or postal
  dossier; until it is received, dossiers.code holds that reference and the code is
  given at acceptance, so the history's foreign key now follows the key (ON UPDATE
  CASCADE).
- dossiers.submitted_by: the `sub` of whoever submitted it (the portal client of an
  online dossier may supplement and withdraw it).
- dossiers.outcome: what was handed back (result | rejected).
- procedures.online_service: full | partial | none, filled from the old level (4 ->
  full, 3 -> partial, 1-2 -> none).
"""

from alembic import op
import sqlalchemy as sa


revision = "r13a_reference"
down_revision = "f20f254dcf09"
branch_labels = None
depends_on = None

PG_HISTORY_FK = "dossier_history_dossier_code_fkey"  # PostgreSQL's name for the unnamed constraint
SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s"}  # names SQLite's unnamed constraint in batch mode
SQLITE_HISTORY_FK = "fk_dossier_history_dossier_code"


def _history_fk(onupdate):
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(PG_HISTORY_FK, "dossier_history", type_="foreignkey")
        op.create_foreign_key(PG_HISTORY_FK, "dossier_history", "dossiers", ["dossier_code"], ["code"], onupdate=onupdate)
        return
    with op.batch_alter_table("dossier_history", naming_convention=SQLITE_NAMES, recreate="always") as batch_op:
        batch_op.drop_constraint(SQLITE_HISTORY_FK, type_="foreignkey")
        batch_op.create_foreign_key(SQLITE_HISTORY_FK, "dossiers", ["dossier_code"], ["code"], onupdate=onupdate)


def upgrade():
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("submitted_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=10), nullable=True))
        batch_op.create_index("ix_dossiers_reference", ["reference"], unique=True)
    op.execute("UPDATE dossiers SET outcome = 'result' WHERE status = 'returned'")
    _history_fk("CASCADE")

    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("online_service", sa.String(length=10), nullable=True))
    op.execute(
        "UPDATE procedures SET online_service = CASE WHEN level >= 4 THEN 'full' "
        "WHEN level = 3 THEN 'partial' ELSE 'none' END"
    )
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.alter_column("online_service", existing_type=sa.String(length=10), nullable=False)


def downgrade():
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_column("online_service")
    _history_fk(None)
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_reference")
        batch_op.drop_column("outcome")
        batch_op.drop_column("submitted_by")
        batch_op.drop_column("reference")
