"""The shipment (bưu gửi): one carrier order, a result carried to the citizen or a
dossier collected at the citizen's address (thu gom hồ sơ qua bưu chính công ích),
with the tracking the carrier reports [Decision 45/2016/QĐ-TTg].

Placing an order is recorded in two steps around the carrier call (the rules never
call it): the shipment is `pending` until `order_placed` stores the waybill, or
`order_failed` notes a failed call and when to try again. Tracking reports are
idempotent (the same report twice is recorded once) and order-tolerant (a stale
report is kept in the history but moves no status and owes no event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from services.postal.domain import events
from services.postal.domain.errors import IdempotencyKeyReused, NotCancellable, StatusNotApplicable
from services.postal.domain.policies import PostalRules, WorkingDays, distance_class, expected_delivery
from shared.domain import Aggregate

NOT_A_DOSSIER = "-"  # dossier_code of events about no single dossier (the contract's)


class Purpose(StrEnum):
    RESULT = "result"  # a result carried to the citizen (one per dossier)
    # the refusal notice and the original papers of a rejected dossier, carried back like
    # a result (one per dossier) [Decree 61/2018/NĐ-CP Art. 19-20]
    REJECTION = "rejection"
    PICKUP = "pickup"  # a dossier collected at the citizen's address


# What goes back to the citizen by post: a result, or a rejection (ReturnShipment).
RETURN_PURPOSES = (Purpose.RESULT, Purpose.REJECTION)


class ShipmentStatus(StrEnum):
    PENDING = "pending"  # not yet ordered from the carrier
    CREATED = "created"
    ACCEPTED = "accepted"
    COLLECTED = "collected"
    IN_TRANSIT = "in_transit"
    FAILED = "failed"
    DELIVERED = "delivered"
    RETURNED = "returned"
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


S = ShipmentStatus
# What the carrier may report about each kind of shipment.
RESULT_STATUSES = (S.ACCEPTED, S.IN_TRANSIT, S.FAILED, S.DELIVERED, S.RETURNED)
PICKUP_STATUSES = (S.ACCEPTED, S.COLLECTED, S.IN_TRANSIT, S.FAILED, S.HANDED_OVER, S.CANCELLED)
TERMINAL = frozenset({S.DELIVERED, S.RETURNED, S.HANDED_OVER, S.CANCELLED})
# Later stages win: a late "in transit" never undoes "delivered".
STAGE = {
    S.PENDING: 0,
    S.CREATED: 1,
    S.ACCEPTED: 2,
    S.COLLECTED: 3,
    S.IN_TRANSIT: 4,
    S.FAILED: 5,
    S.DELIVERED: 9,
    S.RETURNED: 9,
    S.HANDED_OVER: 9,
    S.CANCELLED: 9,
}
# A pickup can be called off until the postal worker has the papers.
CANCELLABLE = (S.PENDING, S.CREATED, S.ACCEPTED)


@dataclass(frozen=True)
class Requester:
    """Who asked for a pickup: only they read or cancel it. A counter's pickup belongs
    to its agency, a portal's to that portal client (its `sub`)."""

    role: str
    sub: str
    agency: str | None = None

    @classmethod
    def of(cls, role: str, sub: str, agency: str | None = None) -> Requester:
        return cls(role, sub, agency if role == "counter" else None)


@dataclass(frozen=True)
class CarrierOrder:
    """What the carrier is asked for. The reference is its idempotency key: a retried
    order never becomes a second shipment."""

    reference: str
    kind: str  # "delivery" | "pickup"
    address: str
    collect_amount: int


@dataclass(frozen=True)
class TrackingReport:
    """A carrier tracking callback, verified."""

    waybill: str
    status: str
    at: datetime
    attempt: int = 0
    reason: str | None = None
    collected_amount: int | None = None
    reference: str | None = None
    postage: int | None = None


