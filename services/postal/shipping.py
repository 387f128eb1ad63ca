"""Carrier orders and their tracking [Decision 45/2016/QĐ-TTg]: one shipment per
result, dossiers collected by post, tracked through the carrier's callbacks.

Placing an order is three short steps so that no carrier call sits inside a
database transaction: the order is recorded as pending, the carrier is asked
(idempotent on our reference), then the waybill is stored together with the
event it owes. A carrier that is down or slow leaves the order pending with the
error and the time of the next try (doubling backoff); `retry_due` picks it up.
"""
import logging
import uuid

import sqlalchemy as sa

from shared import calendar_store, clock
from shared.db import dialect_insert
from shared.http import ApiError
from shared.reliability import emit
from services.postal import transit
from services.postal.carrier import CarrierError
from services.postal.models import Shipment, TrackingEvent
from services.postal.schemas import PICKUP_STATUSES, RESULT_STATUSES

log = logging.getLogger(__name__)

SOURCE = "postal"
TERMINAL = ("delivered", "returned", "handed_over", "cancelled")
# Later stages win: a late "in transit" never undoes "delivered".
STAGE = {"pending": 0, "created": 1, "accepted": 2, "collected": 3, "in_transit": 4, "failed": 5,
         "delivered": 9, "returned": 9, "handed_over": 9, "cancelled": 9}


def reference(shipment):
    if shipment.purpose == "result":
        return f"{shipment.dossier_code}:result"
    return f"pickup:{shipment.id}"


def by_reference(session, ref):
    if not ref or ":" not in ref:
        return None
    head, tail = ref.rsplit(":", 1)
    if head == "pickup":
        return session.get(Shipment, tail)
    return session.scalars(sa.select(Shipment).where(Shipment.dossier_code == head, Shipment.purpose == tail)).first()


def shipment_for_result(session, env, rules):
    """Record the result's shipment as pending on first sight of result_ready;
    a redelivered or repeated result_ready finds the same row. Returns its id.
    The retry sweep leaves it to the handler for a first while (next_try_at)."""
    code, now = env["dossier_code"], clock.now()
    insert = dialect_insert(session)
    session.execute(insert(Shipment).values(
        id=str(uuid.uuid4()), dossier_code=code, purpose="result", status="pending",
        address=env["data"].get("postal_address") or "", next_try_at=rules.next_try(1), created_at=now, updated_at=now,
        attempts=0, order_tries=0, postage=0, fees_to_collect=0, fees_collected=0,
        correlation_id=env["correlation_id"]).on_conflict_do_nothing(index_elements=["dossier_code", "purpose"]))
    return session.scalars(sa.select(Shipment.id).where(Shipment.dossier_code == code,
                                                        Shipment.purpose == "result")).one()


def place_order(uow, carrier, shipment_id, callback_url, rules):
    """Ask the carrier for the shipment's order unless it has one. Returns the
    shipment when ordered, None when it stays pending (carrier down: try later)."""
    with uow.transaction() as session:
        shipment = session.get(Shipment, shipment_id)
        if shipment is None or shipment.status != "pending":
            return shipment
        request = {"reference": reference(shipment), "address": shipment.address,
                   "kind": "delivery" if shipment.purpose == "result" else "pickup",
                   "collect_amount": shipment.fees_to_collect}
    try:
        order = carrier.create_order(callback_url=callback_url, **request)
    except CarrierError as exc:
        with uow.transaction() as session:
            tries = note_failure(session, shipment_id, str(exc), rules)
        log.warning("carrier order for %s failed (try %d), shipment stays pending: %s", request["reference"],
                    tries, exc)
        return None
    with uow.transaction() as session:
        return record_order(session, shipment_id, order, rules)


def record_order(session, shipment_id, order, rules, calendar=None):
    """Store the carrier's waybill; a result owes shipment_created (once)."""
    shipment = session.scalars(sa.select(Shipment).where(Shipment.id == shipment_id).with_for_update()).one()
    if shipment.status != "pending":
        return shipment
    now = clock.now()
    shipment.waybill, shipment.postage = order["waybill"], int(order.get("postage") or 0)
    shipment.status, shipment.updated_at, shipment.last_error, shipment.next_try_at = "created", now, None, None
    if shipment.purpose == "result":
        calendar = calendar or calendar_store.load(session)
        shipment.distance_class = transit.distance_class(shipment.address, rules.origin(shipment.dossier_code))
        shipment.expected_delivery = transit.expected_delivery(calendar, now, shipment.distance_class,
                                                               rules.transit_days)
        emit(session, SOURCE, "shipment_created", shipment.dossier_code,
             {"waybill": shipment.waybill, "expected_delivery": shipment.expected_delivery,
              "distance_class": shipment.distance_class, "postage": shipment.postage},
             correlation_id=shipment.correlation_id)
    return shipment


def note_failure(session, shipment_id, error, rules):
    shipment = session.get(Shipment, shipment_id)
    shipment.order_tries += 1
    shipment.last_error, shipment.updated_at = error[:1000], clock.now()
    shipment.next_try_at = rules.next_try(shipment.order_tries)
    return shipment.order_tries


def due_for_retry(session, limit=50):
    """Pending orders whose next try has come (also those a crash left behind)."""
    return session.scalars(sa.select(Shipment.id).where(Shipment.status == "pending", Shipment.next_try_at <= clock.now())
                           .order_by(Shipment.next_try_at).limit(limit)).all()


# --- tracking ------------------------------------------------------------------

