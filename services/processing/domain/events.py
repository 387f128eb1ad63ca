"""The events a case records, one per contract event type processing publishes
(shared/CONTRACT.md); the unit of work writes them to the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from shared.domain import DomainEvent
from shared.events import EventType


@dataclass(frozen=True)
class SupplementItem:
    name: str  # the paper missing
    reason: str  # what is wrong with it


@dataclass(frozen=True)
class ProcessingStarted(DomainEvent):
    """A step entered a department's queue."""

    event_type: ClassVar[EventType] = EventType.PROCESSING_STARTED
    department: str
    step: int
    due_at: datetime
    dossier_due_at: datetime | None = None  # the dossier's new deadline, after a supplement

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"department": self.department, "step": self.step, "due_at": self.due_at}
        if self.dossier_due_at is not None:
            data["dossier_due_at"] = self.dossier_due_at
        return data


@dataclass(frozen=True)
class DossierTransferred(DomainEvent):
    """Liên thông: the step continues in another agency."""

    event_type: ClassVar[EventType] = EventType.DOSSIER_TRANSFERRED
    from_department: str
    to_department: str
    reason: str


@dataclass(frozen=True)
class SupplementRequested(DomainEvent):
    event_type: ClassVar[EventType] = EventType.SUPPLEMENT_REQUESTED
    items: tuple[SupplementItem, ...]
    requested_at: datetime
    reason: str
    department: str


@dataclass(frozen=True)
class DossierRejected(DomainEvent):
    """Dừng xử lý: the refusal notice goes back like a result (return method and
    address), and says whether it came after the processing deadline."""

    event_type: ClassVar[EventType] = EventType.DOSSIER_REJECTED
    reason: str
    return_method: str
    postal_address: str | None
    late: bool


@dataclass(frozen=True)
class DeadlineExtended(DomainEvent):
    """The apology with a new date (Form 04)."""

    event_type: ClassVar[EventType] = EventType.DEADLINE_EXTENDED
    reason: str
    old_due_at: datetime
    new_due_at: datetime


@dataclass(frozen=True)
class DossierOverdue(DomainEvent):
    event_type: ClassVar[EventType] = EventType.DOSSIER_OVERDUE
    due_at: datetime


@dataclass(frozen=True)
class ResultFileRef:
    """The result file by reference (its content is in the file store under sha256);
    `url` the path of a signed link to it (intake serves it once it has followed
    result_ready)."""

    id: str
    sha256: str
    size: int
    type: str
    name: str
    url: str


@dataclass(frozen=True)
class ResultReady(DomainEvent):
    event_type: ClassVar[EventType] = EventType.RESULT_READY
    finished_at: datetime
    summary: str
    return_method: str
    postal_address: str | None
    result_file: ResultFileRef | None = None
    # the citizen may download it: the procedure returns its result electronically
    electronic: bool = False

    def data(self) -> dict[str, Any]:
        data = super().data()
        if self.result_file is None:  # a result on paper: the event as before electronic results
            del data["result_file"], data["electronic"]
        return data
