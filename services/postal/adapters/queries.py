"""The read side: what GET /api/shipments and the pickup answers show, straight from
the database (answers.py describes these views: keep them in step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.postal.adapters.orm import shipments, tracking_events
from services.postal.domain.errors import PickupNotFound
from services.postal.domain.model import Pickup, Requester, Shipment


def shipment_view(session: Session, s: Shipment) -> dict[str, Any]:
    history = session.execute(
        sa.select(tracking_events)
        .where(tracking_events.c.shipment_id == s.id)
        .order_by(tracking_events.c.at, tracking_events.c.id)
    ).all()
    return {
        "id": s.id,
        "dossier_code": s.dossier_code,
        "purpose": s.purpose,
        "status": s.status,
        "reference": s.reference,
        "waybill": s.waybill,
        "address": s.address,
        "distance_class": s.distance_class,
        "expected_delivery": s.expected_delivery,
        "handed_over_at": s.handed_over_at,
        "delivered_at": s.delivered_at,
        "attempts": s.attempts,
        "next_attempt_on": s.next_attempt_on,
        "postage": s.postage,
        "fees_to_collect": s.fees_to_collect,
        "fees_collected": s.fees_collected,
        "order": {"tries": s.order_tries, "last_error": s.last_error, "next_try_at": s.next_try_at},
        "tracking": [{"status": h.status, "attempt": h.attempt, "at": h.at, "note": h.note} for h in history],
    }


def shipments_view(session: Session, dossier_code: str) -> list[dict[str, Any]]:
    """Every shipment of a dossier, oldest first."""
    found = session.scalars(
        sa.select(Shipment).where(shipments.c.dossier_code == dossier_code).order_by(shipments.c.created_at)
    ).all()
    return [shipment_view(session, s) for s in found]


def pickup_view(
    session: Session, pickup_id: str, may_read: Callable[[Requester], bool] = lambda requester: True
) -> dict[str, Any]:
    """A pickup, to a reader who may see it (who asked for it, or an administrator);
    to anyone else the answer of an unknown pickup, so ids tell nobody anything."""
    found = session.scalars(sa.select(Pickup).where(shipments.c.id == pickup_id)).first()
    if found is None or not may_read(found.requester):
        raise PickupNotFound(f"Không có yêu cầu thu gom {pickup_id}")
    return shipment_view(session, found)


def counts_by_purpose_and_status(session: Session) -> dict[tuple[str, str], int]:
    """Carrier orders by purpose and status (GET /metrics)."""
    rows = session.execute(
        sa.select(shipments.c.purpose, shipments.c.status, sa.func.count()).group_by(
            shipments.c.purpose, shipments.c.status
        )
    ).all()
    return {(str(purpose), str(status)): count for purpose, status, count in rows}
