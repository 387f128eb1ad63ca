"""Reception through the three channels, the counter's actions, and the register
that follows the other services' events: intake's rules on fake repositories."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.intake import application
from services.intake.domain.errors import (
    ChannelNotAllowed,
    DossierIncomplete,
    DossierNotFound,
    NotReadyForCounterReturn,
    OtherAgency,
    ReturnMethodNotAllowed,
    WrongStatus,
)
from services.intake.domain.events import (
    DossierReceived,
    DossierRefused,
    DossierReturned,
    DossierSupplemented,
    DossierWithdrawn,
)
from services.intake.domain.model import Actor, Dossier, DossierStatus
from shared import clock
from shared.errors import http_error
from tests.unit.intake.fakes import FakeIntakeWork, work_with_demo_catalogue

AGENCY = "000.00.06.H56"
COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
OTHER_COUNTER = Actor(sub="canbo.khac", role="counter", agency="000.00.01.H56")
PORTAL = Actor(sub="dichvucong", role="portal")
THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)


def body(
    procedure: str = "2.000635", channel: str = "counter", return_method: str = "counter", **overrides: Any
) -> dict[str, Any]:
    """A submission as schemas.Submission loads it."""
    data: dict[str, Any] = {
        "procedure_code": procedure,
        "channel": channel,
        "applicant": {
            "full_name": "Trần Văn Bình",
            "id_number": "031090004321",
            "phone": "0987654321",
            "email": "binh@example.vn",
            "address": "2 Điện Biên Phủ, Hải Phòng",
        },
        "documents": [{"name": "Tờ khai cấp bản sao trích lục hộ tịch", "copies": 1}],
        "return_method": return_method,
        "delivery_address": None,
        "notify": {"sms": True, "email": False},
    }
    if return_method == "postal":
        data["delivery_address"] = "2 Điện Biên Phủ, Hải Phòng"
    data.update(overrides)
    return data


@pytest.fixture
def work() -> FakeIntakeWork:
    return work_with_demo_catalogue(THURSDAY_MORNING.date())


def submitted(
    work: FakeIntakeWork, actor: Actor = PORTAL, at: datetime = THURSDAY_MORNING, **overrides: Any
) -> Dossier:
    dossier, _ = application.submit(work, body(**overrides), actor, at)
    work.commit()
    return dossier


def history(dossier: Dossier) -> list[str]:
    return [t.status for t in dossier.trail]


def status_and_code(exc: pytest.ExceptionInfo[Any]) -> tuple[int, str]:
    status, code, _, _ = http_error(exc.value)
    return status, code


def test_a_counter_dossier_is_received_at_once_with_its_appointment(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER)
    assert dossier.status == "received" and dossier.received_at == THURSDAY_MORNING
    assert dossier.code == f"{AGENCY}-261126-0001" and dossier.received_by == "canbo.motcua"
    assert dossier.due_at == datetime(2026, 11, 27, 8, 0, tzinfo=clock.TZ)  # 1 working day
    [event] = work.published
    assert isinstance(event, DossierReceived)
    assert event.data()["channel"] == "counter" and event.data()["route"] == [{"department": "TUPHAP", "days": 1}]
    assert event.data()["contacts"] == {"phone": "0987654321", "email": "binh@example.vn", "full_name": "Trần Văn Bình"}
    assert event.correlation_id == dossier.correlation_id and event.dossier_code == dossier.code


def test_codes_count_per_agency_and_day(work: FakeIntakeWork) -> None:
    first, second = submitted(work, COUNTER), submitted(work, COUNTER)
    next_day = submitted(work, COUNTER, at=THURSDAY_MORNING + timedelta(days=1))
    assert [first.code, second.code, next_day.code] == [
        f"{AGENCY}-261126-0001",
        f"{AGENCY}-261126-0002",
        f"{AGENCY}-261127-0001",
    ]
    online = submitted(work, channel="online")  # the procedure's agency, when the portal files it
    assert online.agency_code == AGENCY and online.legal_code is None  # a reference until reception
    application.accept(work, online.code, [], "", COUNTER, THURSDAY_MORNING)
    assert online.code == f"{AGENCY}-261126-0003"


def test_an_online_dossier_waits_until_the_counter_accepts_it(work: FakeIntakeWork) -> None:
    dossier = submitted(work, channel="online")
    assert dossier.status == "submitted" and dossier.received_at is None and work.published == []

    after_cutoff = THURSDAY_MORNING.replace(hour=16)  # after the 15:00 cut-off
    application.accept(work, dossier.code, [], "", COUNTER, after_cutoff)
    [event] = work.commit()
    assert dossier.status == "received" and dossier.received_by == "canbo.motcua"
    assert dossier.received_at == after_cutoff
    assert dossier.due_at == datetime(2026, 11, 27, 17, 0, tzinfo=clock.TZ)  # from Friday morning: end of Friday
    assert history(dossier) == ["submitted", "received"]
    assert isinstance(event, DossierReceived) and event.data()["channel"] == "online"
    assert work.dossiers.locked == [dossier.reference]  # changed under a lock

    with pytest.raises(WrongStatus) as twice:
        application.accept(work, dossier.code, [], "", COUNTER, after_cutoff)
    assert status_and_code(twice) == (409, "wrong_status")
    assert twice.value.fields == {"status": ["received"]}


def test_missing_documents_list_everything_at_once_and_receive_nothing(work: FakeIntakeWork) -> None:
    dossier = submitted(
        work,
        channel="online",
        procedure="1.001776",
        documents=[{"name": "Đơn đề nghị cấp giấy phép xây dựng", "copies": 1}],
    )
    with pytest.raises(DossierIncomplete) as guided:
        application.accept(work, dossier.code, ["Bản vẽ thiết kế"], "", COUNTER, THURSDAY_MORNING)
    assert status_and_code(guided) == (422, "dossier_incomplete")
    # one-time complete guidance: the marked document and the one never handed in
    assert guided.value.fields["missing_documents"] == ["Bản sao giấy tờ về quyền sử dụng đất", "Bản vẽ thiết kế"]
    assert dossier.status == "submitted" and dossier.received_at is None and work.commit() == []


def test_guidance_before_submission_lists_every_missing_document(work: FakeIntakeWork) -> None:
    procedure, missing = application.guidance(
        work, "1.001776", [{"name": "Bản vẽ thiết kế", "copies": 2}], [], THURSDAY_MORNING.date()
    )
    assert procedure.code == "1.001776"
    assert missing == ["Đơn đề nghị cấp giấy phép xây dựng", "Bản sao giấy tờ về quyền sử dụng đất"]
    # names match whatever their case and spaces; marked extras come last
    _, missing = application.guidance(
        work,
        "1.001776",
        [{"name": " đơn đề nghị cấp GIẤY PHÉP xây dựng "}],
        ["Bản sao giấy tờ về quyền sử dụng đất", "Giấy ủy quyền"],
        THURSDAY_MORNING.date(),
    )
    assert missing == ["Bản sao giấy tờ về quyền sử dụng đất", "Bản vẽ thiết kế", "Giấy ủy quyền"]


def test_refusal_records_the_reason_and_brings_the_contacts(work: FakeIntakeWork) -> None:
    dossier = submitted(work, channel="online")
    application.refuse(work, dossier.code, "Không thuộc thẩm quyền giải quyết", COUNTER, THURSDAY_MORNING)
    [event] = work.commit()
    assert dossier.status == "refused" and dossier.closing_reason == "Không thuộc thẩm quyền giải quyết"
    assert isinstance(event, DossierRefused) and event.reason == "Không thuộc thẩm quyền giải quyết"
    # notify never saw this dossier received: the contacts and channels come with the refusal
    assert event.data()["contacts"]["phone"] == dossier.phone and event.data()["notify"] == {
        "sms": True,
        "email": False,
    }
    with pytest.raises(WrongStatus):
        application.accept(work, dossier.code, [], "", COUNTER, THURSDAY_MORNING)


def test_a_counter_acts_only_for_its_agency_and_files_only_its_channels(work: FakeIntakeWork) -> None:
    dossier = submitted(work, channel="online")
    with pytest.raises(OtherAgency) as other:
        application.accept(work, dossier.code, [], "", OTHER_COUNTER, THURSDAY_MORNING)
    assert status_and_code(other) == (403, "other_agency")
    # a submission reference names no agency: refused on the dossier's own (issue 13)
    assert work.dossiers.locked == [dossier.reference]
    counter_dossier = submitted(work, COUNTER)
    work.dossiers.locked.clear()
    with pytest.raises(OtherAgency):
        application.withdraw(work, counter_dossier.code, "Không đúng thẩm quyền", OTHER_COUNTER, THURSDAY_MORNING)
    assert work.dossiers.locked == []  # a code is refused on the code, before any lookup
    with pytest.raises(OtherAgency):  # a code that does not exist: the same answer
        application.refuse(work, f"{AGENCY}-261126-9999", "Không đúng thẩm quyền", OTHER_COUNTER, THURSDAY_MORNING)
    with pytest.raises(ChannelNotAllowed) as wrong_channel:
        submitted(work, PORTAL, channel="counter")
    assert status_and_code(wrong_channel) == (403, "forbidden") and "channel" in wrong_channel.value.fields
    with pytest.raises(ChannelNotAllowed):
        submitted(work, COUNTER, channel="online")
    with pytest.raises(DossierNotFound) as unknown:
        application.refuse(work, f"{AGENCY}-261126-9999", "Không đúng thẩm quyền", COUNTER, THURSDAY_MORNING)
    assert status_and_code(unknown) == (404, "not_found")


def test_a_return_method_the_procedure_does_not_offer_is_refused(work: FakeIntakeWork) -> None:
    with pytest.raises(ReturnMethodNotAllowed) as refused:
        submitted(work, COUNTER, procedure="1.000105", return_method="postal")
    assert status_and_code(refused) == (422, "return_method_not_allowed")
    assert refused.value.fields == {"return_method": ["Cho phép: counter"]}
    assert work.dossiers.items == {}


def test_a_postal_collection_is_registered_once_and_received_as_of_the_hand_over(work: FakeIntakeWork) -> None:
    handed = THURSDAY_MORNING.replace(hour=14, minute=30)
    submission = body(channel="postal")
    first = application.register_pickup(
        work, submission, "pk-1", handed, "EP123456789VN", handed + timedelta(minutes=10)
    )
    assert first is not None
    # the same pickup again (another event): no second dossier
    assert application.register_pickup(work, submission, "pk-1", handed, None, handed + timedelta(hours=1)) is None
    assert len(work.dossiers.items) == 1
    assert (first.status, first.channel, first.agency_code) == ("submitted", "postal", AGENCY)
    assert first.trail[0].note == "bưu chính bàn giao 14:30 26/11/2026, vận đơn EP123456789VN"
    assert first.trail[0].actor == "postal" and work.commit() == []

    application.accept(work, first.code, [], "", COUNTER, THURSDAY_MORNING.replace(hour=16))  # after the cut-off
    [event] = work.commit()
    assert first.received_at == handed  # the legal reception time is the hand-over
    assert first.due_at == datetime(2026, 11, 27, 14, 30, tzinfo=clock.TZ)
    assert event.data()["channel"] == "postal"


def follow(work: FakeIntakeWork, dossier: Dossier, event_type: str, at: datetime, **data: Any) -> None:
    application.follow(work, event_type, dossier.code, data, at)


def test_the_register_never_moves_back_for_a_late_event(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER, return_method="postal")
    t = THURSDAY_MORNING
    follow(work, dossier, "result_ready", t + timedelta(hours=3), finished_at=t, summary="xong", return_method="postal")
    follow(work, dossier, "processing_started", t + timedelta(hours=1), department="TUPHAP", step=1)  # late
    assert dossier.status == "result_ready"
    follow(work, dossier, "shipment_failed", t + timedelta(hours=4), attempt=1, reason="vắng nhà")
    follow(work, dossier, "shipment_created", t + timedelta(hours=3, minutes=30), waybill="X")  # late
    assert dossier.postal_status == "delivery_failed"

    with pytest.raises(NotReadyForCounterReturn) as not_yet:
        application.hand_back(work, dossier.code, COUNTER, t + timedelta(hours=5))
    assert status_and_code(not_yet) == (409, "not_ready_for_counter_return")
    follow(work, dossier, "shipment_returned", t + timedelta(hours=6))
    assert dossier.postal_status == "returned_to_counter"
    # back from the post: the counter hands it over
    application.hand_back(work, dossier.code, COUNTER, t + timedelta(hours=6, minutes=30))
    follow(work, dossier, "processing_started", t + timedelta(hours=7), department="TUPHAP", step=1)
    follow(work, dossier, "shipment_returned", t + timedelta(hours=8))
    assert dossier.status == "returned" and dossier.returned_at == t + timedelta(hours=6, minutes=30)
    # the result implied the department's step: kept once, the late processing_started adds nothing
    assert history(dossier) == ["received", "in_progress", "result_ready", "returned"]
    returned = [e for e in work.commit() if isinstance(e, DossierReturned)]
    assert [(e.where, e.returned_at) for e in returned] == [("counter", t + timedelta(hours=6, minutes=30))]


def test_a_delivered_result_is_returned_once_by_post(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER, return_method="postal")
    t = THURSDAY_MORNING
    follow(work, dossier, "result_ready", t + timedelta(hours=1), finished_at=t, summary="xong", return_method="postal")
    follow(work, dossier, "shipment_created", t + timedelta(hours=2), waybill="X")
    assert dossier.postal_status == "shipped"
    delivered = t + timedelta(days=1)
    follow(work, dossier, "shipment_delivered", delivered, delivered_at=delivered)
    follow(work, dossier, "shipment_delivered", delivered, delivered_at=delivered)  # twice: no second return
    assert (dossier.status, dossier.postal_status, dossier.returned_at) == ("returned", "delivered", delivered)
    returned = [e for e in work.commit() if isinstance(e, DossierReturned)]
    assert [(e.where, e.returned_at) for e in returned] == [("postal", delivered)]
    with pytest.raises(NotReadyForCounterReturn):
        application.hand_back(work, dossier.code, COUNTER, delivered)


def test_overdue_and_a_new_date_are_flags_of_the_register(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER)
    new_due = datetime(2026, 12, 3, 17, 0, tzinfo=clock.TZ)
    follow(work, dossier, "dossier_overdue", THURSDAY_MORNING + timedelta(days=2), due_at=dossier.due_at)
    follow(
        work,
        dossier,
        "deadline_extended",
        THURSDAY_MORNING + timedelta(days=2),
        reason="chờ ý kiến",
        old_due_at=dossier.due_at,
        new_due_at=new_due,
    )
    assert dossier.overdue and dossier.rescheduled and dossier.due_at == new_due
    assert dossier.status == "received"  # flags, not statuses
    follow(work, dossier, "dossier_rejected", THURSDAY_MORNING + timedelta(days=3), reason="không đủ điều kiện")
    assert dossier.status == "rejected"


def test_an_event_about_an_unknown_dossier_raises_so_that_it_is_retried_then_parked(work: FakeIntakeWork) -> None:
    with pytest.raises(DossierNotFound):
        application.follow(
            work, "processing_started", f"{AGENCY}-261126-0404", {"department": "X", "step": 1}, THURSDAY_MORNING
        )


def test_supplement_resumes_processing_and_withdrawal_closes_the_dossier(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER)
    work.published.clear()
    with pytest.raises(WrongStatus) as not_asked:
        application.supplement(work, dossier.code, [{"name": "Giấy khai sinh", "copies": 1}], COUNTER, THURSDAY_MORNING)
    assert status_and_code(not_asked) == (409, "wrong_status")
    asked_at = THURSDAY_MORNING + timedelta(hours=1)
    follow(
        work,
        dossier,
        "supplement_requested",
        asked_at,
        items=[{"name": "Giấy khai sinh", "reason": "thiếu"}],
        requested_at=THURSDAY_MORNING,
    )
    later = THURSDAY_MORNING + timedelta(days=1, hours=2)
    documents_before = dossier.documents
    application.supplement(work, dossier.code, [{"name": "Giấy khai sinh", "copies": 1}], COUNTER, later)
    [event] = work.commit()
    assert dossier.status == "in_progress" and dossier.documents[-1]["name"] == "Giấy khai sinh"
    assert dossier.documents is not documents_before  # a new list: the stored JSON is replaced
    assert isinstance(event, DossierSupplemented) and event.received_at == later
    assert dossier.trail[-1].note == "bổ sung: Giấy khai sinh"
    # processing restarts the clock and says so: the register shows the new appointment
    new_due = datetime(2026, 12, 2, 10, 0, tzinfo=clock.TZ)
    follow(
        work,
        dossier,
        "processing_started",
        later + timedelta(minutes=5),
        department="TUPHAP",
        step=1,
        dossier_due_at=new_due,
    )
    assert dossier.due_at == new_due

    application.withdraw(work, dossier.code, "Công dân xin rút hồ sơ", COUNTER, later + timedelta(hours=1))
    [withdrawn] = work.commit()
    assert dossier.status == "withdrawn" and dossier.closing_reason == "Công dân xin rút hồ sơ"
    assert isinstance(withdrawn, DossierWithdrawn) and withdrawn.reason == "Công dân xin rút hồ sơ"
    with pytest.raises(WrongStatus):
        application.withdraw(work, dossier.code, "lần nữa thôi", COUNTER, later + timedelta(hours=2))


def test_a_supplement_ahead_of_the_request_still_comes_after_it(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER)
    asked_at = THURSDAY_MORNING + timedelta(hours=3)  # the request's clock is ahead of the counter's
    follow(
        work,
        dossier,
        "supplement_requested",
        asked_at,
        items=[{"name": "Giấy", "reason": "thiếu"}],
        requested_at=asked_at,
    )
    application.supplement(
        work, dossier.code, [{"name": "Giấy", "copies": 1}], COUNTER, THURSDAY_MORNING + timedelta(hours=1)
    )
    assert dossier.status == "in_progress" and dossier.status_at == asked_at


def test_withdrawing_a_dossier_never_received_tells_processing_nothing(work: FakeIntakeWork) -> None:
    dossier = submitted(work, channel="online")
    application.withdraw(work, dossier.code, "Công dân xin rút hồ sơ", COUNTER, THURSDAY_MORNING)
    assert dossier.status == "withdrawn" and work.commit() == []


def test_a_result_cannot_be_withdrawn_nor_handed_back_twice(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER)
    follow(
        work,
        dossier,
        "result_ready",
        THURSDAY_MORNING + timedelta(hours=2),
        finished_at=THURSDAY_MORNING,
        summary="xong",
        return_method="counter",
    )
    with pytest.raises(WrongStatus):
        application.withdraw(work, dossier.code, "Công dân xin rút hồ sơ", COUNTER, THURSDAY_MORNING)
    application.hand_back(work, dossier.code, COUNTER, THURSDAY_MORNING + timedelta(hours=3))
    with pytest.raises(NotReadyForCounterReturn):
        application.hand_back(work, dossier.code, COUNTER, THURSDAY_MORNING + timedelta(hours=4))


def test_the_register_works_without_a_catalogue_only_for_known_procedures() -> None:
    work = FakeIntakeWork()
    with pytest.raises(Exception) as unknown:
        application.submit(work, copy.deepcopy(body()), COUNTER, THURSDAY_MORNING)
    assert status_and_code(unknown) == (422, "unknown_procedure")


def test_status_numbers_of_the_national_portal() -> None:
    from services.intake.domain.model import STATUSES, portal_number

    assert [
        portal_number(s)
        for s in (
            "submitted",
            "received",
            "refused",
            "in_progress",
            "supplement_requested",
            "awaiting_payment",
            "withdrawn",
            "rejected",
            "result_ready",
            "returned",
        )
    ] == list(range(1, 11))
    assert set(STATUSES) == set(DossierStatus)