class TrackingEntry:
    """One tracking report as received: the shipment's history."""

    def __init__(self, waybill: str, status: str, attempt: int, at: datetime, note: str = "") -> None:
        self.waybill, self.status, self.attempt, self.at, self.note = waybill, status, attempt, at, note


def parse_reference(reference: str | None) -> tuple[Purpose, str] | None:
    """(purpose, dossier code or pickup id) of our reference: `<dossier_code>:result`,
    `<dossier_code>:rejection` or `pickup:<id>`."""
    if not reference or ":" not in reference:
        return None
    head, tail = reference.rsplit(":", 1)
    if head == Purpose.PICKUP:
        return Purpose.PICKUP, tail
    if tail in RETURN_PURPOSES:
        return Purpose(tail), head
    return None


class Shipment(Aggregate):
    """One carrier order (bưu gửi), of a result or of a pickup."""

    purpose: Purpose
    status: ShipmentStatus
    dossier_code: str | None
    waybill: str | None
    submission: dict[str, Any] | None
    statuses: ClassVar[tuple[ShipmentStatus, ...]] = ()  # what the carrier may report
    order_kind: ClassVar[str] = "delivery"

    def __init__(
        self,
        id: str,
        address: str,
        correlation_id: str,
        now: datetime,
        first_try_at: datetime,
        dossier_code: str | None = None,
        fees_to_collect: int = 0,
    ) -> None:
        self.id = id
        self.dossier_code = dossier_code
        self.status = ShipmentStatus.PENDING
        self.waybill = None
        self.address = address  # delivery address, or the pickup address
        self.distance_class: str | None = None
        self.expected_delivery: date | None = None
        self.attempts = 0  # delivery attempts reported by the carrier
        self.next_attempt_on: date | None = None
        self.last_error: str | None = None
        self.order_tries = 0  # failed calls to create the carrier order
        self.next_try_at: datetime | None = first_try_at
        self.postage = 0  # cước, VND
        self.fees_to_collect = fees_to_collect  # fees the postal worker collects, VND
        self.fees_collected = 0
        self.handed_over_at: datetime | None = None
        self.delivered_at: datetime | None = None
        self.submission = None
        self.request_key: str | None = None
        self.request_hash: str | None = None
        self.requested_by_role: str | None = None
        self.requested_by: str | None = None
        self.requested_by_agency: str | None = None
        self.created_at = self.updated_at = now
        self.correlation_id = correlation_id
        self.tracking: list[TrackingEntry] = []

    @property
    def reference(self) -> str:
        return f"pickup:{self.id}"

    # --- the carrier order ----------------------------------------------------------

    def carrier_order(self) -> CarrierOrder | None:
        """The order to ask the carrier for, None once it has one (or never will)."""
        if self.status != ShipmentStatus.PENDING:
            return None
        return CarrierOrder(self.reference, self.order_kind, self.address, self.fees_to_collect)

    def order_failed(self, error: str, now: datetime, rules: PostalRules) -> int:
        """The carrier did not take the order: note why and when to try again
        (doubling backoff). Returns the failed tries so far."""
        self.order_tries += 1
        self.last_error, self.updated_at = error[:1000], now
        self.next_try_at = rules.next_try(self.order_tries, now)
        return self.order_tries

    def order_placed(
        self, waybill: str, postage: int | None, now: datetime, rules: PostalRules, calendar: WorkingDays
    ) -> bool:
        """Store the carrier's waybill (once: a later answer for the same order changes
        nothing). Returns whether it was new."""
        if self.status != ShipmentStatus.PENDING:
            return False
        self.waybill, self.postage = waybill, int(postage or 0)
        self.status, self.updated_at, self.last_error, self.next_try_at = ShipmentStatus.CREATED, now, None, None
        self._placed(now, rules, calendar)
        return True

    def _placed(self, now: datetime, rules: PostalRules, calendar: WorkingDays) -> None:
        """What the order owes once placed (nothing by default)."""

    # --- tracking -------------------------------------------------------------------

    def record_tracking(self, report: TrackingReport, now: datetime, rules: PostalRules, calendar: WorkingDays) -> bool:
        """A verified carrier report. Returns whether it was new (recorded); a stale
        one is kept in the history but changes no status and owes no event."""
        if report.status not in self.statuses:
            raise StatusNotApplicable(
                f"Trạng thái {report.status} không áp dụng cho bưu gửi {self.purpose}",
                {"status": [f"Cho phép: {', '.join(self.statuses)}"]},
            )
        status = ShipmentStatus(report.status)
        if any(e.status == status and e.attempt == report.attempt for e in self.tracking):
            return False
        self.tracking.append(
            TrackingEntry(self.waybill or report.waybill, status, report.attempt, report.at, report.reason or "")
        )
        self._learn(status, report)
        if report.collected_amount is not None and status in (ShipmentStatus.COLLECTED, ShipmentStatus.DELIVERED):
            self.fees_collected = report.collected_amount
        if (
            self.status in TERMINAL
            or STAGE[status] < STAGE[self.status]
            or (status == self.status and status != ShipmentStatus.FAILED)
        ):
            return True
        self.status, self.updated_at = status, now
        self._moved(status, report, rules, calendar)
        return True

    def _learn(self, status: ShipmentStatus, report: TrackingReport) -> None:
        """What any report teaches, even a late one (nothing by default)."""

    def _moved(self, status: ShipmentStatus, report: TrackingReport, rules: PostalRules, calendar: WorkingDays) -> None:
        """What a shipment's progress owes (nothing by default)."""


