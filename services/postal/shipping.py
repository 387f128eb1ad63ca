"""Results by post [Decision 45/2016/QĐ-TTg]: one shipment per result, tracked.

Creating a shipment is three short steps so that no carrier call sits inside a
database transaction: record it as pending, ask the carrier (idempotent on our
reference), then store the waybill and owe `shipment_created` together.
"""
import uuid

import sqlalchemy as sa

from shared import calendar_store, clock
from shared.http import ApiError
from shared.reliability import emit
from services.postal.models import Shipment, TrackingEvent

SOURCE = "postal"
# Transit norms in working days after hand-over [Circular 17/2017/TT-BTTTT].
TRANSIT_DAYS = {"same_district": 1, "same_province": 2, "other_province": 4}


def reference(shipment):
    return f"{shipment.dossier_code}:{shipment.purpose}"


def expected_delivery(calendar, handed_over, distance="same_province"):
    return calendar.add_working_days_to_date(handed_over.date(), TRANSIT_DAYS[distance])


def pending_shipment(session, env):
    """The result's shipment, created as pending on first sight of result_ready."""
    code = env["dossier_code"]
    shipment = session.scalars(sa.select(Shipment).where(Shipment.dossier_code == code,
                                                         Shipment.purpose == "result")).first()
    if shipment is None:
        now = clock.now()
        shipment = Shipment(id=str(uuid.uuid4()), dossier_code=code, purpose="result", status="pending",
                            address=env["data"].get("postal_address") or "", created_at=now, updated_at=now,
                            correlation_id=env["correlation_id"])
        session.add(shipment)
    return shipment


def record_order(session, shipment_id, order, calendar=None):
    """Store the carrier's waybill and owe shipment_created (once)."""
    calendar = calendar or calendar_store.load(session)
    shipment = session.scalars(sa.select(Shipment).where(Shipment.id == shipment_id).with_for_update()).one()
    if shipment.status != "pending":
        return shipment
    now = clock.now()
    shipment.waybill, shipment.postage = order["waybill"], order.get("postage", 0)
    shipment.status, shipment.updated_at, shipment.last_error = "created", now, None
    shipment.expected_delivery = expected_delivery(calendar, now)
    emit(session, SOURCE, "shipment_created", shipment.dossier_code,
         {"waybill": shipment.waybill, "expected_delivery": shipment.expected_delivery},
         correlation_id=shipment.correlation_id)
    return shipment


def note_failure(session, shipment_id, error):
    shipment = session.get(Shipment, shipment_id)
    shipment.last_error, shipment.updated_at = error[:1000], clock.now()


# Later stages win: a late "in transit" never undoes "delivered".
STAGE = {"pending": 0, "created": 1, "accepted": 2, "in_transit": 3, "failed": 4, "delivered": 9, "returned": 9}


def apply_tracking(session, update):
    """A verified carrier callback. Idempotent (the same update twice is recorded
    once) and order-tolerant (a stale update is recorded but changes no status)."""
    shipment = session.scalars(sa.select(Shipment).where(Shipment.waybill == update["waybill"])
                               .with_for_update()).first()
    if shipment is None:
        raise ApiError(404, "unknown_waybill", f"Không có bưu gửi {update['waybill']}")
    status, attempt = update["status"], update.get("attempt") or 0
    seen = session.scalar(sa.select(TrackingEvent.id).where(
        TrackingEvent.waybill == shipment.waybill, TrackingEvent.status == status, TrackingEvent.attempt == attempt))
    if seen:
        return shipment, False
    session.add(TrackingEvent(shipment_id=shipment.id, waybill=shipment.waybill, status=status, attempt=attempt,
                              at=update["at"], note=update.get("reason") or ""))
    if STAGE[status] < STAGE.get(shipment.status, 0) or (status == shipment.status and status != "failed"):
        return shipment, True
    shipment.status, shipment.updated_at = status, clock.now()
    if status == "failed":
        shipment.attempts = max(shipment.attempts, attempt)
        emit(session, SOURCE, "shipment_failed", shipment.dossier_code,
             {"attempt": attempt, "reason": update.get("reason") or "giao không thành công"},
             correlation_id=shipment.correlation_id)
    elif status == "delivered":
        emit(session, SOURCE, "shipment_delivered", shipment.dossier_code,
             {"delivered_at": update["at"], "waybill": shipment.waybill}, correlation_id=shipment.correlation_id)
    elif status == "returned":
        emit(session, SOURCE, "shipment_returned", shipment.dossier_code, {"waybill": shipment.waybill},
             correlation_id=shipment.correlation_id)
    return shipment, True


def shipments_view(session, dossier_code):
    shipments = session.scalars(sa.select(Shipment).where(Shipment.dossier_code == dossier_code)
                                .order_by(Shipment.created_at)).all()
    out = []
    for s in shipments:
        history = session.scalars(sa.select(TrackingEvent).where(TrackingEvent.shipment_id == s.id)
                                  .order_by(TrackingEvent.at, TrackingEvent.id)).all()
        out.append({"id": s.id, "dossier_code": s.dossier_code, "purpose": s.purpose, "status": s.status,
                    "waybill": s.waybill, "expected_delivery": s.expected_delivery, "attempts": s.attempts,
                    "postage": s.postage, "last_error": s.last_error,
                    "tracking": [{"status": h.status, "attempt": h.attempt, "at": h.at, "note": h.note}
                                 for h in history]})
    return out
