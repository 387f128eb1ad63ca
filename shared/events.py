"""The event contract: one envelope, one marshmallow schema per event type.

A service cannot publish a malformed event (`envelope()` validates the data and
raises), and consumers accept unknown fields (schemas INCLUDE them).
"""

import functools
import uuid
from enum import StrEnum
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from shared import clock, logs

VERSION = 1

# An online or postal submission not yet received is known by its reference
# (CONTRACT "Submission references and codes"): "TN-<YYMMDD>-<8 letters>". Events about
# it before reception (dossier_refused) carry the reference as their dossier_code.
# It can never be read as a dossier code (<agency>-<YYMMDD>-<NNNN>): "TN" is no agency
# code, and the last part is letters, never the 4-digit sequence.
SUBMISSION_REFERENCE_PREFIX = "TN-"


def is_reference(code: str | None) -> bool:
    """True for a submission reference, False for a dossier code (or anything else)."""
    return bool(code) and str(code).startswith(SUBMISSION_REFERENCE_PREFIX)


def agency_of_code(code: str | None) -> str | None:
    """The receiving agency a dossier code names (<agency>-<YYMMDD>-<NNNN>, Circular
    01/2018/TT-VPCP Art. 19: the law fixes the shape, so the code itself says the
    agency); None for anything else: a submission reference names none."""
    if is_reference(code):
        return None
    parts = (code or "").rsplit("-", 2)
    return parts[0] if len(parts) == 3 and all(parts) else None


RETURN_METHODS = ("counter", "postal")
CHANNELS = ("counter", "online", "postal")


class _Open(Schema):
    class Meta:
        unknown = INCLUDE


class Contacts(_Open):
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    full_name = fields.String(allow_none=True)


class Channels(_Open):
    sms = fields.Boolean(load_default=False)
    email = fields.Boolean(load_default=False)


class RouteStep(_Open):
    department = fields.String(required=True)
    days = fields.Integer(required=True, validate=validate.Range(min=0))