class ResultShipment(Shipment):
    """A result carried to the citizen: one per dossier. The postal worker signs for
    it at the counter, delivers it, and after two failed attempts 2 working days apart
    brings it back to the agency [Decision 45/2016/QĐ-TTg]. Its events carry its
    `purpose`, so intake and notify tell a result from a returned rejection."""

    statuses = RESULT_STATUSES
    order_kind = "delivery"
    returns: ClassVar[Purpose] = Purpose.RESULT  # what it carries back to the citizen

    def __init__(
        self, id: str, dossier_code: str, address: str, correlation_id: str, now: datetime, first_try_at: datetime
    ) -> None:
        super().__init__(id, address, correlation_id, now, first_try_at, dossier_code=dossier_code)
        self.purpose = self.returns

    @property
    def reference(self) -> str:
        return f"{self.dossier_code}:{self.purpose}"

    @property
    def code(self) -> str:
        return self.dossier_code or ""

    def _placed(self, now: datetime, rules: PostalRules, calendar: WorkingDays) -> None:
        # the promise of the transit norms [Circular 17/2017/TT-BTTTT]
        self.distance_class = distance_class(self.address, rules.origin(self.dossier_code))
        self.expected_delivery = expected_delivery(calendar, now, self.distance_class, rules.transit_days)
        self.record(
            events.ShipmentCreated(
                self.code,
                self.correlation_id,
                waybill=self.waybill or "",
                expected_delivery=self.expected_delivery,
                distance_class=self.distance_class,
                postage=self.postage,
                purpose=str(self.purpose),
            )
        )

    def _learn(self, status: ShipmentStatus, report: TrackingReport) -> None:
        if status == ShipmentStatus.ACCEPTED and self.handed_over_at is None:
            self.handed_over_at = report.at  # the postal worker signed for the result at the counter

    def _moved(self, status: ShipmentStatus, report: TrackingReport, rules: PostalRules, calendar: WorkingDays) -> None:
        if status == ShipmentStatus.FAILED:
            self._attempt_failed(report, rules, calendar)
        elif status == ShipmentStatus.DELIVERED:
            self.delivered_at, self.next_attempt_on = report.at, None
            self.record(
                events.ShipmentDelivered(
                    self.code,
                    self.correlation_id,
                    delivered_at=report.at,
                    waybill=self.waybill,
                    purpose=str(self.purpose),
                )
            )
        elif status == ShipmentStatus.RETURNED:
            self._returned()

    def _attempt_failed(self, report: TrackingReport, rules: PostalRules, calendar: WorkingDays) -> None:
        """A failed attempt: the next one 2 working days later, or after the last one
        the return to the counter."""
        self.attempts = max(self.attempts, report.attempt)
        last = rules.is_last_attempt(report.attempt)
        if not last:
            self.next_attempt_on = rules.next_attempt_on(calendar, report.at.date())
        self.record(
            events.ShipmentFailed(
                self.code,
                self.correlation_id,
                attempt=report.attempt,
                reason=report.reason or "giao không thành công",
                waybill=self.waybill,
                next_attempt_on=None if last else self.next_attempt_on,
                purpose=str(self.purpose),
            )
        )
        if last:
            self._returned()

    def _returned(self) -> None:
        self.status, self.next_attempt_on = ShipmentStatus.RETURNED, None
        self.record(
            events.ShipmentReturned(
                self.code, self.correlation_id, waybill=self.waybill, attempts=self.attempts, purpose=str(self.purpose)
            )
        )


