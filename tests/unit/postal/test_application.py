"""postal's use cases on fake repositories and a scripted carrier: one shipment per
result, a carrier that is down or slow, a callback that beats our record of the
order, pickups asked for once per Idempotency-Key, read and cancelled only by who
asked for them."""

from datetime import timedelta

import pytest

from services.postal import application
from services.postal.domain.errors import (
    CarrierUnavailable,
    IdempotencyKeyReused,
    NotCancellable,
    PickupNotFound,
    UnknownWaybill,
)
from services.postal.domain.model import Requester, TrackingReport
from services.postal.domain.policies import PostalRules
from shared.domain import NotFound, Unavailable
from tests.unit.postal.fakes import ADDRESS, CODE, CORRELATION, FRIDAY, RULES, Clock, FakeCarrier, Postal

CALLBACK = "http://postal/api/carrier/callback"
PORTAL = Requester.of("portal", "dichvucong")
SUBMISSION = {"procedure_code": "2.000635", "channel": "postal"}


def ship(postal, code=CODE, rules=RULES):
    with postal.work() as work:
        return application.ship_result(work, code, ADDRESS, CORRELATION, FRIDAY, rules)


def place(postal, carrier, shipment_id, clock=None):
    return application.place_order(postal.work, carrier, shipment_id, CALLBACK, RULES, clock or Clock())


def track(postal, status, attempt=0, waybill="EB000000001VN", **extra):
    with postal.work() as work:
        return application.track(
            work, TrackingReport(waybill=waybill, status=status, at=FRIDAY, attempt=attempt, **extra), FRIDAY, RULES
        )


def test_a_repeated_result_ready_makes_one_shipment_and_one_order():
    postal, carrier = Postal(), FakeCarrier()
    first, again = ship(postal), ship(postal)
    assert first == again and len(postal.store) == 1
    shipment = place(postal, carrier, first)
    assert place(postal, carrier, first).waybill == shipment.waybill  # ordered already: the carrier is not asked
    assert carrier.requests == [(f"{CODE}:result", "delivery", ADDRESS, 0)]
    assert (shipment.status, shipment.postage, shipment.distance_class) == ("created", 25000, "same_district")
    assert postal.event_types() == ["shipment_created"]
    assert postal.outbox[0].data()["waybill"] == shipment.waybill


def reject(postal, code=CODE, address=ADDRESS):
    with postal.work() as work:
        return application.ship_rejection(work, code, address, CORRELATION, FRIDAY, RULES)


def test_a_rejected_postal_dossier_gets_one_shipment_of_its_refusal_notice_and_papers():
    """Decree 61/2018/NĐ-CP Art. 19-20: a rejection is returned like a result. A
    repeated dossier_rejected makes one shipment and one carrier order, named apart
    from a result's."""
    postal, carrier = Postal(), FakeCarrier()
    first, again = reject(postal), reject(postal, address="elsewhere")
    assert first == again and len(postal.store) == 1
    shipment = place(postal, carrier, first)
    assert place(postal, carrier, first).waybill == shipment.waybill
    assert carrier.requests == [(f"{CODE}:rejection", "delivery", ADDRESS, 0)]
    assert (shipment.purpose, shipment.status, shipment.address) == ("rejection", "created", ADDRESS)
    assert postal.event_types() == ["shipment_created"]
    assert postal.outbox[0].data()["purpose"] == "rejection"
    # its own reference: the carrier's callback finds it, not a result of the same code
    with postal.work() as work:
        assert work.shipments.by_reference(f"{CODE}:rejection").id == first
        assert work.shipments.by_reference(f"{CODE}:result") is None


def test_a_rejection_left_pending_by_a_carrier_that_is_down_is_ordered_by_the_retry_sweep():
    postal, carrier, clock = Postal(), FakeCarrier(), Clock()
    carrier.down = True
    shipment_id = reject(postal)
    assert place(postal, carrier, shipment_id, clock) is None
    carrier.down = False
    clock.advance(10)
    application.retry_orders(postal.work, carrier, CALLBACK, RULES, clock)
    assert postal.store[shipment_id].status == "created"
    assert [r[0] for r in carrier.requests] == [f"{CODE}:rejection", f"{CODE}:rejection"]


def test_a_new_shipment_waits_for_its_own_order_before_the_retry_sweep_takes_it():
    postal = Postal()
    shipment_id = ship(postal, rules=PostalRules(retry_base_seconds=5))
    with postal.work() as work:
        assert work.shipments.due_for_order(FRIDAY) == []
        assert work.shipments.due_for_order(FRIDAY + timedelta(seconds=5)) == [shipment_id]


