"""postal's tables, mapped onto the domain's classes: carrier orders (results going
out, dossiers coming in) and their tracking. The domain model knows nothing of this
mapping (classical mapping: the tables are described here, the classes stay plain)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import registry, relationship

from services.postal.domain.model import (
    Pickup,
    Purpose,
    RejectionShipment,
    ResultShipment,
    Shipment,
    ShipmentStatus,
    TrackingEntry,
)
from shared.db import EnumText, Moment

metadata = sa.MetaData()  # postal's own tables (its database holds nothing of another service's)
mapper_registry = registry(metadata=metadata)


# One carrier order (bưu gửi). purpose "result": a result carried to the citizen, one per
# dossier ((dossier_code, purpose) is unique); "rejection": the refusal notice and the
# original papers of a rejected dossier, one per dossier likewise. purpose "pickup": a dossier collected at the
# citizen's address (thu gom hồ sơ), which has no dossier code until intake registers it;
# `submission` keeps what the citizen submits.
shipments = sa.Table(
    "shipments",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("dossier_code", sa.String(40), index=True),
    sa.Column("purpose", EnumText(Purpose, 20), nullable=False),  # result | rejection | pickup
    sa.Column("status", EnumText(ShipmentStatus, 20), nullable=False),
    sa.Column("waybill", sa.String(40), unique=True),
    sa.Column("address", sa.String(500), nullable=False),  # delivery address, or the pickup address
    sa.Column("distance_class", sa.String(20)),
    sa.Column("expected_delivery", sa.Date),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),  # delivery attempts reported by the carrier
    sa.Column("next_attempt_on", sa.Date),
    sa.Column("last_error", sa.Text),
    sa.Column("order_tries", sa.Integer, nullable=False, default=0),  # failed calls to create the carrier order
    sa.Column("next_try_at", Moment()),
    sa.Column("postage", sa.Integer, nullable=False, default=0),  # cước, VND
    sa.Column("fees_to_collect", sa.Integer, nullable=False, default=0),  # fees the postal worker collects, VND
    sa.Column("fees_collected", sa.Integer, nullable=False, default=0),
    sa.Column("handed_over_at", Moment()),
    sa.Column("delivered_at", Moment()),
    sa.Column("submission", sa.JSON),
    sa.Column("request_key", sa.String(250), unique=True),  # caller + Idempotency-Key
    sa.Column("request_hash", sa.String(64)),
    sa.Column("created_at", Moment(), nullable=False),
    sa.Column("updated_at", Moment(), nullable=False),
    sa.Column("correlation_id", sa.String(36), nullable=False),
    # Who asked for a pickup: only they read or cancel it (shared.scope).
    sa.Column("requested_by_role", sa.String(20)),
    sa.Column("requested_by", sa.String(100)),
    sa.Column("requested_by_agency", sa.String(20)),
    sa.UniqueConstraint("dossier_code", "purpose"),
)

# A carrier tracking update as received (the shipment's history).
tracking_events = sa.Table(
    "tracking_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("shipment_id", sa.String(36), sa.ForeignKey("shipments.id"), nullable=False, index=True),
    sa.Column("waybill", sa.String(40), nullable=False),
    sa.Column("status", EnumText(ShipmentStatus, 20), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False, default=0),
    sa.Column("at", Moment(), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("waybill", "status", "attempt"),
)


def start_mappers() -> None:
    """Map the domain classes onto the tables (once per process)."""
    if mapper_registry.mappers:
        return
    mapper_registry.map_imperatively(TrackingEntry, tracking_events)
    mapper_registry.map_imperatively(
        Shipment,
        shipments,
        polymorphic_on=shipments.c.purpose,
        properties={
            "tracking": relationship(TrackingEntry, order_by=[tracking_events.c.at, tracking_events.c.id]),
        },
    )
    # one table, the kinds of shipment told apart by their purpose
    mapper_registry.map_imperatively(ResultShipment, inherits=Shipment, polymorphic_identity=Purpose.RESULT.value)
    mapper_registry.map_imperatively(
        RejectionShipment, inherits=ResultShipment, polymorphic_identity=Purpose.REJECTION.value
    )
    mapper_registry.map_imperatively(Pickup, inherits=Shipment, polymorphic_identity=Purpose.PICKUP.value)


start_mappers()

# what shared.migrations reads (`Base.metadata`: the tables Alembic compares with the migrations)
Base = mapper_registry
