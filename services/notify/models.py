"""notify's tables: who to tell and how, each message, what the local channel sent."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Moment


class Recipient(Base):
    """A dossier's contacts and chosen channels, from dossier_received (stored here only)."""
    __tablename__ = "recipients"

    dossier_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    sms: Mapped[bool] = mapped_column(default=False)
    email_enabled: Mapped[bool] = mapped_column(default=False)
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
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(30), index=True)  # created | sending | delivered | ...
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(Moment())
    sent_at: Mapped[datetime | None] = mapped_column(Moment())


class LocalDelivery(Base):
    """What the local channel 'sent' (development and tests): one row per message."""
    __tablename__ = "local_deliveries"

    message_id: Mapped[str] = mapped_column(sa.ForeignKey("messages.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime] = mapped_column(Moment())
