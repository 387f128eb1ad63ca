"""The obligation a dossier owes at a stage, and the orders that pay it.

An order's states: created -> paid | failed; failed -> paid (the citizen tried again
on the same order and the gateway took the money); paid -> refunded. Money is whole
đồng (int). The first paid order of an obligation confirms it (one
`payment_confirmed` per dossier and stage); a later paid order of the same
obligation is an overpayment, kept to be refunded, never a second confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from services.payments.domain.errors import AmountMismatch, NotRefundable
from services.payments.domain.events import PaymentConfirmed, PaymentRefunded
from shared.domain import Aggregate


class Stage(StrEnum):
    BEFORE_PROCESSING = "before_processing"
    BEFORE_RETURN = "before_return"


class Method(StrEnum):
    ONLINE = "online"
    CASH = "cash"
    CARD = "card"
    POSTAL = "postal"


class OrderStatus(StrEnum):
    CREATED = "created"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


class Outcome(StrEnum):
    """What a gateway report (IPN or query) comes to; the names are
    shared.payment_gateway's IPN outcomes."""

    CONFIRMED = "confirmed"  # paid now (or the gateway's "not paid" recorded now)
    ALREADY_CONFIRMED = "already_confirmed"  # known already: nothing more recorded
    WRONG_AMOUNT = "wrong_amount"
    UNKNOWN_ORDER = "unknown_order"


@dataclass(frozen=True)
class GatewayReport:
    """The gateway's word on an order, its signature checked already."""

    order_id: str
    amount: int
    paid: bool
    transaction_no: str | None
    paid_at: datetime


def same_amount(owed: int, paid: Any) -> bool:
    """Whole đồng only: 150000 equals 150000, never 150000.0 nor "150000"."""
    return type(paid) is int and type(owed) is int and paid == owed


def require_amount(owed: int, paid: Any) -> None:
    if not same_amount(owed, paid):
        raise AmountMismatch(
            f"Số tiền {paid} đồng không khớp số tiền phải nộp {owed} đồng", {"amount": [f"Phải là {owed}"]}
        )


class Obligation:
    """What a dossier owes at a stage (from intake's payment_requested): one per
    dossier and stage."""

    def __init__(
        self,
        dossier_code: str,
        stage: Stage,
        amount: int,
        items: list[dict[str, Any]],
        pay_by: date,
        online: bool,
        agency_code: str,
        procedure_code: str,
        procedure_name: str | None,
        requested_at: datetime,
        correlation_id: str | None,
    ) -> None:
        self.dossier_code, self.stage, self.amount, self.items = dossier_code, stage, amount, items
        self.pay_by, self.online, self.agency_code = pay_by, online, agency_code
        self.procedure_code, self.procedure_name = procedure_code, procedure_name
        self.requested_at, self.correlation_id = requested_at, correlation_id


class Order(Aggregate):
    """One attempt to pay an obligation: online (through the gateway) or at the counter."""

    def __init__(
        self,
        id: str,
        obligation: Obligation,
        method: Method,
        created_at: datetime,
        recorded_by: str,
        return_url: str | None = None,
    ) -> None:
        self.id, self.dossier_code, self.stage = id, obligation.dossier_code, obligation.stage
        self.agency_code, self.amount, self.method = obligation.agency_code, obligation.amount, method
        self.correlation_id = obligation.correlation_id
        self.status = OrderStatus.CREATED
        self.created_at, self.recorded_by, self.return_url = created_at, recorded_by, return_url
        self.receipt_number: str | None = None
        self.paid_at: datetime | None = None
        self.overpayment = False
        self.refund_started_at: datetime | None = None
        self.refunded_at: datetime | None = None
        self.refund_reason: str | None = None

    def judge(self, report: GatewayReport) -> Outcome:
        """The gateway's report against what is known (the decision only: `settle` applies it)."""
        if not same_amount(self.amount, report.amount):
            return Outcome.WRONG_AMOUNT
        if self.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
            return Outcome.ALREADY_CONFIRMED
        if self.status == OrderStatus.FAILED and not report.paid:
            return Outcome.ALREADY_CONFIRMED
        return Outcome.CONFIRMED

    def settle(self, report: GatewayReport, first: bool) -> None:
        """Apply a report judged CONFIRMED. `first`: this order holds the
        obligation's confirmation (none before it)."""
        if not report.paid:
            self.status = OrderStatus.FAILED
            return
        self.paid(report.transaction_no, report.paid_at, first)

    def paid(self, receipt_number: str | None, paid_at: datetime, first: bool) -> None:
        self.status, self.receipt_number, self.paid_at = OrderStatus.PAID, receipt_number, paid_at
        if not first:
            self.overpayment = True  # to be refunded; the obligation was confirmed by another order
            return
        self.record(
            PaymentConfirmed(
                dossier_code=self.dossier_code,
                correlation_id=self.correlation_id,
                stage=str(self.stage),
                amount=self.amount,
                method=str(self.method),
                order_id=self.id,
                receipt_number=receipt_number,
                paid_at=paid_at,
            )
        )

    def start_refund(self, now: datetime) -> None:
        """Once: a paid order whose refund is not under way or done (the caller
        holds the row's lock)."""
        if self.status != OrderStatus.PAID or self.refund_started_at is not None:
            what = "đã được hoàn tiền" if self.status == OrderStatus.REFUNDED else "chưa được thanh toán"
            if self.status == OrderStatus.PAID:
                what = "đang được hoàn tiền"
            raise NotRefundable(f"Giao dịch {self.id} {what}: không hoàn tiền được")
        self.refund_started_at = now

    def refund_failed(self) -> None:
        self.refund_started_at = None

    def refunded(self, now: datetime, reason: str) -> None:
        self.status, self.refunded_at, self.refund_reason = OrderStatus.REFUNDED, now, reason
        self.record(
            PaymentRefunded(
                dossier_code=self.dossier_code,
                correlation_id=self.correlation_id,
                stage=str(self.stage),
                amount=self.amount,
                order_id=self.id,
                refunded_at=now,
                reason=reason,
                overpayment=self.overpayment,
            )
        )
