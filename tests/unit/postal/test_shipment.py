"""The shipment's rules on plain objects [Decision 45/2016/QĐ-TTg]: one order, tracking
that is idempotent and order-tolerant, two failed attempts 2 working days apart and
then the return to the counter; the collected dossier handed over at the counter."""

from datetime import date, datetime, timedelta

import pytest

from services.postal.domain import events
from services.postal.domain.errors import IdempotencyKeyReused, NotCancellable, StatusNotApplicable
from services.postal.domain.model import (
    NOT_A_DOSSIER,
    Pickup,
    RejectionShipment,
    Requester,
    ResultShipment,
    ShipmentStatus,
    TrackingReport,
    parse_reference,
)
from shared.calendar import WorkingCalendar
from shared.clock import TZ
from shared.domain import Conflict, RuleBroken
from tests.unit.postal.fakes import ADDRESS, CODE, CORRELATION, FRIDAY, RULES

CALENDAR = WorkingCalendar()
WAYBILL = "EB100000001VN"
SUBMISSION = {
    "procedure_code": "2.000635",
    "channel": "postal",
    "applicant": {
        "full_name": "Trần Văn Bình",
        "id_number": "031190004321",
        "phone": "0912345670",
        "email": None,
        "address": "3 Cầu Đất, Ngô Quyền, Hải Phòng",
    },
    "documents": [{"name": "Tờ khai", "copies": 1}],
    "return_method": "counter",
    "delivery_address": None,
    "notify": {"sms": True, "email": False},
}
PORTAL = Requester.of("portal", "dichvucong")


def result(address=ADDRESS):
    return ResultShipment("s-1", CODE, address, CORRELATION, FRIDAY, RULES.next_try(1, FRIDAY))


def ordered(**kwargs):
    shipment = result(**kwargs)
    shipment.order_placed(WAYBILL, 25000, FRIDAY, RULES, CALENDAR)
    return shipment


def pickup(**kwargs):
    return Pickup(
        "p-1",
        "3 Cầu Đất, Ngô Quyền, Hải Phòng",
        8000,
        SUBMISSION,
        PORTAL,
        CORRELATION,
        FRIDAY,
        RULES.next_try(1, FRIDAY),
        **kwargs,
    )


def report(status, attempt=0, at=FRIDAY, **extra):
    return TrackingReport(waybill=extra.pop("waybill", WAYBILL), status=status, at=at, attempt=attempt, **extra)


def track(shipment, *reports):
    return [shipment.record_tracking(r, FRIDAY, RULES, CALENDAR) for r in reports]


def types(shipment):
    return [str(e.event_type) for e in shipment.events]


def test_an_order_is_placed_once_and_a_result_owes_shipment_created_with_its_promise():
    shipment = result()
    assert shipment.carrier_order().reference == f"{CODE}:result" and shipment.carrier_order().kind == "delivery"
    assert shipment.order_placed("EB1VN", 25000, FRIDAY, RULES, CALENDAR) is True
    assert shipment.order_placed("EB2VN", 1, FRIDAY, RULES, CALENDAR) is False  # the carrier's later answer
    assert (shipment.status, shipment.waybill, shipment.postage) == ("created", "EB1VN", 25000)
    assert shipment.carrier_order() is None and shipment.next_try_at is None
    [created] = shipment.events
    assert isinstance(created, events.ShipmentCreated) and created.dossier_code == CODE
    assert created.correlation_id == CORRELATION
    # Friday + 1 working day, same district [Circular 17/2017/TT-BTTTT]
    assert created.data() == {
        "waybill": "EB1VN",
        "expected_delivery": date(2026, 11, 30),
        "distance_class": "same_district",
        "postage": 25000,
        "purpose": "result",
    }


def test_a_failed_order_call_is_noted_and_tried_again_later_doubling():
    shipment = result()
    assert shipment.order_failed("carrier answered 503", FRIDAY, RULES) == 1
    assert shipment.order_failed("x" * 2000, FRIDAY, RULES) == 2
    assert shipment.status == "pending" and len(shipment.last_error) == 1000
    assert shipment.next_try_at == FRIDAY + timedelta(seconds=10)
    assert shipment.events == []


def test_a_pickup_order_collects_the_fees_and_owes_no_event_when_placed():
    collected = pickup()
    order = collected.carrier_order()
    assert (order.reference, order.kind, order.collect_amount) == ("pickup:p-1", "pickup", 8000)
    collected.order_placed("EB555VN", 30000, FRIDAY, RULES, CALENDAR)
    assert collected.status == "created" and collected.events == [] and collected.expected_delivery is None


