"""postal's use cases, framework-free: they load shipments through the unit of work's
repositories, call the model and return. The unit of work commits the change with
the events the shipments recorded.

Placing an order or cancelling a pickup spans the carrier call, which never sits
inside a database transaction: those use cases take `works` (a new unit of work per
call) and run three short steps: read what to ask, ask the carrier, record the
answer. A carrier that is down or slow leaves the order pending with the error and
the time of the next try (doubling backoff); `retry_orders` picks it up.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from services.postal.domain.errors import CarrierUnavailable, PickupNotFound, UnknownWaybill
from services.postal.domain.model import (
    Pickup,
    RejectionShipment,
    Requester,
    ResultShipment,
    Shipment,
    ShipmentStatus,
    TrackingReport,
)
from services.postal.domain.policies import PostalRules, WorkingDays

log = logging.getLogger(__name__)


class CarrierError(Exception):
    """The carrier did not take the request (down, slow or refused); retry later."""


class Carrier(Protocol):
    """What the use cases ask of the postal carrier (adapters/carrier.py)."""

    def create_order(
        self, reference: str, kind: str, address: str, callback_url: str, collect_amount: int = 0
    ) -> dict[str, Any]:
        """{"waybill": ..., "postage": ...}; the same reference gives the same waybill.
        Raises CarrierError."""
        ...

    def cancel(self, waybill: str) -> Any:
        """Cancel an order not yet collected. Raises CarrierError."""
        ...


class Shipments(Protocol):
    """The shipment repository (adapters/repository.py; an in-memory one in tests)."""

    def get(self, shipment_id: str, for_update: bool = False) -> Shipment | None: ...

    def get_pickup(self, pickup_id: str, for_update: bool = False) -> Pickup | None: ...

    def by_waybill(self, waybill: str, for_update: bool = False) -> Shipment | None: ...

    def by_reference(self, reference: str | None, for_update: bool = False) -> Shipment | None: ...

    def by_request_key(self, request_key: str) -> Pickup | None: ...

    def add(self, shipment: Shipment) -> Shipment: ...

    def add_result(self, shipment: ResultShipment) -> ResultShipment: ...

    def due_for_order(self, now: datetime, limit: int = 50) -> list[str]: ...


class Work(Protocol):
    """postal's unit of work as the use cases see it."""

    @property
    def shipments(self) -> Shipments: ...

    @property
    def calendar(self) -> WorkingDays: ...


Works = Callable[[], AbstractContextManager[Work]]  # a new unit of work (one transaction) per call
Clock = Callable[[], datetime]


def _new_id() -> str:
    return str(uuid.uuid4())


# --- results by post --------------------------------------------------------------


def ship_result(
    work: Work, dossier_code: str, address: str | None, correlation_id: str, now: datetime, rules: PostalRules
) -> str:
    """Record the result's shipment as pending on first sight of result_ready; a
    repeated result_ready finds the same shipment. Returns its id. The retry sweep
    leaves it to the caller's own order for a first while (next_try_at)."""
    shipment = ResultShipment(_new_id(), dossier_code, address or "", correlation_id, now, rules.next_try(1, now))
    return work.shipments.add_result(shipment).id


def ship_rejection(
    work: Work, dossier_code: str, address: str | None, correlation_id: str, now: datetime, rules: PostalRules
) -> str:
    """A rejected dossier whose applicant chose postal return: the refusal notice and
    the original papers go back by post like a result [Decree 61/2018/NĐ-CP Art.
    19-20], recorded as pending on first sight of dossier_rejected (a repeated one
    finds the same shipment). Returns its id."""
    shipment = RejectionShipment(_new_id(), dossier_code, address or "", correlation_id, now, rules.next_try(1, now))
    return work.shipments.add_result(shipment).id


def place_order(
    works: Works, carrier: Carrier, shipment_id: str, callback_url: str, rules: PostalRules, clock: Clock
) -> Shipment | None:
    """Ask the carrier for the shipment's order unless it has one. Returns the
    shipment when ordered, None when it stays pending (carrier down: try later)."""
    with works() as work:
        shipment = work.shipments.get(shipment_id)
        order = shipment.carrier_order() if shipment is not None else None
        if order is None:
            return shipment
    try:
        placed = carrier.create_order(
            reference=order.reference,
            kind=order.kind,
            address=order.address,
            callback_url=callback_url,
            collect_amount=order.collect_amount,
        )
    except CarrierError as exc:
        with works() as work:
            tries = _existing(work.shipments.get(shipment_id), shipment_id).order_failed(str(exc), clock(), rules)
        log.warning("carrier order for %s failed (try %d), shipment stays pending: %s", order.reference, tries, exc)
        return None
    with works() as work:
        return record_order(work, shipment_id, placed["waybill"], placed.get("postage"), clock(), rules)


