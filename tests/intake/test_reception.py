"""Reception through the three channels, the counter's actions, and the register
that follows the other services' events."""
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from shared import clock
from shared.http import ApiError
from services.intake import reception
from services.intake.models import Dossier
from services.intake.schemas import Acceptance, Submission
from shared.http import load
from tests.intake.conftest import AGENCY, COUNTER_CLAIMS, THURSDAY_MORNING, body, outbox

PORTAL = {"sub": "dichvucong", "role": "portal"}
OTHER_COUNTER = {"sub": "canbo.khac", "role": "counter", "agency": "000.00.01.H56"}


def submitted(uow, claims=PORTAL, **overrides):
    with uow.transaction() as session:
        dossier, _ = reception.submit(session, load(Submission(), body(**overrides)), claims)
    return dossier.code


def state(uow, code):
    with uow.transaction() as session:
        dossier = reception.get_dossier(session, code)
        return dossier, reception.dossier_view(session, dossier), outbox(session, "dossier_received", code)


def act(uow, fn, *args):
    with uow.transaction() as session:
        return fn(session, *args)


def test_a_counter_dossier_is_received_at_once_with_its_appointment(uow, at):
    at(THURSDAY_MORNING)
    code = submitted(uow, COUNTER_CLAIMS)
    dossier, view, events = state(uow, code)
    assert view["status"] == "received" and dossier.received_at == THURSDAY_MORNING
    assert dossier.due_at == datetime(2026, 11, 27, 8, 0, tzinfo=clock.TZ)  # 1 working day
    [event] = events
    assert event["data"]["channel"] == "counter" and event["data"]["route"] == [{"department": "TUPHAP", "days": 1}]


def test_an_online_dossier_waits_until_the_counter_accepts_it(uow, at):
    at(THURSDAY_MORNING)
    code = submitted(uow, channel="online")
    dossier, view, events = state(uow, code)
    assert view["status"] == "submitted" and dossier.received_at is None and events == []

    at(THURSDAY_MORNING.replace(hour=16))  # after the 15:00 cut-off
    act(uow, reception.accept, code, load(Acceptance(), {}), COUNTER_CLAIMS)
    dossier, view, [event] = state(uow, code)
    assert view["status"] == "received" and dossier.received_by == "canbo.motcua"
    assert dossier.received_at == THURSDAY_MORNING.replace(hour=16)
    assert dossier.due_at == datetime(2026, 11, 27, 17, 0, tzinfo=clock.TZ)  # from Friday morning: end of Friday
    assert [h["status"] for h in view["history"]] == ["submitted", "received"]

    with pytest.raises(ApiError) as twice:
        act(uow, reception.accept, code, load(Acceptance(), {}), COUNTER_CLAIMS)
    assert (twice.value.status, twice.value.code) == (409, "wrong_status")


def test_missing_documents_list_everything_at_once_and_receive_nothing(uow, at):
    at(THURSDAY_MORNING)
    code = submitted(uow, channel="online", procedure="1.001776",
                     documents=[{"name": "Đơn đề nghị cấp giấy phép xây dựng", "copies": 1}])
    with pytest.raises(ApiError) as guided:
        act(uow, reception.accept, code, load(Acceptance(), {"missing_documents": ["Bản vẽ thiết kế"]}),
            COUNTER_CLAIMS)
    assert (guided.value.status, guided.value.code) == (422, "dossier_incomplete")
    # one-time complete guidance: the marked document and the one never handed in
    assert guided.value.fields["missing_documents"] == ["Bản sao giấy tờ về quyền sử dụng đất", "Bản vẽ thiết kế"]
    dossier, view, events = state(uow, code)
    assert view["status"] == "submitted" and dossier.received_at is None and events == []


def test_refusal_records_the_reason(uow, at):
    at(THURSDAY_MORNING)
    code = submitted(uow, channel="online")
    act(uow, reception.refuse, code, "Không thuộc thẩm quyền giải quyết", COUNTER_CLAIMS)
    dossier, view, _ = state(uow, code)
    assert view["status"] == "refused" and view["reason"] == "Không thuộc thẩm quyền giải quyết"
    with uow.transaction() as session:
        [event] = outbox(session, "dossier_refused", code)
    assert event["data"]["reason"] == "Không thuộc thẩm quyền giải quyết"
    # notify never saw this dossier received: the contacts and channels come with the refusal
    assert event["data"]["contacts"]["phone"] == dossier.phone and "sms" in event["data"]["notify"]


def test_a_counter_acts_only_for_its_agency(uow, at):
    at(THURSDAY_MORNING)
    code = submitted(uow, channel="online")
    with pytest.raises(ApiError) as other:
        act(uow, reception.accept, code, load(Acceptance(), {}), OTHER_COUNTER)
    assert (other.value.status, other.value.code) == (403, "other_agency")
    with pytest.raises(ApiError) as wrong_channel:
        submitted(uow, PORTAL, channel="counter")
    assert wrong_channel.value.status == 403


def pickup_event(pickup_id, handed_over_at, **submission):
    return {"event_id": str(uuid.uuid4()), "event_type": "pickup_completed", "dossier_code": "-",
            "occurred_at": handed_over_at + timedelta(minutes=5),
            "data": {"pickup_id": pickup_id, "handed_over_at": handed_over_at, "waybill": "EP123456789VN",
                     "submission": body(**submission)}}


