"""The obligations and orders in payments' database, and payments' unit of work."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.payments.adapters.orm import confirmations, obligations, orders
from services.payments.domain.model import Obligation, Order
from shared.db import insert_or_skip
from shared.uow import UnitOfWork


class PaymentRepository:
    def __init__(self, session: Session, work: UnitOfWork) -> None:
        self.session, self.work = session, work

    def obligation(self, dossier_code: str, stage: str) -> Obligation | None:
        found: Obligation | None = self.session.get(Obligation, (dossier_code, stage))
        return found

    def keep_obligation(self, obligation: Obligation) -> bool:
        """Record it unless known (a repeated payment_requested changes nothing). True when new."""
        values = {c.key: getattr(obligation, c.key) for c in obligations.c}
        result = insert_or_skip(self.session, obligations, values, ("dossier_code", "stage"))
        return bool(result.rowcount == 1)

    def order(self, order_id: str, for_update: bool = False) -> Order | None:
        query = sa.select(Order).where(orders.c.id == order_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        found: Order | None = self.session.scalars(query).first()
        return self.work.track(found) if found is not None else None

    def receipt_used(self, method: str, receipt_number: str) -> bool:
        return (
            self.session.scalar(
                sa.select(orders.c.id).where(orders.c.method == method, orders.c.receipt_number == receipt_number)
            )
            is not None
        )

    def add(self, order: Order) -> Order:
        self.session.add(order)
        self.session.flush()  # the confirmation refers to it
        return self.work.track(order)

    def is_confirmed(self, dossier_code: str, stage: str) -> bool:
        return (
            self.session.scalar(
                sa.select(confirmations.c.order_id).where(
                    confirmations.c.dossier_code == dossier_code, confirmations.c.stage == stage
                )
            )
            is not None
        )

    def claim_confirmation(self, order: Order, now: datetime) -> bool:
        """The obligation's confirmation for this order unless another holds it:
        the table's key decides (a concurrent claim waits, then finds it taken)."""
        self.session.flush()
        result = insert_or_skip(
            self.session,
            confirmations,
            {"dossier_code": order.dossier_code, "stage": str(order.stage), "order_id": order.id, "confirmed_at": now},
            ("dossier_code", "stage"),
        )
        return bool(result.rowcount == 1)


class PaymentsWork(UnitOfWork):
    source = "payments"

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.payments = PaymentRepository(session, self)