def test_a_carrier_that_is_down_leaves_the_shipment_visibly_pending_then_it_is_ordered():
    postal, carrier, clock = Postal(), FakeCarrier(), Clock()
    carrier.down = True
    shipment_id = ship(postal)
    assert place(postal, carrier, shipment_id, clock) is None
    clock.advance(5)
    application.retry_orders(postal.work, carrier, CALLBACK, RULES, clock)
    pending = postal.store[shipment_id]
    assert (pending.status, pending.waybill, pending.order_tries) == ("pending", None, 2)
    assert "503" in pending.last_error and pending.next_try_at == clock.now + timedelta(seconds=10)
    assert postal.outbox == []
    carrier.down = False
    clock.advance(5)
    application.retry_orders(postal.work, carrier, CALLBACK, RULES, clock)
    assert pending.status == "pending"  # not due yet: the delay doubled
    clock.advance(5)
    application.retry_orders(postal.work, carrier, CALLBACK, RULES, clock)
    assert (pending.status, pending.last_error, pending.next_try_at) == ("created", None, None)
    assert postal.event_types() == ["shipment_created"]


def test_a_carrier_timeout_is_retried_without_a_second_order():
    postal, carrier, clock = Postal(), FakeCarrier(), Clock()
    carrier.late = True  # the order is made, the answer comes too late
    shipment_id = ship(postal)
    assert place(postal, carrier, shipment_id, clock) is None
    carrier.late = False
    clock.advance(5)
    application.retry_orders(postal.work, carrier, CALLBACK, RULES, clock)
    shipment = postal.store[shipment_id]
    assert len(carrier.orders) == 1 and shipment.waybill == carrier.orders[f"{CODE}:result"]["waybill"]
    assert shipment.order_tries == 1 and postal.event_types() == ["shipment_created"]


def test_tracking_through_the_use_case_records_and_owes_events_once():
    postal, carrier = Postal(), FakeCarrier()
    place(postal, carrier, ship(postal))
    assert track(postal, "accepted")[1] is True
    shipment, recorded = track(postal, "delivered", 1)
    assert recorded and shipment.status == "delivered"
    assert track(postal, "delivered", 1)[1] is False
    assert postal.event_types() == ["shipment_created", "shipment_delivered"]


def test_a_callback_that_beats_our_record_of_the_order_adopts_the_waybill():
    postal, carrier = Postal(), FakeCarrier()
    shipment_id = ship(postal)
    shipment, recorded = track(postal, "accepted", waybill="EB777VN", reference=f"{CODE}:result", postage=25000)
    assert recorded and (shipment.id, shipment.status, shipment.waybill, shipment.postage) == (
        shipment_id,
        "accepted",
        "EB777VN",
        25000,
    )
    # the carrier's own answer, arriving later, changes nothing
    with postal.work() as work:
        application.record_order(work, shipment_id, "EB777VN", 25000, FRIDAY, RULES)
    assert postal.event_types() == ["shipment_created"]
    assert carrier.requests == []


def test_a_callback_racing_our_record_of_the_order_finds_the_shipment_and_owes_nothing_twice():
    """The waybill was not yet stored when the callback looked it up, and was by the
    time its reference was: the callback takes that shipment (no 404, no second
    shipment_created)."""
    postal, carrier = Postal(), FakeCarrier()
    shipment = place(postal, carrier, ship(postal))
    with postal.work() as work:
        work.shipments.by_waybill = lambda waybill, for_update=False: None  # not yet visible then
        report = TrackingReport(waybill=shipment.waybill, status="accepted", at=FRIDAY, reference=f"{CODE}:result")
        found, recorded = application.track(work, report, FRIDAY, RULES)
    assert found is shipment and recorded and shipment.status == "accepted"
    assert postal.event_types() == ["shipment_created"]


def test_an_unknown_waybill_is_refused_and_a_reference_of_an_ordered_shipment_adopts_nothing():
    postal, carrier = Postal(), FakeCarrier()
    place(postal, carrier, ship(postal))
    for reference in (None, f"{CODE}:result", "pickup:nobody"):
        with pytest.raises(UnknownWaybill) as unknown:
            track(postal, "delivered", 1, waybill="EB999VN", reference=reference)
        assert isinstance(unknown.value, NotFound) and unknown.value.code == "unknown_waybill"
    assert postal.event_types() == ["shipment_created"]


def request(postal, key=None, digest="h1", requester=PORTAL):
    with postal.work() as work:
        return application.request_pickup(
            work, "3 Cầu Đất, Ngô Quyền, Hải Phòng", 8000, SUBMISSION, requester, digest, FRIDAY, RULES, request_key=key
        )


