"""notify's tables (who to tell and how, each message, what the local channel sent)
and their mapping onto the domain's classes, which stay plain: the mapping is
declared here, the domain knows nothing of it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from services.notify.domain.model import Message, Recipient
from shared.db import Moment


class Base(DeclarativeBase):
    """notify's own tables (its database holds nothing of another service's)."""


recipients = sa.Table(
    "recipients",
    Base.metadata,
    sa.Column("dossier_code", sa.String(40), primary_key=True),
    sa.Column("full_name", sa.String(200), nullable=True),
    sa.Column("phone", sa.String(20), nullable=True),
    sa.Column("email", sa.String(200), nullable=True),
    # the chosen channels and the address on each: {"sms": "0912...", "email": "..."}
    sa.Column("addresses", sa.JSON, nullable=False, default=dict),
    sa.Column("procedure_name", sa.String(300), nullable=True),
    sa.Column("correlation_id", sa.String(36), nullable=False),
    # the dossier's channel (counter | online | postal), from dossier_received: where to supplement
    sa.Column("channel", sa.String(20), nullable=True),
)

# One message for one (event, channel): the unique key makes it exactly one.
messages = sa.Table(
    "messages",
    Base.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("dossier_code", sa.String(40), nullable=False, index=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("address", sa.String(200), nullable=False),
    sa.Column("template", sa.String(100), nullable=False),
    sa.Column("template_version", sa.String(16), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("segments", sa.Integer, nullable=True),  # SMS parts the body costs
    sa.Column("encoding", sa.String(8), nullable=True),  # gsm7 | ucs2 (SMS)
    sa.Column("status", sa.String(30), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", Moment(), nullable=True),  # retry or end of quiet hours
    sa.Column("provider_ref", sa.String(100), nullable=True),  # the provider's id, once accepted
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("correlation_id", sa.String(36), nullable=True),
    sa.Column("created_at", Moment(), nullable=False),
    sa.Column("sending_at", Moment(), nullable=True),
    sa.Column("sent_at", Moment(), nullable=True),  # the provider took it
    sa.Column("delivered_at", Moment(), nullable=True),  # delivered (or receipt)
    sa.UniqueConstraint("event_id", "channel"),
)

# What the local channel 'sent' (development and tests): one row per message.
local_deliveries = sa.Table(
    "local_deliveries",
    Base.metadata,
    sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id"), primary_key=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("address", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("delivered_at", Moment(), nullable=False),
)


class LocalDelivery:
    """A row of local_deliveries (no domain meaning: the local channel's 'network')."""

    def __init__(self, message_id: str, channel: str, address: str, body: str, delivered_at: datetime) -> None:
        self.message_id, self.channel, self.address = message_id, channel, address
        self.body, self.delivered_at = body, delivered_at


Base.registry.map_imperatively(Recipient, recipients)
Base.registry.map_imperatively(Message, messages)
Base.registry.map_imperatively(LocalDelivery, local_deliveries)
