"""the counter's list of the register (GET /api/dossiers): indexes

Revision ID: w3a_dossier_list_indexes
Revises: a13b_applicants_agencies

- dossiers (agency_code, submitted_at), (agency_code, received_at) and
  (agency_code, status, submitted_at): an agency's newest dossiers, a day's
  receptions, the submissions waiting for the counter, without reading the register.
- dossiers.organisation_code, dossiers.passport_number: a dossier found by the
  identifier it was filed with (id_number has its index since the start).
"""

from alembic import op


revision = "w3a_dossier_list_indexes"
down_revision = "a13b_applicants_agencies"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_dossiers_agency_submitted": ["agency_code", "submitted_at"],
    "ix_dossiers_agency_received": ["agency_code", "received_at"],
    "ix_dossiers_agency_status": ["agency_code", "status", "submitted_at"],
    "ix_dossiers_organisation_code": ["organisation_code"],
    "ix_dossiers_passport_number": ["passport_number"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "dossiers", columns, unique=False)


def downgrade():
    for name in reversed(list(INDEXES)):
        op.drop_index(name, table_name="dossiers")
