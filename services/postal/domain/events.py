"""The events postal owes (contract: shared/events.py). Each field but the envelope's
is the event's `data`; fields beyond the contract's schema are sent as they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from shared.domain import DomainEvent
from shared.events import EventType


@dataclass(frozen=True)
class ShipmentCreated(DomainEvent):
    """The carrier took the order of a result: its waybill and the promised date."""

    event_type: ClassVar[EventType] = EventType.SHIPMENT_CREATED
    waybill: str
    expected_delivery: date
    distance_class: str
    postage: int
    purpose: str = "result"  # result | rejection: what the shipment carries back


@dataclass(frozen=True)
class ShipmentDelivered(DomainEvent):
    event_type: ClassVar[EventType] = EventType.SHIPMENT_DELIVERED
    delivered_at: datetime
    waybill: str | None
    purpose: str = "result"


@dataclass(frozen=True)
class ShipmentFailed(DomainEvent):
    """A failed delivery attempt; the next one is announced unless it was the last."""

    event_type: ClassVar[EventType] = EventType.SHIPMENT_FAILED
    attempt: int
    reason: str
    waybill: str | None
    next_attempt_on: date | None = None
    purpose: str = "result"

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "attempt": self.attempt,
            "reason": self.reason,
            "waybill": self.waybill,
            "purpose": self.purpose,
        }
        if self.next_attempt_on is not None:
            # not in the contract's schema: sent as is, so as text
            data["next_attempt_on"] = self.next_attempt_on.isoformat()
        return data


@dataclass(frozen=True)
class ShipmentReturned(DomainEvent):
    """The result (or the returned rejection) is back at the counter for the citizen
    to collect."""

    event_type: ClassVar[EventType] = EventType.SHIPMENT_RETURNED
    waybill: str | None
    attempts: int
    purpose: str = "result"


@dataclass(frozen=True)
class PickupCompleted(DomainEvent):
    """A collected dossier handed over at the counter: `handed_over_at` is its legal
    reception time; `submission` is what intake registers (dossier_code "-": intake
    gives the code)."""

    event_type: ClassVar[EventType] = EventType.PICKUP_COMPLETED
    handed_over_at: datetime
    pickup_id: str
    waybill: str | None
    submission: dict[str, Any]