def test_a_pickup_is_asked_for_once_per_idempotency_key():
    postal, carrier = Postal(), FakeCarrier()
    pickup, created = request(postal, key="portal//dichvucong:k1")
    again, created_again = request(postal, key="portal//dichvucong:k1")
    assert created and not created_again and again is pickup
    with pytest.raises(IdempotencyKeyReused):
        request(postal, key="portal//dichvucong:k1", digest="h2")
    assert request(postal)[0] is not pickup  # no key: a new pickup each time
    assert (pickup.status, pickup.purpose, pickup.dossier_code, pickup.requester) == ("pending", "pickup", None, PORTAL)
    ordered = place(postal, carrier, pickup.id)
    assert (ordered.waybill, ordered.postage) == (carrier.orders[f"pickup:{pickup.id}"]["waybill"], 30000)
    assert carrier.requests == [(f"pickup:{pickup.id}", "pickup", "3 Cầu Đất, Ngô Quyền, Hải Phòng", 8000)]
    assert postal.outbox == []


def anyone(requester):
    return True


def nobody(requester):
    return False


def test_only_who_asked_for_a_pickup_reads_it_and_anyone_else_is_told_it_does_not_exist():
    postal = Postal()
    pickup, _ = request(postal)
    with postal.work() as work:
        assert application.readable_pickup(work, pickup.id, lambda r: r == PORTAL) is pickup
        for pickup_id, may_read in ((pickup.id, nobody), ("no-such-pickup", anyone)):
            with pytest.raises(PickupNotFound) as hidden:
                application.readable_pickup(work, pickup_id, may_read)
            assert hidden.value.code == "not_found" and hidden.value.message == f"Không có yêu cầu thu gom {pickup_id}"
        result_id = application.ship_result(work, CODE, ADDRESS, CORRELATION, FRIDAY, RULES)
        with pytest.raises(PickupNotFound):
            application.readable_pickup(work, result_id, anyone)  # a result is no pickup


def test_a_pickup_not_yet_collected_is_cancelled_at_the_carrier_first():
    postal, carrier, clock = Postal(), FakeCarrier(), Clock()
    pickup, _ = request(postal)
    place(postal, carrier, pickup.id)
    carrier.down = True
    with pytest.raises(CarrierUnavailable) as unavailable:
        application.cancel_pickup(postal.work, carrier, pickup.id, anyone, clock)
    assert isinstance(unavailable.value, Unavailable) and unavailable.value.code == "carrier_unavailable"
    assert unavailable.value.message.startswith("Bưu chính chưa nhận lệnh huỷ, thử lại sau (")
    assert pickup.status == "created"
    carrier.down = False
    application.cancel_pickup(postal.work, carrier, pickup.id, anyone, clock)
    assert pickup.status == "cancelled" and carrier.cancelled == [pickup.waybill]
    with pytest.raises(NotCancellable):
        application.cancel_pickup(postal.work, carrier, pickup.id, anyone, clock)
    assert carrier.cancelled == [pickup.waybill] and postal.outbox == []


def test_a_pickup_without_an_order_is_cancelled_here_only_and_never_ordered_afterwards():
    postal, carrier, clock = Postal(), FakeCarrier(), Clock()
    carrier.down = True
    pickup, _ = request(postal)
    place(postal, carrier, pickup.id)
    application.cancel_pickup(postal.work, carrier, pickup.id, anyone, clock)
    assert pickup.status == "cancelled" and carrier.cancelled == []
    carrier.down = False
    clock.advance(600)
    application.retry_orders(postal.work, carrier, CALLBACK, RULES, clock)
    assert len(carrier.requests) == 1  # only the failed try


def test_a_pickup_of_someone_else_cannot_be_cancelled():
    postal, carrier = Postal(), FakeCarrier()
    pickup, _ = request(postal)
    with pytest.raises(PickupNotFound):
        application.cancel_pickup(postal.work, carrier, pickup.id, nobody, Clock())
    assert pickup.status == "pending"


def test_a_collected_dossier_handed_over_is_announced_once():
    postal, carrier = Postal(), FakeCarrier()
    pickup, _ = request(postal)
    waybill = place(postal, carrier, pickup.id).waybill
    for status in ("accepted", "collected", "in_transit", "handed_over", "handed_over"):
        track(postal, status, waybill=waybill)
    assert postal.event_types() == ["pickup_completed"]
    assert postal.outbox[0].dossier_code == "-" and postal.outbox[0].data()["submission"] == SUBMISSION