def test_a_postal_collection_is_registered_once_and_received_as_of_the_hand_over(uow, at):
    handed = THURSDAY_MORNING.replace(hour=14, minute=30)
    at(handed + timedelta(minutes=10))
    pickup = f"pk-{uuid.uuid4().hex[:8]}"
    with uow.transaction() as session:
        first = reception.register_pickup(session, pickup_event(pickup, handed, channel="postal"))
    with uow.transaction() as session:  # the same pickup again (another event id): no second dossier
        assert reception.register_pickup(session, pickup_event(pickup, handed)) is None
        assert session.scalar(sa.select(sa.func.count()).select_from(Dossier).where(Dossier.pickup_id == pickup)) == 1
    dossier, view, _ = state(uow, first.code)
    assert (view["status"], view["channel"], dossier.agency_code) == ("submitted", "postal", AGENCY)

    at(THURSDAY_MORNING.replace(hour=16))  # the counter checks it after the cut-off
    act(uow, reception.accept, first.code, load(Acceptance(), {}), COUNTER_CLAIMS)
    dossier, view, [event] = state(uow, first.code)
    assert dossier.received_at == handed  # the legal reception time is the hand-over
    assert dossier.due_at == datetime(2026, 11, 27, 14, 30, tzinfo=clock.TZ)
    assert event["data"]["channel"] == "postal"


def follow(uow, code, event_type, at, **data):
    with uow.transaction() as session:
        reception.follow(session, {"event_id": str(uuid.uuid4()), "event_type": event_type, "dossier_code": code,
                                   "occurred_at": at, "data": data})


def test_the_register_never_moves_back_for_a_late_event(uow, at):
    at(THURSDAY_MORNING)
    code = submitted(uow, COUNTER_CLAIMS, return_method="postal")
    t = THURSDAY_MORNING
    follow(uow, code, "result_ready", t + timedelta(hours=3), finished_at=t, summary="xong", return_method="postal")
    follow(uow, code, "processing_started", t + timedelta(hours=1), department="TUPHAP", step=1)  # late
    assert state(uow, code)[1]["status"] == "result_ready"
    follow(uow, code, "shipment_failed", t + timedelta(hours=4), attempt=1, reason="vắng nhà")
    follow(uow, code, "shipment_created", t + timedelta(hours=3, minutes=30), waybill="X", expected_delivery="2026-11-28")
    assert state(uow, code)[1]["flags"]["postal_status"] == "delivery_failed"

    with pytest.raises(ApiError) as not_yet:
        act(uow, reception.hand_back, code, COUNTER_CLAIMS)
    assert not_yet.value.code == "not_ready_for_counter_return"
    follow(uow, code, "shipment_returned", t + timedelta(hours=6))
    at(t + timedelta(hours=6, minutes=30))
    act(uow, reception.hand_back, code, COUNTER_CLAIMS)  # back from the post: the counter hands it over
    follow(uow, code, "processing_started", t + timedelta(hours=7), department="TUPHAP", step=1)
    _, view, _ = state(uow, code)
    assert view["status"] == "returned"
    assert [h["status"] for h in view["history"]] == ["received", "result_ready", "returned"]


def test_supplement_resumes_processing_and_withdrawal_closes_the_dossier(uow, at):
    at(THURSDAY_MORNING)
    code = submitted(uow, COUNTER_CLAIMS)
    with pytest.raises(ApiError) as not_asked:
        act(uow, reception.supplement, code, {"documents": [{"name": "Giấy khai sinh", "copies": 1}]}, COUNTER_CLAIMS)
    assert not_asked.value.status == 409
    follow(uow, code, "supplement_requested", THURSDAY_MORNING + timedelta(hours=1),
           items=[{"name": "Giấy khai sinh", "reason": "thiếu"}], requested_at=THURSDAY_MORNING)
    later = THURSDAY_MORNING + timedelta(days=1, hours=2)
    at(later)
    act(uow, reception.supplement, code, {"documents": [{"name": "Giấy khai sinh", "copies": 1}], "note": ""},
        COUNTER_CLAIMS)
    dossier, view, _ = state(uow, code)
    assert view["status"] == "in_progress" and dossier.documents[-1]["name"] == "Giấy khai sinh"
    with uow.transaction() as session:
        [event] = outbox(session, "dossier_supplemented", code)
    assert datetime.fromisoformat(event["data"]["received_at"]) == later
    # processing restarts the clock and says so: the register shows the new appointment
    new_due = datetime(2026, 12, 2, 10, 0, tzinfo=clock.TZ)
    follow(uow, code, "processing_started", later + timedelta(minutes=5), department="TUPHAP", step=1,
           dossier_due_at=new_due)
    assert state(uow, code)[0].due_at == new_due

    act(uow, reception.withdraw, code, "Công dân xin rút hồ sơ", COUNTER_CLAIMS)
    _, view, _ = state(uow, code)
    assert view["status"] == "withdrawn" and view["reason"] == "Công dân xin rút hồ sơ"
    with uow.transaction() as session:
        assert outbox(session, "dossier_withdrawn", code)[0]["data"]["reason"] == "Công dân xin rút hồ sơ"
    with pytest.raises(ApiError):
        act(uow, reception.withdraw, code, "lần nữa thôi", COUNTER_CLAIMS)


def test_idempotency_key_replays_and_refuses_another_body(uow, at):
    at(THURSDAY_MORNING)
    with uow.transaction() as session:
        assert reception.claim_idempotency_key(session, "a", "k1", {"x": 1}) is None
        reception.remember_answer(session, "a", "k1", 201, {"code": "C"})
    with uow.transaction() as session:
        assert reception.claim_idempotency_key(session, "a", "k1", {"x": 1}) == (201, {"code": "C"})
        with pytest.raises(ApiError) as reused:
            reception.claim_idempotency_key(session, "a", "k1", {"x": 2})
        assert reused.value.status == 409
        assert reception.claim_idempotency_key(session, "b", "k1", {"x": 2}) is None  # keys are per caller