class AgencyRef(_Open):
    """The receiving agency as its letters name and sign it (Form 04)."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    head_title = fields.String(allow_none=True)
    place = fields.String(allow_none=True)


APPLICANT_KINDS = ("citizen", "organisation", "foreigner")


class FileRef(_Open):
    """A file of a dossier by reference, never its content: its id, which
    document it is, its SHA-256 (hex) and size in bytes, its media type, and `url` the
    path of a signed link valid 15 minutes (intake's GET /api/files/{id}?expires=
    &signature=, no token needed); later, GET /api/files/{id} with a token."""

    id = fields.String(required=True)
    document = fields.String(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    size = fields.Integer(required=True, validate=validate.Range(min=0))
    type = fields.String(required=True)
    url = fields.String()


def _files() -> fields.List:
    # optional: earlier events carry none
    return fields.List(fields.Nested(FileRef), load_default=list)


class DossierReceived(_Open):
    procedure_code = fields.String(required=True)
    procedure_version = fields.Integer(required=True)
    procedure_name = fields.String()
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    received_at = fields.AwareDateTime(required=True)
    due_at = fields.AwareDateTime(required=True)
    route = fields.List(fields.Nested(RouteStep), required=True, validate=validate.Length(min=1))
    supplement_clock = fields.String(load_default="restart")
    # may a department ask for a supplement later than 3 working days after reception?
    supplement_late_allowed = fields.Boolean(load_default=False)
    return_method = fields.String(required=True, validate=validate.OneOf(RETURN_METHODS))
    postal_address = fields.String(allow_none=True)
    contacts = fields.Nested(Contacts, required=True)
    notify = fields.Nested(Channels, required=True)
    # issue 13 (optional: earlier events lack them): whom the agency's letters address
    # ("Kính gửi": a person's full name, an organisation's name) and who signs them
    applicant_name = fields.String()
    applicant_kind = fields.String(load_default="citizen", validate=validate.OneOf(APPLICANT_KINDS))
    agency = fields.Nested(AgencyRef, allow_none=True)
    # issue 13: the submission reference an online or postal dossier had before reception
    # (absent for a counter dossier, and in earlier events)
    reference = fields.String(allow_none=True)
    files = _files()
    # whether the procedure may return its result electronically (a fully
    # online one, Decree 42/2022/NĐ-CP): the citizen then downloads the result file
    # (optional: earlier events lack it, and their results are on paper)
    result_electronic = fields.Boolean(load_default=False)


class Reason(_Open):
    reason = fields.String(required=True)


class DossierRefused(Reason):
    """An online or postal dossier refused at the counter never had dossier_received:
    its contacts and chosen channels come with the refusal (optional) so notify can
    tell the citizen."""

    contacts = fields.Nested(Contacts, allow_none=True)
    notify = fields.Nested(Channels, allow_none=True)


class DossierSupplemented(_Open):
    received_at = fields.AwareDateTime(required=True)
    files = _files()


class DossierFilesAdded(_Open):
    """Files added to a dossier already received (the counter's scans after reception)."""

    files = fields.List(fields.Nested(FileRef), required=True, validate=validate.Length(min=1))


class DossierReturned(_Open):
    returned_at = fields.AwareDateTime(required=True)
    where = fields.String(required=True, validate=validate.OneOf(RETURN_METHODS))
    # issue 13: what was handed back: the result, or the refusal notice of a rejected
    # dossier with its original papers (earlier events lack it: they were all results)
    outcome = fields.String(load_default="result", validate=validate.OneOf(("result", "rejected")))


class ProcessingStarted(_Open):
    department = fields.String(required=True)
    step = fields.Integer(required=True)
    due_at = fields.AwareDateTime()
    dossier_due_at = fields.AwareDateTime()  # the dossier's deadline, when a supplement moved it


class DossierTransferred(_Open):
    from_department = fields.String(required=True)
    to_department = fields.String(required=True)
    reason = fields.String()


class SupplementItem(_Open):
    name = fields.String(required=True)
    reason = fields.String(required=True)


class SupplementRequested(_Open):
    items = fields.List(fields.Nested(SupplementItem), required=True, validate=validate.Length(min=1))
    requested_at = fields.AwareDateTime(required=True)


class DossierRejected(Reason):
    """Dừng xử lý. The refusal notice goes back like a result: `return_method` and
    `postal_address` as in result_ready, and `late` when the rejection came after
    the processing deadline (all optional: events before issue 13 carry the reason only)."""

    return_method = fields.String(validate=validate.OneOf(RETURN_METHODS))
    postal_address = fields.String(allow_none=True)
    late = fields.Boolean()


class DeadlineExtended(_Open):
    reason = fields.String(required=True)
    old_due_at = fields.AwareDateTime(required=True)
    new_due_at = fields.AwareDateTime(required=True)


class DossierOverdue(_Open):
    due_at = fields.AwareDateTime(required=True)


class ResultFileRef(_Open):
    """The electronic result: a PDF the officer attached with the approval
    of the last step, by reference: its id (intake serves it at GET /api/files/{id}
    once it has followed result_ready), SHA-256, size, media type, file name, and
    `url` the path of a signed link valid 15 minutes (no token needed)."""

    id = fields.String(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    size = fields.Integer(required=True, validate=validate.Range(min=0))
    type = fields.String(required=True)
    name = fields.String(required=True)
    url = fields.String()


class ResultReady(_Open):
    finished_at = fields.AwareDateTime(required=True)
    summary = fields.String(required=True)
    return_method = fields.String(required=True, validate=validate.OneOf(RETURN_METHODS))
    postal_address = fields.String(allow_none=True)
    # optional (earlier events, and results on paper, carry none): the result
    # file, and `electronic` when the citizen may download it (the procedure returns its
    # result electronically, dossier_received's `result_electronic`, and a file is there)
    result_file = fields.Nested(ResultFileRef, allow_none=True)
    electronic = fields.Boolean(load_default=False)


# What a postal shipment carries back to the applicant: the result, or the refusal
# notice with the original papers of a rejected dossier (issue 13). Events before it
# lack `purpose`: they were all results.
SHIPMENT_PURPOSES = ("result", "rejection")


class _Shipment(_Open):
    purpose = fields.String(load_default="result", validate=validate.OneOf(SHIPMENT_PURPOSES))


class ShipmentCreated(_Shipment):
    waybill = fields.String(required=True)
    expected_delivery = fields.Date(required=True)


class ShipmentDelivered(_Shipment):
    delivered_at = fields.AwareDateTime(required=True)
    waybill = fields.String()


class ShipmentFailed(_Shipment):
    attempt = fields.Integer(required=True)
    reason = fields.String(required=True)


class ShipmentReturned(_Shipment):
    waybill = fields.String()


class PickupCompleted(_Open):
    """A dossier collected by post and handed over at the counter (dossier_code "-":
    intake gives the code). `submission` has the fields of POST /api/dossiers."""

    handed_over_at = fields.AwareDateTime(required=True)
    pickup_id = fields.String(required=True)
    waybill = fields.String(allow_none=True)
    submission = fields.Dict(required=True)


PAYMENT_STAGES = ("before_processing", "before_return")
PAYMENT_METHODS = ("online", "cash", "card", "postal")


class FeeLine(_Open):
    name = fields.String(required=True)
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))  # đồng
    kind = fields.String(required=True, validate=validate.OneOf(("le_phi", "phi")))


