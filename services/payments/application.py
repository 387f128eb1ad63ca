"""payments' use cases, framework-free: they load obligations and orders through the
unit of work, apply the domain's rules and return. The unit of work commits the
change with the events the orders recorded.

The IPN and the query share `confirm`: whichever reaches an order first records the
payment, the other finds it known and records nothing more. A refund spans the
gateway's call, which never sits inside a transaction: mark it started (under the
order's lock: a second refund is refused there), call, then record the outcome.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from services.payments.domain.errors import (
    AlreadyPaid,
    GatewayUnavailable,
    ObligationNotFound,
    OnlineNotAllowed,
    ReceiptNumberUsed,
    UnknownOrder,
)
from services.payments.domain.model import GatewayReport, Method, Obligation, Order, Outcome, Stage, require_amount
from shared import logs

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """The gateway did not answer or refused (adapters/gateway.py raises its own subclass)."""


class Gateway(Protocol):
    def pay_url(self, order_id: str, amount: int, order_info: str, return_url: str, created_at: datetime) -> str: ...

    def transaction(self, order_id: str) -> GatewayReport | None: ...

    def refund(self, order_id: str, amount: int, transaction_no: str | None) -> None: ...


class Work(Protocol):
    payments: Any


Works = Callable[[], AbstractContextManager[Work]]


def new_order_id(now: datetime) -> str:
    """Short enough for any gateway (<= 34 characters), unique, and sortable by day."""
    return f"MC{now:%y%m%d}{uuid.uuid4().hex[:16].upper()}"


def record_obligation(
    work: Work, dossier_code: str, data: dict[str, Any], correlation_id: str | None, now: datetime
) -> bool:
    """intake's payment_requested: the obligation, once per dossier and stage."""
    return bool(
        work.payments.keep_obligation(
            Obligation(
                dossier_code=dossier_code,
                stage=Stage(data["stage"]),
                amount=data["amount"],
                items=[dict(item) for item in data["items"]],
                pay_by=data["pay_by"],
                online=bool(data.get("online")),
                agency_code=data["agency_code"],
                procedure_code=data["procedure_code"],
                procedure_name=data.get("procedure_name"),
                requested_at=now,
                correlation_id=correlation_id,
            )
        )
    )


def _obligation(work: Work, dossier_code: str, stage: str, may_see: Callable[[Obligation], bool]) -> Obligation:
    obligation = work.payments.obligation(dossier_code, stage)
    if obligation is None or not may_see(obligation):
        raise ObligationNotFound(f"Hồ sơ {dossier_code} không có nghĩa vụ tài chính {stage}")
    if work.payments.is_confirmed(dossier_code, stage):
        raise AlreadyPaid(f"Hồ sơ {dossier_code} đã hoàn thành nghĩa vụ tài chính ({stage})")
    return obligation


def pay_at_counter(
    work: Work,
    body: dict[str, Any],
    may_see: Callable[[Obligation], bool],
    recorded_by: str,
    now: datetime,
) -> Order:
    """Cash or card at the counter, with the receipt's number: paid at once."""
    obligation = _obligation(work, body["dossier_code"], body["stage"], may_see)
    require_amount(obligation.amount, body["amount"])
    if work.payments.receipt_used(body["method"], body["receipt_number"]):
        raise ReceiptNumberUsed(f"Biên lai {body['receipt_number']} đã được dùng", {"receipt_number": ["Đã dùng"]})
    order = work.payments.add(Order(new_order_id(now), obligation, Method(body["method"]), now, recorded_by))
    first = work.payments.claim_confirmation(order, now)
    if not first:  # another payment won the race since _obligation looked
        raise AlreadyPaid(f"Hồ sơ {order.dossier_code} đã hoàn thành nghĩa vụ tài chính ({order.stage})")
    order.paid(body["receipt_number"], now, first=True)
    return order


def open_online_order(
    work: Work, gateway: Gateway, body: dict[str, Any], return_url: str, recorded_by: str, now: datetime
) -> tuple[Order, str]:
    """An online order of the obligation and the gateway URL the citizen pays at."""
    obligation = _obligation(work, body["dossier_code"], body["stage"], lambda _: True)
    if not obligation.online:
        raise OnlineNotAllowed(f"Hồ sơ {obligation.dossier_code} nộp phí, lệ phí tại bộ phận một cửa")
    order = work.payments.add(
        Order(new_order_id(now), obligation, Method.ONLINE, now, recorded_by, return_url=body.get("return_url"))
    )
    info = f"Nop phi le phi ho so {order.dossier_code}"
    return order, gateway.pay_url(order.id, order.amount, info, return_url, now)


def confirm(work: Work, report: GatewayReport, now: datetime) -> Outcome:
    """A signed report of the gateway (IPN or query): exactly once per order, and
    one confirmation per obligation. Refusals are logged with the dossier code."""
    order = work.payments.order(report.order_id, for_update=True)
    if order is None:
        log.warning("gateway report refused: unknown order %s", report.order_id)
        return Outcome.UNKNOWN_ORDER
    with logs.about(order.dossier_code, order.correlation_id):
        outcome = order.judge(report)
        if outcome == Outcome.WRONG_AMOUNT:
            log.warning("gateway report refused: order %s amount %s, owed %s", order.id, report.amount, order.amount)
        elif outcome == Outcome.ALREADY_CONFIRMED:
            log.info("gateway report of order %s already known (%s): nothing recorded", order.id, order.status)
        else:
            first = report.paid and work.payments.claim_confirmation(order, now)
            order.settle(report, first)
            if report.paid and not first:
                log.warning("order %s paid after the obligation was confirmed: overpayment to refund", order.id)
            else:
                log.info("order %s %s", order.id, order.status)
    return outcome


def query(works: Works, gateway: Gateway, order_id: str, now: Callable[[], datetime]) -> Outcome | None:
    """Ask the gateway about an order and confirm it as the IPN would (None: the
    gateway has nothing final yet)."""
    with works() as work:
        if work.payments.order(order_id) is None:
            raise UnknownOrder(f"Không có giao dịch {order_id}")
    try:
        report = gateway.transaction(order_id)
    except GatewayError as exc:
        raise GatewayUnavailable(f"Cổng thanh toán chưa trả lời; vui lòng thử lại ({exc})") from exc
    if report is None:
        return None
    with works() as work:
        return confirm(work, report, now())


def refund(works: Works, gateway: Gateway, order_id: str, reason: str, now: Callable[[], datetime]) -> None:
    """Once per paid order: online orders through the gateway, counter ones handed back in cash."""
    with works() as work:
        order = work.payments.order(order_id, for_update=True)
        if order is None:
            raise UnknownOrder(f"Không có giao dịch {order_id}")
        order.start_refund(now())
        online, amount, transaction_no = order.method == Method.ONLINE, order.amount, order.receipt_number
    if online:
        try:
            gateway.refund(order_id, amount, transaction_no)
        except GatewayError as exc:
            with works() as work:
                work.payments.order(order_id, for_update=True).refund_failed()
            raise GatewayUnavailable(f"Cổng thanh toán chưa hoàn tiền; vui lòng thử lại ({exc})") from exc
    with works() as work:
        work.payments.order(order_id, for_update=True).refunded(now(), reason)
