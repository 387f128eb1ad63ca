"""What intake tells the other services: one frozen dataclass per event type it
publishes. The fields besides the envelope's are the contract's `data`
(shared/events.py checks them when the unit of work writes them to the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from shared.domain import DomainEvent
from shared.events import EventType

# dossier_code of an event about no single dossier (the calendar)
NOT_A_DOSSIER = "-"


@dataclass(frozen=True)
class Contacts:
    """How notify reaches the citizen (it keeps them; later events carry none)."""

    phone: str | None
    email: str | None
    full_name: str


@dataclass(frozen=True)
class Channels:
    """The channels the citizen chose for this dossier."""

    sms: bool
    email: bool


@dataclass(frozen=True)
class AgencyRef:
    """The receiving agency as its letters name and sign it (processing's Form 04)."""

    code: str
    name: str
    head_title: str
    place: str


@dataclass(frozen=True)
class FileRef:
    """A file of the dossier by reference, never its content: `url` is the
    path of a signed, expiring link (GET /api/files/{id}?expires=&signature=) that
    works without a token; after it expires the file is read with a token."""

    id: str
    document: str
    sha256: str
    size: int
    type: str
    url: str


@dataclass(frozen=True)
class DossierReceived(DomainEvent):
    """Reception (tiếp nhận): the deadline runs from received_at."""

    event_type: ClassVar[EventType] = EventType.DOSSIER_RECEIVED
    procedure_code: str
    procedure_version: int
    procedure_name: str
    channel: str
    received_at: datetime
    due_at: datetime
    route: list[dict[str, Any]]
    supplement_clock: str
    return_method: str
    postal_address: str | None
    contacts: Contacts
    notify: Channels
    applicant_name: str = ""  # "Kính gửi": a person's full name, an organisation's name
    applicant_kind: str = "citizen"
    agency: AgencyRef | None = None
    # the submission reference it had before reception (none for a counter dossier)
    # [Circular 01/2018/TT-VPCP Art. 19; CONTRACT "Submission references and codes"]
    reference: str | None = None
    # the files of the dossier when it is received (an online dossier's uploads)
    files: list[FileRef] = field(default_factory=list)
    # the procedure may return its result electronically (fully online)
    result_electronic: bool = False


@dataclass(frozen=True)
class DossierRefused(DomainEvent):
    """Refusal (Form 03). Never received, so notify has no contacts yet: they travel
    with the refusal."""

    event_type: ClassVar[EventType] = EventType.DOSSIER_REFUSED
    reason: str
    contacts: Contacts
    notify: Channels


@dataclass(frozen=True)
class DossierSupplemented(DomainEvent):
    """The complete dossier is in: processing resumes (and may restart the clock)."""

    event_type: ClassVar[EventType] = EventType.DOSSIER_SUPPLEMENTED
    received_at: datetime
    documents: list[dict[str, Any]]
    # the files uploaded since the supplement was requested
    files: list[FileRef] = field(default_factory=list)


@dataclass(frozen=True)
class DossierFilesAdded(DomainEvent):
    """Files added to a dossier already received (the counter scanning its papers
    after reception): the departments learn of them."""

    event_type: ClassVar[EventType] = EventType.DOSSIER_FILES_ADDED
    files: list[FileRef]


@dataclass(frozen=True)
class DossierWithdrawn(DomainEvent):
    event_type: ClassVar[EventType] = EventType.DOSSIER_WITHDRAWN
    reason: str


@dataclass(frozen=True)
class DossierStatusChanged(DomainEvent):
    """The citizen-facing status changed: the national portal is told each one, in
    the order of `seq` (the dossier's count of its changes)."""

    event_type: ClassVar[EventType] = EventType.DOSSIER_STATUS_CHANGED
    seq: int
    status: str
    number: int
    changed_at: datetime
    channel: str
    agency_code: str
    procedure_code: str
    reference: str | None
    portal_reference: str | None
    note: str


@dataclass(frozen=True)
class DossierReturned(DomainEvent):
    """The result, or a rejected dossier's refusal notice, is in the citizen's hands:
    at the counter or delivered by post [Decree 61/2018/NĐ-CP Art. 19-20]."""

    event_type: ClassVar[EventType] = EventType.DOSSIER_RETURNED
    returned_at: datetime
    where: str
    outcome: str = "result"  # or "rejected": the refusal notice with the original papers


@dataclass(frozen=True)
class CalendarChanged(DomainEvent):
    """The whole set of administrator overrides after an edit, under a new version."""

    event_type: ClassVar[EventType] = EventType.CALENDAR_CHANGED
    version: int
    days_off: list[date]
    working_days: list[date]


@dataclass(frozen=True)
class FeeLine:
    """One item of what is owed (after any exemption: a waived lệ phí shows 0)."""

    name: str
    amount: int  # đồng
    kind: str


@dataclass(frozen=True)
class PaymentRequested(DomainEvent):
    """The dossier owes `amount` đồng at `stage` (before_processing: received, but no
    department sees it until paid; before_return: the result waits for it). Carries
    the contacts: notify never heard of a dossier waiting to pay before processing."""

    event_type: ClassVar[EventType] = EventType.PAYMENT_REQUESTED
    stage: str
    amount: int
    items: list[FeeLine]
    pay_by: date
    agency_code: str
    procedure_code: str
    procedure_name: str
    online: bool
    contacts: Contacts
    notify: Channels
    channel: str = ""  # how the dossier came in (notify: where the citizen supplements)
    # the legal reception, ISO 8601 (the statistics count the dossier received then)
    received_at: str | None = None