def find_for_update(session, update, rules):
    """The shipment a callback is about. A callback may beat our own record of the
    waybill (the carrier answered, we had not stored it yet): its signed reference
    names the pending order, which then takes the waybill."""
    shipment = session.scalars(sa.select(Shipment).where(Shipment.waybill == update["waybill"])
                               .with_for_update()).first()
    if shipment is None:
        pending = by_reference(session, update.get("reference"))
        if pending is not None and pending.status == "pending":
            shipment = record_order(session, pending.id, {"waybill": update["waybill"],
                                                          "postage": update.get("postage")}, rules)
    if shipment is None:
        raise ApiError(404, "unknown_waybill", f"Không có bưu gửi {update['waybill']}")
    return shipment


def apply_tracking(session, update, rules, calendar=None):
    """A verified carrier callback. Idempotent (the same update twice is recorded
    once) and order-tolerant (a stale update is recorded in the history but changes
    no status and owes no event). Returns (shipment, recorded)."""
    shipment = find_for_update(session, update, rules)
    status, attempt, at = update["status"], update.get("attempt") or 0, update["at"]
    allowed = RESULT_STATUSES if shipment.purpose == "result" else PICKUP_STATUSES
    if status not in allowed:
        raise ApiError(422, "status_not_applicable",
                       f"Trạng thái {status} không áp dụng cho bưu gửi {shipment.purpose}",
                       {"status": [f"Cho phép: {', '.join(allowed)}"]})
    seen = session.scalar(sa.select(TrackingEvent.id).where(
        TrackingEvent.waybill == shipment.waybill, TrackingEvent.status == status, TrackingEvent.attempt == attempt))
    if seen:
        return shipment, False
    session.add(TrackingEvent(shipment_id=shipment.id, waybill=shipment.waybill, status=status, attempt=attempt,
                              at=at, note=update.get("reason") or ""))
    if status == "accepted" and shipment.purpose == "result" and shipment.handed_over_at is None:
        shipment.handed_over_at = at  # the postal worker signed for the result at the counter
    if update.get("collected_amount") is not None and status in ("collected", "delivered"):
        shipment.fees_collected = update["collected_amount"]
    if shipment.status in TERMINAL or STAGE[status] < STAGE[shipment.status] \
            or (status == shipment.status and status != "failed"):
        return shipment, True
    shipment.status, shipment.updated_at = status, clock.now()
    if shipment.purpose == "result":
        _result_tracked(session, shipment, status, attempt, at, update.get("reason"), rules, calendar)
    elif status == "handed_over":
        shipment.handed_over_at = at
        emit(session, SOURCE, "pickup_completed", calendar_store.NOT_A_DOSSIER,
             {"handed_over_at": at, "pickup_id": shipment.id, "waybill": shipment.waybill,
              "submission": shipment.submission}, correlation_id=shipment.correlation_id)
    return shipment, True


def _result_tracked(session, shipment, status, attempt, at, reason, rules, calendar):
    """Events the result's progress owes: a delivery, a failed attempt (the next one
    2 working days later), and after the last failed attempt the return to the counter."""
    code, corr = shipment.dossier_code, shipment.correlation_id
    if status == "failed":
        shipment.attempts = max(shipment.attempts, attempt)
        data = {"attempt": attempt, "reason": reason or "giao không thành công", "waybill": shipment.waybill}
        if attempt < rules.max_attempts:
            calendar = calendar or calendar_store.load(session)
            shipment.next_attempt_on = calendar.add_working_days_to_date(at.date(), rules.attempt_gap_days)
            data["next_attempt_on"] = shipment.next_attempt_on.isoformat()  # not in the schema: sent as is
        emit(session, SOURCE, "shipment_failed", code, data, correlation_id=corr)
        if attempt >= rules.max_attempts:
            _returned(session, shipment)
    elif status == "delivered":
        shipment.delivered_at, shipment.next_attempt_on = at, None
        emit(session, SOURCE, "shipment_delivered", code, {"delivered_at": at, "waybill": shipment.waybill},
             correlation_id=corr)
    elif status == "returned":
        _returned(session, shipment)


def _returned(session, shipment):
    shipment.status, shipment.next_attempt_on = "returned", None
    emit(session, SOURCE, "shipment_returned", shipment.dossier_code,
         {"waybill": shipment.waybill, "attempts": shipment.attempts}, correlation_id=shipment.correlation_id)


# --- views -----------------------------------------------------------------------

def shipment_view(session, s):
    history = session.scalars(sa.select(TrackingEvent).where(TrackingEvent.shipment_id == s.id)
                              .order_by(TrackingEvent.at, TrackingEvent.id)).all()
    view = {"id": s.id, "dossier_code": s.dossier_code, "purpose": s.purpose, "status": s.status,
            "reference": reference(s), "waybill": s.waybill, "address": s.address,
            "distance_class": s.distance_class, "expected_delivery": s.expected_delivery,
            "handed_over_at": s.handed_over_at, "delivered_at": s.delivered_at, "attempts": s.attempts,
            "next_attempt_on": s.next_attempt_on, "postage": s.postage, "fees_to_collect": s.fees_to_collect,
            "fees_collected": s.fees_collected,
            "order": {"tries": s.order_tries, "last_error": s.last_error, "next_try_at": s.next_try_at},
            "tracking": [{"status": h.status, "attempt": h.attempt, "at": h.at, "note": h.note} for h in history]}
    return view


def shipments_view(session, dossier_code):
    shipments = session.scalars(sa.select(Shipment).where(Shipment.dossier_code == dossier_code)
                                .order_by(Shipment.created_at)).all()
    return [shipment_view(session, s) for s in shipments]
