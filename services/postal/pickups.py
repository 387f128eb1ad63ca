"""Dossiers collected by post (thu gom hồ sơ qua bưu chính công ích).

The citizen (through the portal) or the counter asks the carrier to collect a
dossier at an address. The postal worker checks the papers against the list,
seals them, collects the fees and hands them over at the counter; the signed
hand-over is the legal reception time, which `pickup_completed` carries to intake
with the submission (intake registers the `submitted` postal dossier).
"""
import uuid

import sqlalchemy as sa

from shared import clock, scope
from shared.http import ApiError, request_hash
from services.postal.models import Shipment

CANCELLABLE = ("pending", "created", "accepted")


def request_pickup(session, order, submission, claims, rules, idempotency_key=None, body=None):
    """Record the pickup as pending (ordered from the carrier next). With an
    Idempotency-Key, the same request again finds the same pickup (created False);
    the key with a different body is a 409."""
    key = f"{scope.caller(claims)}:{idempotency_key}"[:250] if idempotency_key else None
    digest = request_hash(body if body is not None else {**submission, **order})
    if key:
        known = session.scalars(sa.select(Shipment).where(Shipment.request_key == key)).first()
        if known is not None:
            if known.request_hash != digest:
                raise ApiError(409, "idempotency_key_reused", "Idempotency-Key này đã dùng cho một yêu cầu khác")
            return known, False
    now = clock.now()
    pickup = Shipment(id=str(uuid.uuid4()), dossier_code=None, purpose="pickup", status="pending",
                      address=order["pickup_address"], fees_to_collect=order["fees_to_collect"], submission=submission,
                      request_key=key, request_hash=digest, next_try_at=rules.next_try(1), created_at=now, updated_at=now,
                      attempts=0, order_tries=0, postage=0, fees_collected=0, correlation_id=str(uuid.uuid4()),
                      requested_by_role=claims["role"], requested_by=claims["sub"],
                      requested_by_agency=claims.get("agency") if claims["role"] == "counter" else None)
    session.add(pickup)
    return pickup, True


def get_pickup(session, pickup_id, lock=False):
    query = sa.select(Shipment).where(Shipment.id == pickup_id, Shipment.purpose == "pickup")
    pickup = session.scalars(query.with_for_update() if lock else query).first()
    if pickup is None:
        raise ApiError(404, "not_found", f"Không có yêu cầu thu gom {pickup_id}")
    return pickup


def requested_pickup(session, pickup_id, claims, lock=False):
    """The pickup when the reader asked for it (its agency's counter, the same portal
    client) or is an administrator; otherwise the 404 of an unknown pickup, so ids
    tell nobody else anything (shared.scope)."""
    pickup = get_pickup(session, pickup_id, lock)
    if not scope.allowed(claims, agency=pickup.requested_by_agency,
                         created_by=(pickup.requested_by_role, pickup.requested_by)):
        raise scope.not_found(f"Không có yêu cầu thu gom {pickup_id}")
    return pickup


def check_cancellable(pickup):
    if pickup.status not in CANCELLABLE:
        raise ApiError(409, "not_cancellable",
                       f"Yêu cầu thu gom đang ở trạng thái {pickup.status}, không thể huỷ")


def cancelled(session, pickup_id):
    pickup = get_pickup(session, pickup_id, lock=True)
    check_cancellable(pickup)  # it may have moved on while the carrier was asked
    pickup.status, pickup.updated_at, pickup.next_try_at = "cancelled", clock.now(), None
    return pickup
