"""notify's tables: who to tell and how, each message, what the local channel sent."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import Moment

# created -> sending -> delivered; sending -> temporary-failure -> sending (retried
# with backoff) | permanent-failure; technical-failure when our side failed.
STATUSES = ("created", "sending", "delivered", "temporary-failure", "permanent-failure", "technical-failure")


class Base(DeclarativeBase):
    """notify's own tables (its database holds nothing of another service's)."""


class Recipient(Base):
    """A dossier's contacts and chosen channels, from dossier_received (stored here only)."""
    __tablename__ = "recipients"

    dossier_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    # the chosen channels and the address on each: {"sms": "0912...", "email": "..."}
    addresses: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    procedure_name: Mapped[str | None] = mapped_column(sa.String(300))
    correlation_id: Mapped[str] = mapped_column(sa.String(36))


class Message(Base):
    """One message for one (event, channel): the unique key makes it exactly one."""
    __tablename__ = "messages"
    __table_args__ = (sa.UniqueConstraint("event_id", "channel"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    event_id: Mapped[str] = mapped_column(sa.String(36))
    event_type: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str] = mapped_column(sa.String(200))
    template: Mapped[str] = mapped_column(sa.String(100))
    template_version: Mapped[str | None] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    segments: Mapped[int | None] = mapped_column()          # SMS parts the body costs
    encoding: Mapped[str | None] = mapped_column(sa.String(8))  # gsm7 | ucs2 (SMS)
    status: Mapped[str] = mapped_column(sa.String(30), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Moment())  # retry or end of quiet hours
    provider_ref: Mapped[str | None] = mapped_column(sa.String(100))   # the provider's id, once accepted
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    correlation_id: Mapped[str | None] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(Moment())
    sending_at: Mapped[datetime | None] = mapped_column(Moment())
    sent_at: Mapped[datetime | None] = mapped_column(Moment())       # the provider took it
    delivered_at: Mapped[datetime | None] = mapped_column(Moment())  # delivered (or receipt)


class LocalDelivery(Base):
    """What the local channel 'sent' (development and tests): one row per message."""
    __tablename__ = "local_deliveries"

    message_id: Mapped[str] = mapped_column(sa.ForeignKey("messages.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime] = mapped_column(Moment())