def test_the_same_callback_twice_is_recorded_once():
    shipment = ordered()
    assert track(shipment, report("accepted"), report("accepted"), report("delivered", 1), report("delivered", 1)) == [
        True,
        False,
        True,
        False,
    ]
    assert types(shipment) == ["shipment_created", "shipment_delivered"]
    assert [(e.status, e.attempt) for e in shipment.tracking] == [("accepted", 0), ("delivered", 1)]


def test_callbacks_out_of_order_never_move_a_shipment_back():
    shipment = ordered()
    delivered_at = FRIDAY + timedelta(hours=5)
    track(
        shipment,
        report("delivered", 1, at=delivered_at),
        report("in_transit", at=FRIDAY + timedelta(hours=2)),
        report("accepted", at=FRIDAY + timedelta(hours=1)),
    )
    assert shipment.status == "delivered" and shipment.delivered_at == delivered_at
    assert shipment.handed_over_at == FRIDAY + timedelta(hours=1)  # still learnt from the late update
    assert sorted(e.status for e in shipment.tracking) == ["accepted", "delivered", "in_transit"]
    assert types(shipment) == ["shipment_created", "shipment_delivered"]
    assert shipment.events[-1].data() == {"delivered_at": delivered_at, "waybill": WAYBILL, "purpose": "result"}


def test_two_failed_attempts_two_working_days_apart_then_back_to_the_counter():
    shipment = ordered()
    track(shipment, report("accepted"), report("failed", 1, reason="Không có người nhận"))
    assert shipment.status == "failed" and shipment.next_attempt_on == date(2026, 12, 1)  # Fri + 2 working days
    track(
        shipment,
        report("failed", 2, at=datetime(2026, 12, 1, 10, tzinfo=TZ), reason="Sai địa chỉ"),
        report("returned", 2),
    )
    assert shipment.status == "returned" and shipment.attempts == 2 and shipment.next_attempt_on is None
    sent = [(str(e.event_type), e.data().get("attempt"), e.data().get("next_attempt_on")) for e in shipment.events]
    assert sent == [
        ("shipment_created", None, None),
        ("shipment_failed", 1, "2026-12-01"),
        ("shipment_failed", 2, None),
        ("shipment_returned", None, None),
    ]
    assert shipment.events[1].data() == {
        "attempt": 1,
        "reason": "Không có người nhận",
        "waybill": WAYBILL,
        "next_attempt_on": "2026-12-01",
        "purpose": "result",
    }
    assert shipment.events[-1].data() == {"waybill": WAYBILL, "attempts": 2, "purpose": "result"}
    # a delivery reported after the return changes nothing
    track(shipment, report("delivered", 2))
    assert shipment.status == "returned" and len(shipment.events) == 4


def test_a_failed_attempt_without_a_reason_says_so():
    shipment = ordered()
    track(shipment, report("failed", 1))
    assert shipment.events[-1].data()["reason"] == "giao không thành công"


def test_the_next_attempt_follows_the_administrators_calendar():
    shipment = ordered()
    calendar = WorkingCalendar(days_off=[date(2026, 11, 30)])  # Monday off: Friday + 2 is Wednesday
    shipment.record_tracking(report("failed", 1), FRIDAY, RULES, calendar)
    assert shipment.next_attempt_on == date(2026, 12, 2)


def test_a_second_failure_arriving_first_still_returns_once():
    shipment = ordered()
    track(shipment, report("failed", 2), report("failed", 1), report("returned", 2))
    assert shipment.status == "returned"
    assert types(shipment) == ["shipment_created", "shipment_failed", "shipment_returned"]


def test_a_status_of_the_other_kind_of_shipment_is_refused_and_changes_nothing():
    shipment = ordered()
    with pytest.raises(StatusNotApplicable) as foreign:
        track(shipment, report("handed_over"))
    assert isinstance(foreign.value, RuleBroken) and foreign.value.code == "status_not_applicable"
    assert foreign.value.fields == {"status": ["Cho phép: accepted, in_transit, failed, delivered, returned"]}
    with pytest.raises(StatusNotApplicable):
        track(pickup(), report("delivered", 1))
    assert shipment.status == "created" and shipment.tracking == [] and types(shipment) == ["shipment_created"]


def test_a_collected_dossier_handed_over_at_the_counter_owes_pickup_completed_once():
    collected = pickup()
    collected.order_placed("EB555VN", 30000, FRIDAY, RULES, CALENDAR)
    handed_over_at = datetime(2026, 11, 27, 14, 5, tzinfo=TZ)
    assert track(
        collected,
        report("accepted", waybill="EB555VN"),
        report("collected", waybill="EB555VN", collected_amount=8000),
        report("handed_over", waybill="EB555VN", at=handed_over_at),
        report("handed_over", waybill="EB555VN", at=handed_over_at),
    ) == [True, True, True, False]
    assert (collected.status, collected.fees_collected, collected.handed_over_at) == (
        "handed_over",
        8000,
        handed_over_at,
    )
    [completed] = collected.events
    assert isinstance(completed, events.PickupCompleted) and completed.dossier_code == NOT_A_DOSSIER == "-"
    assert completed.data() == {
        "handed_over_at": handed_over_at,
        "pickup_id": "p-1",
        "waybill": "EB555VN",
        "submission": SUBMISSION,
    }