def record_order(
    work: Work, shipment_id: str, waybill: str, postage: int | None, now: datetime, rules: PostalRules
) -> Shipment:
    """Store the carrier's waybill (a result owes shipment_created, once)."""
    shipment = _existing(work.shipments.get(shipment_id, for_update=True), shipment_id)
    shipment.order_placed(waybill, postage, now, rules, work.calendar)
    return shipment


def retry_orders(works: Works, carrier: Carrier, callback_url: str, rules: PostalRules, clock: Clock) -> None:
    """Order what is pending and due (a carrier that was down, a crash between
    recording a shipment and ordering it)."""
    with works() as work:
        due = work.shipments.due_for_order(clock())
    for shipment_id in due:
        place_order(works, carrier, shipment_id, callback_url, rules, clock)


def _existing(shipment: Shipment | None, shipment_id: str) -> Shipment:
    if shipment is None:  # shipments are never deleted
        raise LookupError(f"no shipment {shipment_id}")
    return shipment


# --- tracking -----------------------------------------------------------------------


def track(work: Work, report: TrackingReport, now: datetime, rules: PostalRules) -> tuple[Shipment, bool]:
    """A verified carrier callback. Returns (shipment, whether it was new). A callback
    may beat our own record of the waybill (the carrier answered, we had not stored
    it yet): its signed reference names the pending order, which takes the waybill."""
    shipment = work.shipments.by_waybill(report.waybill, for_update=True)
    if shipment is None:
        # locked: our own record of the order, if under way, commits first and is seen
        named = work.shipments.by_reference(report.reference, for_update=True)
        if named is not None and named.status == ShipmentStatus.PENDING:
            shipment = record_order(work, named.id, report.waybill, report.postage, now, rules)
        elif named is not None and named.waybill == report.waybill:
            shipment = named  # recorded meanwhile, between the two look-ups
    if shipment is None:
        raise UnknownWaybill(f"Không có bưu gửi {report.waybill}")
    return shipment, shipment.record_tracking(report, now, rules, work.calendar)


# --- dossiers collected by post -------------------------------------------------------


def request_pickup(
    work: Work,
    address: str,
    fees_to_collect: int,
    submission: dict[str, Any],
    requester: Requester,
    request_hash: str,
    now: datetime,
    rules: PostalRules,
    request_key: str | None = None,
) -> tuple[Pickup, bool]:
    """Record the pickup as pending (ordered from the carrier next). With an
    Idempotency-Key (`request_key`), the same request again finds the same pickup
    (created False); the key with another request is refused."""
    if request_key:
        known = work.shipments.by_request_key(request_key)
        if known is not None:
            known.check_same_request(request_hash)
            return known, False
    pickup = Pickup(
        _new_id(),
        address,
        fees_to_collect,
        submission,
        requester,
        _new_id(),
        now,
        rules.next_try(1, now),
        request_key=request_key,
        request_hash=request_hash,
    )
    work.shipments.add(pickup)
    return pickup, True


def readable_pickup(
    work: Work, pickup_id: str, may_read: Callable[[Requester], bool], for_update: bool = False
) -> Pickup:
    """The pickup when the reader may see it (who asked for it, or an administrator:
    `may_read`); otherwise the answer of an unknown pickup, so ids tell nobody else
    anything."""
    pickup = work.shipments.get_pickup(pickup_id, for_update)
    if pickup is None or not may_read(pickup.requester):
        raise PickupNotFound(f"Không có yêu cầu thu gom {pickup_id}")
    return pickup


def cancel_pickup(
    works: Works, carrier: Carrier, pickup_id: str, may_read: Callable[[Requester], bool], clock: Clock
) -> None:
    """Call off a pickup not yet collected, at the carrier first when it has the order."""
    with works() as work:
        pickup = readable_pickup(work, pickup_id, may_read)
        pickup.check_cancellable()
        waybill = pickup.waybill
    if waybill:
        try:
            carrier.cancel(waybill)
        except CarrierError as exc:
            raise CarrierUnavailable(f"Bưu chính chưa nhận lệnh huỷ, thử lại sau ({exc})") from exc
    with works() as work:
        pickup = readable_pickup(work, pickup_id, may_read, for_update=True)
        pickup.cancel(clock())  # refused if it moved on while the carrier was asked