class PaymentRequested(_Open):
    """intake: the dossier owes `amount` đồng (the items after any exemption) at
    `stage`, to be paid by `pay_by`; carries the contacts, as notify may know none
    yet (a dossier waiting to pay before processing was never announced received)."""

    stage = fields.String(required=True, validate=validate.OneOf(PAYMENT_STAGES))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    items = fields.List(fields.Nested(FeeLine), required=True, validate=validate.Length(min=1))
    pay_by = fields.Date(required=True)
    agency_code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    procedure_name = fields.String()
    online = fields.Boolean(load_default=False)  # may be paid online (the lookup's pay button)
    contacts = fields.Nested(Contacts, allow_none=True)
    notify = fields.Nested(Channels, allow_none=True)


class PaymentConfirmed(_Open):
    """payments: the obligation of `stage` is paid, once per dossier and stage."""

    stage = fields.String(required=True, validate=validate.OneOf(PAYMENT_STAGES))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    order_id = fields.String(required=True)
    receipt_number = fields.String(allow_none=True)  # the counter's receipt, the gateway's transaction
    paid_at = fields.AwareDateTime(required=True)


class PaymentRefunded(_Open):
    """payments: a paid order given back (a dossier refused or stopped before processing)."""

    stage = fields.String(required=True, validate=validate.OneOf(PAYMENT_STAGES))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    order_id = fields.String(required=True)
    refunded_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)


class DossierStatusChanged(_Open):
    """intake: the dossier's citizen-facing status changed (the national portal's number
    with it); `seq` counts the changes of one dossier, 1, 2, 3... in the order intake
    made them, so a reader can put them back in order."""

    seq = fields.Integer(required=True, validate=validate.Range(min=1))
    status = fields.String(required=True)
    number = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    changed_at = fields.AwareDateTime(required=True)
    channel = fields.String(required=True)
    agency_code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    reference = fields.String(allow_none=True)
    portal_reference = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class CalendarChanged(_Open):
    """The whole set of administrator overrides after an edit (dossier_code "-")."""

    version = fields.Integer(required=True)
    days_off = fields.List(fields.Date(), required=True)
    working_days = fields.List(fields.Date(), required=True)


class NotificationOutcome(_Open):
    channel = fields.String(required=True)
    template = fields.String(required=True)
    reason = fields.String(allow_none=True)


class EventType(StrEnum):
    """Every event type of the contract. A member is its string (stored, routed and
    compared as today's bare strings)."""

    DOSSIER_RECEIVED = "dossier_received"
    DOSSIER_REFUSED = "dossier_refused"
    DOSSIER_SUPPLEMENTED = "dossier_supplemented"
    DOSSIER_WITHDRAWN = "dossier_withdrawn"
    DOSSIER_RETURNED = "dossier_returned"
    DOSSIER_FILES_ADDED = "dossier_files_added"
    DOSSIER_STATUS_CHANGED = "dossier_status_changed"
    CALENDAR_CHANGED = "calendar_changed"
    PROCESSING_STARTED = "processing_started"
    DOSSIER_TRANSFERRED = "dossier_transferred"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    DOSSIER_REJECTED = "dossier_rejected"
    DEADLINE_EXTENDED = "deadline_extended"
    DOSSIER_OVERDUE = "dossier_overdue"
    RESULT_READY = "result_ready"
    SHIPMENT_CREATED = "shipment_created"
    SHIPMENT_DELIVERED = "shipment_delivered"
    SHIPMENT_FAILED = "shipment_failed"
    SHIPMENT_RETURNED = "shipment_returned"
    PICKUP_COMPLETED = "pickup_completed"
    PAYMENT_REQUESTED = "payment_requested"
    PAYMENT_CONFIRMED = "payment_confirmed"
    PAYMENT_REFUNDED = "payment_refunded"
    NOTIFICATION_SENT = "notification_sent"
    NOTIFICATION_FAILED = "notification_failed"


