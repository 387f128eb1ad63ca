"""The register on PostgreSQL: what the counter's actions and the other services'
events leave in the tables and the outbox, through IntakeWork and its repositories
(the rules themselves: tests/unit/intake)."""

import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from services.intake import application
from services.intake.adapters import idempotency, orm, queries
from services.intake.adapters.repository import IntakeWork
from services.intake.domain.errors import WrongStatus
from services.intake.domain.model import Actor
from services.intake.schemas import Submission
from shared import clock
from shared.http import load
from tests.intake.conftest import AGENCY, COUNTER_CLAIMS, THURSDAY_MORNING, body, outbox

COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
PORTAL = Actor(sub="dichvucong", role="portal")


def submitted(uow, actor=PORTAL, at=THURSDAY_MORNING, **overrides):
    with uow.work(IntakeWork) as work:
        dossier, _ = application.submit(work, load(Submission(), body(**overrides)), actor, at)
    return dossier.code


def state(uow, code, event_type="dossier_received"):
    """The dossier by its code or reference, its view, and its events of `event_type`
    (those after reception name its code)."""
    with uow.transaction() as session:
        dossier = queries.readable_dossier(session, code, COUNTER_CLAIMS)
        return dossier, queries.dossier_view(session, dossier), outbox(session, event_type, dossier.code)


def act(uow, fn, *args):
    with uow.work(IntakeWork) as work:
        return fn(work, *args)


def test_a_counter_dossier_is_stored_with_its_trail_and_its_event(uow):
    code = submitted(uow, COUNTER)
    dossier, view, [event] = state(uow, code)
    assert view["status"] == "received" and view["status_number"] == 2
    assert dossier.received_at == THURSDAY_MORNING
    assert dossier.due_at == datetime(2026, 11, 27, 8, 0, tzinfo=clock.TZ)  # 1 working day
    assert view["applicant"]["id_number"] == "*********321"
    assert [(h["status"], h["actor"], h["note"]) for h in view["history"]] == [
        ("received", "canbo.motcua", "kênh counter")
    ]
    assert event["data"]["channel"] == "counter" and event["data"]["route"] == [{"department": "TUPHAP", "days": 1}]
    assert event["correlation_id"] == dossier.correlation_id and event["event_type"] == "dossier_received"
    assert event["data"]["contacts"] == {
        "phone": "0987654321",
        "email": "binh@example.vn",
        "full_name": "Trần Văn Bình",
    }


def test_an_online_dossier_accepted_later_keeps_its_whole_trail(uow):
    code = submitted(uow, channel="online")
    dossier, view, events = state(uow, code)
    assert view["status"] == "submitted" and dossier.received_at is None and events == []

    later = THURSDAY_MORNING.replace(hour=16)
    with uow.work(IntakeWork) as work:
        accepted = application.accept(work, code, [], "", COUNTER, later)
        inside = queries.dossier_view(work.session, accepted)  # the answer, read in the same transaction
    dossier, view, [event] = state(uow, code)
    # the code is given at acceptance [Circular 01/2018/TT-VPCP Art. 19]; the trail kept
    # under the reference follows it (ON UPDATE CASCADE)
    assert view["reference"] == code and view["code"] == dossier.code == event["dossier_code"]
    assert dossier.code.startswith(f"{AGENCY}-261126-") and event["data"]["reference"] == code
    assert inside["history"] == view["history"] and [h["status"] for h in view["history"]] == ["submitted", "received"]
    assert dossier.due_at == datetime(2026, 11, 27, 17, 0, tzinfo=clock.TZ)
    assert datetime.fromisoformat(event["data"]["received_at"]) == later

    with pytest.raises(WrongStatus):
        act(uow, application.accept, code, [], "", COUNTER, later)
    assert len(state(uow, code)[2]) == 1  # a refused action writes no event


def test_a_refusal_writes_its_reason_and_event(uow):
    code = submitted(uow, channel="online")
    act(uow, application.refuse, code, "Không thuộc thẩm quyền giải quyết", COUNTER, THURSDAY_MORNING)
    _, view, [event] = state(uow, code, "dossier_refused")
    assert view["status"] == "refused" and view["reason"] == "Không thuộc thẩm quyền giải quyết"
    assert event["data"]["contacts"]["phone"] == "0987654321" and event["data"]["notify"]["sms"] is True


def test_a_postal_collection_is_registered_once_per_pickup(uow):
    handed = THURSDAY_MORNING.replace(hour=14, minute=30)
    pickup = f"pk-{uuid.uuid4().hex[:8]}"
    submission = load(Submission(), body(channel="postal"))
    first = act(
        uow, application.register_pickup, submission, pickup, handed, "EP123456789VN", handed + timedelta(minutes=10)
    )
    assert act(uow, application.register_pickup, submission, pickup, handed, None, handed) is None
    with uow.transaction() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(orm.dossiers).where(orm.dossiers.c.pickup_id == pickup)
            )
            == 1
        )
    act(uow, application.accept, first.code, [], "", COUNTER, THURSDAY_MORNING.replace(hour=16))
    dossier, view, [event] = state(uow, first.code)
    assert (view["channel"], dossier.received_at, dossier.handed_over_at) == ("postal", handed, handed)
    assert event["data"]["channel"] == "postal"


