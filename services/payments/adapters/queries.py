"""The read side: what GET /api/payments and the daily list show, straight from the
database (answers.py describes these views: keep them in step), and the metrics' counts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.payments.adapters.orm import confirmations, obligations, orders
from shared import clock, exports

ORDER_COLUMNS = (
    orders.c.id,
    orders.c.dossier_code,
    orders.c.stage,
    orders.c.agency_code,
    orders.c.amount,
    orders.c.method,
    orders.c.status,
    orders.c.receipt_number,
    orders.c.created_at,
    orders.c.paid_at,
    orders.c.overpayment,
    orders.c.refunded_at,
    orders.c.refund_reason,
)


def _order(row: Any) -> dict[str, Any]:
    return {key: (str(value) if key in ("stage", "method", "status") else value) for key, value in row._mapping.items()}


def agency_of_dossier(session: Session, dossier_code: str) -> str | None:
    """The agency of the dossier's obligations (None: payments knows no such dossier)."""
    return session.scalar(sa.select(obligations.c.agency_code).where(obligations.c.dossier_code == dossier_code))


def dossier_view(session: Session, dossier_code: str) -> dict[str, Any]:
    owed = session.execute(
        sa.select(obligations, confirmations.c.order_id.label("paid_by_order"))
        .outerjoin(
            confirmations,
            sa.and_(
                confirmations.c.dossier_code == obligations.c.dossier_code, confirmations.c.stage == obligations.c.stage
            ),
        )
        .where(obligations.c.dossier_code == dossier_code)
        .order_by(obligations.c.requested_at)
    ).all()
    paid = session.execute(
        sa.select(*ORDER_COLUMNS).where(orders.c.dossier_code == dossier_code).order_by(orders.c.created_at)
    ).all()
    return {
        "dossier_code": dossier_code,
        "obligations": [
            {
                "stage": str(o.stage),
                "amount": o.amount,
                "items": o.items,
                "pay_by": o.pay_by,
                "online": o.online,
                "procedure_code": o.procedure_code,
                "procedure_name": o.procedure_name,
                "requested_at": o.requested_at,
                "paid": o.paid_by_order is not None,
                "paid_by_order": o.paid_by_order,
            }
            for o in owed
        ],
        "orders": [_order(row) for row in paid],
    }


def order_view(session: Session, order_id: str) -> dict[str, Any] | None:
    row = session.execute(sa.select(*ORDER_COLUMNS).where(orders.c.id == order_id)).first()
    return _order(row) if row is not None else None


def return_url(session: Session, order_id: str) -> str | None:
    """Where the citizen's browser goes back to after paying (the portal's page)."""
    return session.scalar(sa.select(orders.c.return_url).where(orders.c.id == order_id))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A day in Vietnam's time."""
    start = datetime.combine(day, time(0), tzinfo=clock.TZ)
    return start, start + timedelta(days=1)


def paid_on(session: Session, day: date, method: str | None = None) -> list[dict[str, Any]]:
    """The orders paid on `day` (refunded since or not), oldest first."""
    start, end = day_bounds(day)
    query = sa.select(*ORDER_COLUMNS).where(orders.c.paid_at >= start, orders.c.paid_at < end)
    if method is not None:
        query = query.where(orders.c.method == method)
    return [_order(row) for row in session.execute(query.order_by(orders.c.paid_at, orders.c.id)).all()]


DAILY_COLUMNS = (
    ("paid_at", "Thời điểm nộp"),
    ("dossier_code", "Mã hồ sơ"),
    ("stage", "Giai đoạn"),
    ("method", "Hình thức"),
    ("amount", "Số tiền (đồng)"),
    ("receipt_number", "Số biên lai / giao dịch"),
    ("status", "Trạng thái"),
    ("id", "Mã giao dịch"),
)


def daily_table(day: date, rows: list[dict[str, Any]]) -> exports.Table:
    return exports.Table(f"Thu phí, lệ phí ngày {day:%d-%m-%Y}", DAILY_COLUMNS, rows)


def counts_by_method_and_status(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        sa.select(orders.c.method, orders.c.status, sa.func.count()).group_by(orders.c.method, orders.c.status)
    ).all()
    return {(str(method), str(status)): count for method, status, count in rows}