# (source service, event type) -> schema of `data`; keyed by the enum, so a new
# event type cannot be published before it is named there
EVENTS = {
    EventType.DOSSIER_RECEIVED: ("intake", DossierReceived),
    EventType.DOSSIER_REFUSED: ("intake", DossierRefused),
    EventType.DOSSIER_SUPPLEMENTED: ("intake", DossierSupplemented),
    EventType.DOSSIER_WITHDRAWN: ("intake", Reason),
    EventType.DOSSIER_RETURNED: ("intake", DossierReturned),
    EventType.DOSSIER_FILES_ADDED: ("intake", DossierFilesAdded),
    EventType.DOSSIER_STATUS_CHANGED: ("intake", DossierStatusChanged),
    EventType.CALENDAR_CHANGED: ("intake", CalendarChanged),
    EventType.PROCESSING_STARTED: ("processing", ProcessingStarted),
    EventType.DOSSIER_TRANSFERRED: ("processing", DossierTransferred),
    EventType.SUPPLEMENT_REQUESTED: ("processing", SupplementRequested),
    EventType.DOSSIER_REJECTED: ("processing", DossierRejected),
    EventType.DEADLINE_EXTENDED: ("processing", DeadlineExtended),
    EventType.DOSSIER_OVERDUE: ("processing", DossierOverdue),
    EventType.RESULT_READY: ("processing", ResultReady),
    EventType.SHIPMENT_CREATED: ("postal", ShipmentCreated),
    EventType.SHIPMENT_DELIVERED: ("postal", ShipmentDelivered),
    EventType.SHIPMENT_FAILED: ("postal", ShipmentFailed),
    EventType.SHIPMENT_RETURNED: ("postal", ShipmentReturned),
    EventType.PICKUP_COMPLETED: ("postal", PickupCompleted),
    EventType.PAYMENT_REQUESTED: ("intake", PaymentRequested),
    EventType.PAYMENT_CONFIRMED: ("payments", PaymentConfirmed),
    EventType.PAYMENT_REFUNDED: ("payments", PaymentRefunded),
    EventType.NOTIFICATION_SENT: ("notify", NotificationOutcome),
    EventType.NOTIFICATION_FAILED: ("notify", NotificationOutcome),
}


class Envelope(_Open):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    version = fields.Integer(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    dossier_code = fields.String(required=True)
    correlation_id = fields.String(allow_none=True)
    data = fields.Dict(required=True)


@functools.cache
def schema_instance(cls: type[Schema]) -> Schema:
    """One instance per schema class: building a schema costs more than using it
    (marshmallow schemas keep no state between loads)."""
    return cls()


def source_of(event_type: str) -> str:
    return EVENTS[event_type][0]  # type: ignore[index]  # a StrEnum member is found by its string


def envelope(
    event_type: str,
    dossier_code: str,
    data: dict[str, Any],
    correlation_id: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Build a validated envelope (JSON-ready dict). Raises ValidationError when the
    data does not satisfy the event's schema, or ValueError for an unknown type."""
    if event_type not in EVENTS:
        raise ValueError(f"unknown event type {event_type!r}")
    owner, schema = EVENTS[event_type]  # type: ignore[index]
    if source and source != owner:
        raise ValueError(f"{source} may not publish {event_type} (owned by {owner})")
    owner_schema = schema_instance(schema)
    dumped = owner_schema.dump(data)
    problems = owner_schema.validate(dumped)
    if problems:
        raise ValidationError({"data": problems})
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": str(event_type),
        "version": VERSION,
        "occurred_at": clock.now().isoformat(),
        "dossier_code": dossier_code,
        "correlation_id": correlation_id or logs.current_correlation_id() or str(uuid.uuid4()),
        "data": {**data, **dumped},
    }


def load(payload: Any) -> dict[str, Any]:
    """Validate a received envelope; returns it with `data` loaded (datetimes parsed).
    Unknown fields stay in place. Raises ValidationError for a malformed event."""
    env: dict[str, Any] = schema_instance(Envelope).load(payload)
    env["event_id"] = str(env["event_id"])
    if env["event_type"] in EVENTS:
        env["data"] = schema_instance(EVENTS[env["event_type"]][1]).load(env["data"])
    return env
