"""The connector's tables, mapped onto the domain's classes (classical mapping)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import registry

from services.portal.domain.model import Arrival, StatusRecord
from shared.db import Moment

metadata = sa.MetaData()
mapper_registry = registry(metadata=metadata)

# Every status change owed to the portal, once per dossier and seq.
statuses = sa.Table(
    "statuses",
    metadata,
    sa.Column("dossier_key", sa.String(60), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("number", sa.SmallInteger, nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("dossier_code", sa.String(60), nullable=False, index=True),
    sa.Column("reference", sa.String(60)),
    sa.Column("portal_reference", sa.String(60)),
    sa.Column("changed_at", Moment(), nullable=False),
    sa.Column("agency_code", sa.String(20), nullable=False),
    sa.Column("procedure_code", sa.String(40), nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Column("recorded_at", Moment(), nullable=False),
    sa.Column("sent_at", Moment()),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_try_at", Moment()),
    sa.Column("last_error", sa.String(500)),
    sa.Column("parked_at", Moment()),
    # the sender reads only what is still owed
    sa.Index("ix_statuses_unsent", "dossier_key", "seq", postgresql_where=sa.text("sent_at IS NULL")),
)

# Each dossier the portal took, once per portal number.
arrivals = sa.Table(
    "arrivals",
    metadata,
    sa.Column("portal_reference", sa.String(60), primary_key=True),
    sa.Column("dossier", sa.JSON, nullable=False),
    sa.Column("arrived_at", Moment(), nullable=False),
    sa.Column("via", sa.String(10), nullable=False),
    sa.Column("state", sa.String(12), nullable=False, index=True),
    sa.Column("reference", sa.String(60)),
    sa.Column("files_done", sa.JSON),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_try_at", Moment()),
    sa.Column("last_error", sa.String(500)),
    sa.Column("done_at", Moment()),
)

# Where the poll of the portal's dossiers got to (one row).
poll_cursor = sa.Table(
    "poll_cursor",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True),
    sa.Column("after", sa.String(200)),
    sa.Column("polled_at", Moment()),
)

# Every catalogue pull: what it applied and what it could not map.
catalogue_pulls = sa.Table(
    "catalogue_pulls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("pulled_at", Moment(), nullable=False, index=True),
    sa.Column("by", sa.String(100), nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),  # applied | nothing_to_do | refused | unreachable
    sa.Column("report", sa.JSON, nullable=False),
)


def start_mappers() -> None:
    if mapper_registry.mappers:
        return
    mapper_registry.map_imperatively(StatusRecord, statuses)
    mapper_registry.map_imperatively(Arrival, arrivals)


start_mappers()
Base = mapper_registry
