"""The events payments owes (contract: shared/events.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from shared.domain import DomainEvent
from shared.events import EventType


@dataclass(frozen=True)
class PaymentConfirmed(DomainEvent):
    """The obligation of `stage` is paid: recorded once per dossier and stage."""

    event_type: ClassVar[EventType] = EventType.PAYMENT_CONFIRMED
    stage: str
    amount: int
    method: str
    order_id: str
    receipt_number: str | None
    paid_at: datetime


@dataclass(frozen=True)
class PaymentRefunded(DomainEvent):
    event_type: ClassVar[EventType] = EventType.PAYMENT_REFUNDED
    stage: str
    amount: int
    order_id: str
    refunded_at: datetime
    reason: str
    overpayment: bool = False  # an order paid after another had confirmed the obligation
