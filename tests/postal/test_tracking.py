"""The tracking rules on a session (SQLite in memory): idempotent, order-tolerant,
the two-attempt failure path, collection hand-over; events read from the outbox."""
import json
import time
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared import calendar_store, clock, reliability
from shared.calendar import WorkingCalendar
from shared.clock import TZ
from shared.db import make_engine
from shared.http import ApiError
from services.postal import pickups, shipping
from services.postal.models import Base, Shipment
from services.postal.transit import PostalRules

RULES = PostalRules(origins={"*": {"province": "Hải Phòng", "district": "Ngô Quyền"}})
FRIDAY = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)
CODE = "000.00.06.H56-261126-0001"


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'postal.db'}")
    Base.metadata.create_all(engine)
    reliability.metadata.create_all(engine)
    clock.set_now(FRIDAY)
    with Session(engine) as s:
        yield s
    clock.set_now(None)
    engine.dispose()


def events(session):
    rows = session.execute(sa.select(reliability.outbox.c.payload).order_by(reliability.outbox.c.id)).scalars()
    return [json.loads(p) for p in rows]


def result_ready(code=CODE, address="15 Lạch Tray, Ngô Quyền, Hải Phòng"):
    return {"dossier_code": code, "correlation_id": "c0ffee00-0000-0000-0000-000000000000",
            "data": {"postal_address": address}}


def ordered(session, waybill="EB100000001VN", **env):
    shipment_id = shipping.shipment_for_result(session, result_ready(**env), RULES)
    return shipping.record_order(session, shipment_id, {"waybill": waybill, "postage": 25000}, RULES,
                                 calendar=WorkingCalendar())


def update(status, attempt=0, waybill="EB100000001VN", at=FRIDAY, **extra):
    return {"waybill": waybill, "status": status, "attempt": attempt, "at": at, "timestamp": int(time.time()),
            **extra}


def track(session, *updates):
    return [shipping.apply_tracking(session, u, RULES, calendar=WorkingCalendar())[1] for u in updates]


def test_one_shipment_per_result_and_one_shipment_created(session):
    first = shipping.shipment_for_result(session, result_ready(), RULES)
    again = shipping.shipment_for_result(session, result_ready(), RULES)
    assert first == again
    shipment = shipping.record_order(session, first, {"waybill": "EB1VN", "postage": 25000}, RULES,
                                     calendar=WorkingCalendar())
    shipping.record_order(session, first, {"waybill": "EB2VN", "postage": 1}, RULES, calendar=WorkingCalendar())
    assert session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
    assert (shipment.waybill, shipment.postage, shipment.distance_class) == ("EB1VN", 25000, "same_district")
    [created] = events(session)
    assert created["event_type"] == "shipment_created" and created["dossier_code"] == CODE
    assert created["data"]["waybill"] == "EB1VN"
    assert created["data"]["expected_delivery"] == "2026-11-30"   # Friday + 1 working day


def test_the_same_callback_twice_is_recorded_once(session):
    ordered(session)
    assert track(session, update("accepted"), update("accepted"), update("delivered", 1), update("delivered", 1)) \
        == [True, False, True, False]
    assert [e["event_type"] for e in events(session)] == ["shipment_created", "shipment_delivered"]


def test_callbacks_out_of_order_never_move_a_shipment_back(session):
    shipment = ordered(session)
    delivered_at = FRIDAY + timedelta(hours=5)
    track(session, update("delivered", 1, at=delivered_at), update("in_transit", at=FRIDAY + timedelta(hours=2)),
          update("accepted", at=FRIDAY + timedelta(hours=1)))
    assert shipment.status == "delivered" and shipment.delivered_at == delivered_at
    assert shipment.handed_over_at == FRIDAY + timedelta(hours=1)   # still learnt from the late update
    view = shipping.shipments_view(session, CODE)[0]
    assert [t["status"] for t in view["tracking"]] == ["accepted", "in_transit", "delivered"]
    assert [e["event_type"] for e in events(session)] == ["shipment_created", "shipment_delivered"]