def follow(uow, code, event_type, at, **data):
    act(uow, application.follow, event_type, code, data, at)


def test_events_of_the_other_services_and_the_return_are_stored(uow):
    code = submitted(uow, COUNTER, return_method="postal")
    t = THURSDAY_MORNING
    follow(uow, code, "result_ready", t + timedelta(hours=3), finished_at=t, summary="xong", return_method="postal")
    follow(uow, code, "processing_started", t + timedelta(hours=1), department="TUPHAP", step=1)  # late
    follow(uow, code, "shipment_failed", t + timedelta(hours=4), attempt=1, reason="vắng nhà")
    follow(uow, code, "shipment_returned", t + timedelta(hours=6))
    act(uow, application.hand_back, code, COUNTER, t + timedelta(hours=6, minutes=30))
    dossier, view, _ = state(uow, code, "dossier_returned")
    assert view["status"] == "returned" and view["flags"]["postal_status"] == "returned_to_counter"
    # the result implied the department's step (kept once): the late processing_started adds nothing
    assert [h["status"] for h in view["history"]] == ["received", "in_progress", "result_ready", "returned"]
    [returned] = state(uow, code, "dossier_returned")[2]
    assert returned["data"]["where"] == "counter"


def test_a_supplement_is_stored_in_the_documents_and_a_withdrawal_closes_the_dossier(uow):
    code = submitted(uow, COUNTER)
    follow(
        uow,
        code,
        "supplement_requested",
        THURSDAY_MORNING + timedelta(hours=1),
        items=[{"name": "Giấy khai sinh", "reason": "thiếu"}],
        requested_at=THURSDAY_MORNING,
    )
    later = THURSDAY_MORNING + timedelta(days=1, hours=2)
    act(uow, application.supplement, code, [{"name": "Giấy khai sinh", "copies": 1}], COUNTER, later)
    new_due = datetime(2026, 12, 2, 10, 0, tzinfo=clock.TZ)
    follow(
        uow,
        code,
        "processing_started",
        later + timedelta(minutes=5),
        department="TUPHAP",
        step=1,
        dossier_due_at=new_due,
    )
    dossier, view, _ = state(uow, code)
    assert view["status"] == "in_progress" and dossier.documents[-1]["name"] == "Giấy khai sinh"
    assert dossier.due_at == new_due
    with uow.transaction() as session:
        [event] = outbox(session, "dossier_supplemented", code)
    assert datetime.fromisoformat(event["data"]["received_at"]) == later

    act(uow, application.withdraw, code, "Công dân xin rút hồ sơ", COUNTER, later + timedelta(hours=1))
    _, view, _ = state(uow, code)
    assert view["status"] == "withdrawn" and view["reason"] == "Công dân xin rút hồ sơ"
    with uow.transaction() as session:
        assert outbox(session, "dossier_withdrawn", code)[0]["data"]["reason"] == "Công dân xin rút hồ sơ"


def test_idempotency_key_replays_and_refuses_another_body(uow, at):
    from shared.http import ApiError

    at(THURSDAY_MORNING)
    with uow.transaction() as session:
        assert idempotency.claim(session, "a", "k1", {"x": 1}) is None
        idempotency.remember(session, "a", "k1", 201, {"code": "C"})
    with uow.transaction() as session:
        assert idempotency.claim(session, "a", "k1", {"x": 1}) == (201, {"code": "C"})
        with pytest.raises(ApiError) as reused:
            idempotency.claim(session, "a", "k1", {"x": 2})
        assert (reused.value.status, reused.value.code) == (409, "idempotency_key_reused")
        assert idempotency.claim(session, "b", "k1", {"x": 2}) is None  # keys are per caller


def test_art19_a_submission_accepted_the_next_day_gets_that_days_code_and_a_refusal_takes_none(uow):
    """Circular 01/2018/TT-VPCP Art. 19, on PostgreSQL: the code is given at reception,
    with that day's date and the next number of that day; a refused submission uses
    none, so the day's received dossiers have no gap."""
    friday = THURSDAY_MORNING + timedelta(days=30)  # a day no other test receives on
    refused = submitted(uow, channel="online", at=friday - timedelta(days=1))
    accepted = submitted(uow, channel="postal", actor=COUNTER, at=friday - timedelta(days=1))
    act(uow, application.refuse, refused, "Không thuộc thẩm quyền giải quyết", COUNTER, friday)
    _, view, [refusal] = state(uow, refused, "dossier_refused")
    assert view["code"] is None and refusal["dossier_code"] == refused  # events before reception: the reference
    act(uow, application.accept, accepted, [], "", COUNTER, friday)
    counter = submitted(uow, COUNTER, at=friday + timedelta(hours=1))
    dossier, view, [event] = state(uow, accepted)
    assert [dossier.code, counter] == [f"{AGENCY}-261226-0001", f"{AGENCY}-261226-0002"]
    assert view["reference"] == accepted and event["data"]["reference"] == accepted
    assert [h["status"] for h in view["history"]] == ["submitted", "received"]
    assert state(uow, dossier.code)[0].reference == accepted  # found by the code as by the reference