class RejectionShipment(ResultShipment):
    """The refusal notice (with its reason) and the original papers of a rejected
    dossier, returned by post when the applicant chose postal return: like a result,
    through the return step [Decree 61/2018/NĐ-CP Art. 19-20; Decision
    45/2016/QĐ-TTg]. One per dossier, ordered, tracked, attempted twice and brought
    back to the counter exactly as a result is."""

    returns = Purpose.REJECTION


class Pickup(Shipment):
    """A dossier collected by post (thu gom hồ sơ). The postal worker checks the
    papers against the list, seals them, collects the fees and hands them over at the
    counter; the signed hand-over is the legal reception time, which pickup_completed
    carries to intake with the submission [Decision 45/2016/QĐ-TTg]. It has no dossier
    code until intake registers it."""

    statuses = PICKUP_STATUSES
    order_kind = "pickup"

    def __init__(
        self,
        id: str,
        address: str,
        fees_to_collect: int,
        submission: dict[str, Any],
        requester: Requester,
        correlation_id: str,
        now: datetime,
        first_try_at: datetime,
        request_key: str | None = None,
        request_hash: str | None = None,
    ) -> None:
        super().__init__(id, address, correlation_id, now, first_try_at, fees_to_collect=fees_to_collect)
        self.purpose = Purpose.PICKUP
        self.submission = submission
        self.request_key, self.request_hash = request_key, request_hash
        self.requested_by_role, self.requested_by = requester.role, requester.sub
        self.requested_by_agency = requester.agency

    @property
    def requester(self) -> Requester:
        return Requester(self.requested_by_role or "", self.requested_by or "", self.requested_by_agency)

    def check_same_request(self, request_hash: str) -> None:
        """The same Idempotency-Key again must carry the same request."""
        if self.request_hash != request_hash:
            raise IdempotencyKeyReused("Idempotency-Key này đã dùng cho một yêu cầu khác")

    def check_cancellable(self) -> None:
        if self.status not in CANCELLABLE:
            raise NotCancellable(f"Yêu cầu thu gom đang ở trạng thái {self.status}, không thể huỷ")

    def cancel(self, now: datetime) -> None:
        self.check_cancellable()  # it may have moved on while the carrier was asked
        self.status, self.updated_at, self.next_try_at = ShipmentStatus.CANCELLED, now, None

    def _moved(self, status: ShipmentStatus, report: TrackingReport, rules: PostalRules, calendar: WorkingDays) -> None:
        if status == ShipmentStatus.HANDED_OVER:
            self.handed_over_at = report.at
            self.record(
                events.PickupCompleted(
                    NOT_A_DOSSIER,
                    self.correlation_id,
                    handed_over_at=report.at,
                    pickup_id=self.id,
                    waybill=self.waybill,
                    submission=dict(self.submission or {}),
                )
            )