def test_fees_are_learnt_from_a_collection_or_a_delivery_only():
    collected = pickup()
    collected.order_placed("EB555VN", 30000, FRIDAY, RULES, CALENDAR)
    track(collected, report("accepted", waybill="EB555VN", collected_amount=1))
    assert collected.fees_collected == 0
    track(collected, report("collected", waybill="EB555VN", collected_amount=8000))
    assert collected.fees_collected == 8000


def test_a_pickup_can_be_cancelled_until_the_papers_are_collected():
    for status in ("pending", "created", "accepted"):
        cancellable = pickup()
        cancellable.status = ShipmentStatus(status)
        cancellable.cancel(FRIDAY)
        assert cancellable.status == "cancelled" and cancellable.next_try_at is None
    for status in ("collected", "in_transit", "handed_over", "cancelled"):
        late = pickup()
        late.status = ShipmentStatus(status)
        with pytest.raises(NotCancellable) as refused:
            late.cancel(FRIDAY)
        assert isinstance(refused.value, Conflict) and refused.value.code == "not_cancellable"
        assert late.status == status


def test_the_same_idempotency_key_must_carry_the_same_request():
    known = pickup(request_key="portal//dichvucong:key-1", request_hash="abc")
    known.check_same_request("abc")
    with pytest.raises(IdempotencyKeyReused) as reused:
        known.check_same_request("def")
    assert isinstance(reused.value, Conflict) and reused.value.code == "idempotency_key_reused"


def test_a_counters_pickup_belongs_to_its_agency_a_portals_to_the_client():
    assert Requester.of("counter", "u1", "000.00.06.H56") == Requester("counter", "u1", "000.00.06.H56")
    assert Requester.of("portal", "dichvucong", "000.00.06.H56").agency is None
    assert pickup().requester == PORTAL


def test_our_references_name_a_result_by_dossier_and_a_pickup_by_id():
    assert parse_reference(f"{CODE}:result") == ("result", CODE)
    assert parse_reference("pickup:p-1") == ("pickup", "p-1")
    assert parse_reference(None) is None and parse_reference("nothing") is None
    assert parse_reference(f"{CODE}:other") is None
    assert ordered().reference == f"{CODE}:result" and pickup().reference == "pickup:p-1"
    assert parse_reference(f"{CODE}:rejection") == ("rejection", CODE)


def rejection():
    return RejectionShipment("s-2", CODE, ADDRESS, CORRELATION, FRIDAY, RULES.next_try(1, FRIDAY))


def test_a_rejection_goes_back_by_post_like_a_result_with_its_purpose_on_every_event():
    """Decree 61/2018/NĐ-CP Art. 19-20: the refusal notice and the original papers go
    back through the return step; by post they are a delivery like a result (its own
    reference, the transit promise, two attempts 2 working days apart, then back to
    the counter), and every event says it carries a rejection."""
    shipment = rejection()
    assert shipment.purpose == "rejection" and shipment.reference == f"{CODE}:rejection"
    order = shipment.carrier_order()
    assert (order.reference, order.kind, order.address, order.collect_amount) == (
        f"{CODE}:rejection",
        "delivery",
        ADDRESS,
        0,
    )
    shipment.order_placed(WAYBILL, 25000, FRIDAY, RULES, CALENDAR)
    track(shipment, report("accepted"), report("failed", 1, reason="Vắng nhà"))
    assert shipment.next_attempt_on == date(2026, 12, 1)  # Fri + 2 working days [Decision 45/2016/QĐ-TTg]
    track(shipment, report("failed", 2, at=datetime(2026, 12, 1, 10, tzinfo=TZ)))
    assert shipment.status == "returned" and shipment.attempts == 2
    assert types(shipment) == ["shipment_created", "shipment_failed", "shipment_failed", "shipment_returned"]
    assert {e.data()["purpose"] for e in shipment.events} == {"rejection"}
    assert shipment.events[0].data()["expected_delivery"] == date(2026, 11, 30)  # same district: J+1


def test_a_delivered_rejection_says_so():
    shipment = rejection()
    shipment.order_placed(WAYBILL, 25000, FRIDAY, RULES, CALENDAR)
    track(shipment, report("accepted"), report("delivered", 1))
    assert shipment.status == "delivered"
    assert shipment.events[-1].data() == {"delivered_at": FRIDAY, "waybill": WAYBILL, "purpose": "rejection"}
