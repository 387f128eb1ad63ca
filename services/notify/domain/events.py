"""What notify tells the other services: the outcome of each message."""

from dataclasses import dataclass
from typing import Any, ClassVar

from shared.domain import DomainEvent
from shared.events import EventType


@dataclass(frozen=True, kw_only=True)
class NotificationOutcome(DomainEvent):
    """The contract's data of notification_sent / notification_failed."""

    channel: str
    template: str
    reason: str | None
    template_version: str | None
    message_id: str
    about: str  # the citizen event the message was about ("event_type" in the data)
    attempts: int

    def data(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "template": self.template,
            "reason": self.reason,
            "template_version": self.template_version,
            "message_id": self.message_id,
            "event_type": self.about,
            "attempts": self.attempts,
        }


@dataclass(frozen=True, kw_only=True)
class NotificationSent(NotificationOutcome):
    event_type: ClassVar[EventType] = EventType.NOTIFICATION_SENT


@dataclass(frozen=True, kw_only=True)
class NotificationFailed(NotificationOutcome):
    event_type: ClassVar[EventType] = EventType.NOTIFICATION_FAILED
