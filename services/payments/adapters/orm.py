"""payments' tables, mapped onto the domain's classes (classical mapping: the
classes stay plain)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import registry

from services.payments.domain.model import Method, Obligation, Order, OrderStatus, Stage
from shared.db import EnumText, Moment

metadata = sa.MetaData()
mapper_registry = registry(metadata=metadata)

# What a dossier owes at a stage (intake's payment_requested), one per dossier and stage.
obligations = sa.Table(
    "obligations",
    metadata,
    sa.Column("dossier_code", sa.String(40), primary_key=True),
    sa.Column("stage", EnumText(Stage, 20), primary_key=True),
    sa.Column("amount", sa.BigInteger, nullable=False),  # đồng
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("pay_by", sa.Date, nullable=False),
    sa.Column("online", sa.Boolean, nullable=False),
    sa.Column("agency_code", sa.String(20), nullable=False, index=True),
    sa.Column("procedure_code", sa.String(40), nullable=False),
    sa.Column("procedure_name", sa.String(500)),
    sa.Column("requested_at", Moment(), nullable=False),
    sa.Column("correlation_id", sa.String(36)),
)

# One attempt to pay an obligation (online through the gateway, or at the counter).
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),  # the gateway's order_id
    sa.Column("dossier_code", sa.String(40), nullable=False, index=True),
    sa.Column("stage", EnumText(Stage, 20), nullable=False),
    sa.Column("agency_code", sa.String(20), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("method", EnumText(Method, 10), nullable=False),
    sa.Column("status", EnumText(OrderStatus, 10), nullable=False),
    # the counter's receipt number, or the gateway's transaction number
    sa.Column("receipt_number", sa.String(60)),
    sa.Column("return_url", sa.String(500)),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("correlation_id", sa.String(36)),
    sa.Column("created_at", Moment(), nullable=False),
    sa.Column("paid_at", Moment(), index=True),
    sa.Column("overpayment", sa.Boolean, nullable=False, default=False),
    sa.Column("refund_started_at", Moment()),
    sa.Column("refunded_at", Moment()),
    sa.Column("refund_reason", sa.String(500)),
    sa.ForeignKeyConstraint(["dossier_code", "stage"], ["obligations.dossier_code", "obligations.stage"]),
    # a counter receipt is used once; a gateway transaction is paid once
    sa.UniqueConstraint("method", "receipt_number"),
)

# Exactly once: the obligation's confirmation, held by the first order paid. Its key
# makes a second confirmation of a dossier's stage impossible, whatever the race.
confirmations = sa.Table(
    "confirmations",
    metadata,
    sa.Column("dossier_code", sa.String(40), primary_key=True),
    sa.Column("stage", EnumText(Stage, 20), primary_key=True),
    sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id"), nullable=False, unique=True),
    sa.Column("confirmed_at", Moment(), nullable=False),
)


def start_mappers() -> None:
    if mapper_registry.mappers:
        return
    mapper_registry.map_imperatively(Obligation, obligations)
    mapper_registry.map_imperatively(Order, orders)


start_mappers()

Base = mapper_registry
