"""The framework-free base of every service's domain layer: the exception
categories a rule may raise, the domain event, and the aggregate that records them.

Nothing here knows about HTTP, the message broker or the database: a category says
what kind of refusal it is (shared.errors maps it to an HTTP status), an event is a
plain frozen dataclass (the unit of work writes it to the outbox), and an aggregate
only remembers what it recorded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from shared.events import EventType


class DomainError(Exception):
    """A refusal by the rules. `code` is the contract's error code (class attribute,
    or given per instance when one exception covers several codes); `fields` names
    the inputs at fault, as the JSON error shape does."""

    code: str = "domain_error"

    def __init__(self, message: str, fields: dict[str, Any] | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = fields or {}
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    """The request itself is wrong (400)."""

    code = "invalid_input"


class Forbidden(DomainError):
    """The actor may not do this (403)."""

    code = "forbidden"


class NotFound(DomainError):
    """No such thing, or none the actor may see (404)."""

    code = "not_found"


class Conflict(DomainError):
    """The current state does not allow it: stale, already done, duplicate (409)."""

    code = "conflict"


class RuleBroken(DomainError):
    """Valid input that the legal rules refuse (422)."""

    code = "rule_broken"


class Unavailable(DomainError):
    """Something the operation needs is out of reach for now; trying later may work (503)."""

    code = "unavailable"


class TooLarge(DomainError):
    """The content is larger than its limit allows (413)."""

    code = "too_large"


class UnsupportedMedia(DomainError):
    """The content is not of a kind that is accepted (415)."""

    code = "unsupported_media_type"


# Envelope fields: every other field of an event is its contract `data`.
ENVELOPE_FIELDS = ("dossier_code", "correlation_id")


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened to a dossier. A subclass per contract event type sets
    `event_type` and adds the fields of that event's `data`."""

    dossier_code: str
    correlation_id: str | None

    event_type: ClassVar[EventType]

    def data(self) -> dict[str, Any]:
        """The contract's `data`: every field but the envelope's (nested dataclasses
        as dicts)."""
        return {
            field.name: _plain(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if field.name not in ENVELOPE_FIELDS
        }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class Aggregate:
    """A consistency boundary (the dossier, the case, the shipment, the message): its
    operations check the rules, change its state and `record` what happened. The unit
    of work that tracks it writes the recorded events to the outbox on commit.

    The list lives in the instance's own dictionary, created on first use: objects
    loaded by an ORM or built as dataclasses never run this class's __init__."""

    @property
    def events(self) -> list[DomainEvent]:
        recorded: list[DomainEvent] = self.__dict__.setdefault("_recorded_events", [])
        return recorded

    @events.setter
    def events(self, value: list[DomainEvent]) -> None:
        self.__dict__["_recorded_events"] = value

    def record(self, event: DomainEvent) -> None:
        self.events.append(event)