def test_two_failed_attempts_two_working_days_apart_then_back_to_the_counter(session):
    shipment = ordered(session)
    track(session, update("accepted"), update("failed", 1, reason="Không có người nhận"))
    assert shipment.status == "failed" and shipment.next_attempt_on == date(2026, 12, 1)  # Fri + 2 working days
    track(session, update("failed", 2, at=datetime(2026, 12, 1, 10, tzinfo=TZ), reason="Sai địa chỉ"),
          update("returned", 2))
    assert shipment.status == "returned" and shipment.attempts == 2 and shipment.next_attempt_on is None
    sent = [(e["event_type"], e["data"].get("attempt"), e["data"].get("next_attempt_on")) for e in events(session)]
    assert sent == [("shipment_created", None, None), ("shipment_failed", 1, "2026-12-01"),
                    ("shipment_failed", 2, None), ("shipment_returned", None, None)]
    assert events(session)[-1]["data"] == {"waybill": "EB100000001VN", "attempts": 2}
    # a delivery reported after the return changes nothing
    track(session, update("delivered", 2))
    assert shipment.status == "returned" and len(events(session)) == 4


def test_a_second_failure_arriving_first_still_returns_once(session):
    shipment = ordered(session)
    track(session, update("failed", 2), update("failed", 1), update("returned", 2))
    assert shipment.status == "returned"
    assert [e["event_type"] for e in events(session)] == ["shipment_created", "shipment_failed", "shipment_returned"]


def test_unknown_waybill_and_foreign_status_are_refused(session):
    shipment = ordered(session)
    with pytest.raises(ApiError) as unknown:
        track(session, update("delivered", 1, waybill="EB999VN"))
    assert unknown.value.status == 404
    with pytest.raises(ApiError) as foreign:
        track(session, update("handed_over"))
    assert foreign.value.status == 422
    assert shipment.status == "created" and len(events(session)) == 1


def test_a_callback_that_beats_our_record_of_the_order_adopts_the_waybill(session):
    shipment_id = shipping.shipment_for_result(session, result_ready(), RULES)
    track(session, update("accepted", waybill="EB777VN", reference=f"{CODE}:result", postage=25000))
    shipment = session.get(Shipment, shipment_id)
    assert (shipment.status, shipment.waybill, shipment.postage) == ("accepted", "EB777VN", 25000)
    # the carrier's own answer, arriving later, changes nothing
    shipping.record_order(session, shipment_id, {"waybill": "EB777VN", "postage": 25000}, RULES)
    assert [e["event_type"] for e in events(session)] == ["shipment_created"]


SUBMISSION = {"procedure_code": "2.000635", "channel": "postal",
              "applicant": {"full_name": "Trần Văn Bình", "id_number": "031190004321", "phone": "0912345670",
                            "email": None, "address": "3 Cầu Đất, Ngô Quyền, Hải Phòng"},
              "documents": [{"name": "Tờ khai", "copies": 1}], "return_method": "counter",
              "delivery_address": None, "notify": {"sms": True, "email": False}}


def test_a_collected_dossier_handed_over_at_the_counter_owes_pickup_completed_once(session):
    claims = {"sub": "dichvucong", "role": "portal"}
    order = {"pickup_address": "3 Cầu Đất, Ngô Quyền, Hải Phòng", "fees_to_collect": 8000}
    pickup, created = pickups.request_pickup(session, order, SUBMISSION, claims, RULES, "key-1")
    again, created_again = pickups.request_pickup(session, order, SUBMISSION, claims, RULES, "key-1")
    assert created and not created_again and again.id == pickup.id
    with pytest.raises(ApiError) as reused:
        pickups.request_pickup(session, {**order, "fees_to_collect": 0}, SUBMISSION, claims, RULES, "key-1")
    assert reused.value.status == 409
    session.flush()
    shipping.record_order(session, pickup.id, {"waybill": "EB555VN", "postage": 30000}, RULES)
    handed_over_at = datetime(2026, 11, 27, 14, 5, tzinfo=TZ)
    track(session, update("accepted", waybill="EB555VN"),
          update("collected", waybill="EB555VN", collected_amount=8000),
          update("handed_over", waybill="EB555VN", at=handed_over_at),
          update("handed_over", waybill="EB555VN", at=handed_over_at))
    assert (pickup.status, pickup.fees_collected, pickup.handed_over_at) == ("handed_over", 8000, handed_over_at)
    [completed] = events(session)
    assert completed["event_type"] == "pickup_completed"
    assert completed["dossier_code"] == calendar_store.NOT_A_DOSSIER
    assert completed["data"]["handed_over_at"] == handed_over_at.isoformat()
    assert completed["data"]["submission"] == SUBMISSION
    assert (completed["data"]["pickup_id"], completed["data"]["waybill"]) == (pickup.id, "EB555VN")
    with pytest.raises(ApiError) as late_cancel:
        pickups.cancelled(session, pickup.id)
    assert late_cancel.value.status == 409
