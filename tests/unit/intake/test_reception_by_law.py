"""Issue 13 at the counter, on fake repositories: online dossiers need a way to be
answered, the portal supplements and withdraws its own dossiers, the dossier code is
given at reception with that day's date, a rejection is handed back like a result,
and the online service level of Decree 42/2022 decides what may come in online."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.intake import application
from services.intake.domain.errors import (
    DossierIncomplete,
    DossierNotFound,
    InvalidCatalogue,
    NotReadyForCounterReturn,
    OnlineContactMissing,
    OnlineServiceNotOffered,
    WrongStatus,
)
from services.intake.domain.events import DossierReceived, DossierRefused, DossierReturned, DossierWithdrawn
from services.intake.domain.model import Actor, Dossier
from services.intake.schemas import catalogue_entries
from shared.errors import http_error
from shared.events import agency_of_code, envelope, is_reference
from tests.unit.intake.fakes import FakeIntakeWork, work_with_demo_catalogue
from tests.unit.intake.test_catalogue import entry, run_import
from tests.unit.intake.test_reception import AGENCY, COUNTER, PORTAL, THURSDAY_MORNING, body, follow

OTHER_PORTAL = Actor(sub="cong-khac", role="portal")
FRIDAY_MORNING = THURSDAY_MORNING + timedelta(days=1)
REFERENCE = re.compile(r"TN-\d{6}-[A-HJ-NP-Z]{8}\Z")


@pytest.fixture
def work() -> FakeIntakeWork:
    return work_with_demo_catalogue(THURSDAY_MORNING.date())


def submit(work: FakeIntakeWork, actor: Actor = PORTAL, at: datetime = THURSDAY_MORNING, **overrides: Any) -> Dossier:
    dossier, _ = application.submit(work, body(**overrides), actor, at)
    work.commit()
    return dossier


def answer(exc: pytest.ExceptionInfo[Any]) -> tuple[int, str]:
    status, code, _, _ = http_error(exc.value)
    return status, code


# --- item 2: online dossiers always tell the applicant [Decree 61/2018/NĐ-CP Art. 17] ----


@pytest.mark.parametrize(
    "applicant,notify",
    [
        ({"phone": None, "email": None}, {"sms": False, "email": False}),  # no contact at all
        ({"phone": "0987654321", "email": None}, {"sms": False, "email": False}),  # a phone, no channel chosen
        ({"phone": None, "email": "binh@example.vn"}, {"sms": True, "email": False}),  # sms without a phone
    ],
    ids=["no-contact", "no-channel", "channel-without-its-contact"],
)
def test_art17_an_online_submission_without_a_contact_and_its_channel_is_400(
    work: FakeIntakeWork, applicant: dict[str, Any], notify: dict[str, bool]
) -> None:
    data = body(channel="online", notify=notify)
    data["applicant"] = {**data["applicant"], **applicant}
    with pytest.raises(OnlineContactMissing) as refused:
        application.submit(work, data, PORTAL, THURSDAY_MORNING)
    assert answer(refused) == (400, "invalid_input") and "notify" in refused.value.fields
    assert work.dossiers.items == {}


def test_art17_an_online_submission_with_one_contact_and_its_channel_is_taken(work: FakeIntakeWork) -> None:
    by_email = body(channel="online", notify={"sms": False, "email": True})
    by_email["applicant"] = {**by_email["applicant"], "phone": None}
    dossier, _ = application.submit(work, by_email, PORTAL, THURSDAY_MORNING)
    assert dossier.status == "submitted"
    # a counter dossier is answered at the counter: no contact needed
    silent = body(notify={"sms": False, "email": False})
    silent["applicant"] = {**silent["applicant"], "phone": None, "email": None}
    assert application.submit(work, silent, COUNTER, THURSDAY_MORNING)[0].status == "received"


# --- item 4: the code carries the date of reception [Circular 01/2018/TT-VPCP Art. 19] ----


def test_art19_an_online_submission_has_a_reference_and_no_code_until_accepted(work: FakeIntakeWork) -> None:
    dossier = submit(work, channel="online")
    assert REFERENCE.match(dossier.reference or ""), dossier.reference
    assert is_reference(dossier.reference) and dossier.legal_code is None and dossier.code == dossier.reference
    assert agency_of_code(dossier.reference or "") is None  # never read as a dossier code
    assert work.dossiers.get(dossier.reference or "") is dossier  # found by the reference


def test_art19_a_dossier_submitted_one_day_and_accepted_the_next_carries_the_acceptance_date(
    work: FakeIntakeWork,
) -> None:
    """Submitted Thursday online, accepted Friday: the code is Friday's, and the
    reception event names the code and the reference."""
    dossier = submit(work, channel="online", at=THURSDAY_MORNING.replace(hour=20))
    reference = dossier.reference
    application.accept(work, reference or "", [], "", COUNTER, FRIDAY_MORNING)
    [event] = work.commit()
    assert dossier.code == dossier.legal_code == f"{AGENCY}-261127-0001"
    assert dossier.reference == reference and dossier.received_at == FRIDAY_MORNING
    assert isinstance(event, DossierReceived) and event.dossier_code == dossier.code
    assert event.data()["reference"] == reference and event.data()["channel"] == "online"
    envelope("dossier_received", event.dossier_code, event.data(), source="intake")  # the contract takes it
    assert [t.dossier_code for t in dossier.trail][-1] == dossier.code
    # every dossier URL takes either: the lookup finds it by both
    assert work.dossiers.get(reference or "") is dossier and work.dossiers.get(dossier.code) is dossier


def test_art19_a_refused_submission_never_uses_a_code_so_the_day_has_no_gap(work: FakeIntakeWork) -> None:
    refused, accepted = submit(work, channel="online"), submit(work, channel="postal", actor=COUNTER)
    application.refuse(work, refused.code, "Không thuộc thẩm quyền giải quyết", COUNTER, FRIDAY_MORNING)
    [refusal] = work.commit()
    # before reception the reference names the dossier in the events too
    assert isinstance(refusal, DossierRefused) and refusal.dossier_code == refused.reference
    envelope("dossier_refused", refusal.dossier_code, refusal.data(), source="intake")
    with pytest.raises(DossierIncomplete):  # guidance (Form 02) receives nothing and uses no number
        application.accept(work, accepted.code, ["Tờ khai cấp bản sao trích lục hộ tịch"], "", COUNTER, FRIDAY_MORNING)
    application.accept(work, accepted.code, [], "", COUNTER, FRIDAY_MORNING)
    counter = submit(work, COUNTER, at=FRIDAY_MORNING + timedelta(hours=1))
    assert [accepted.code, counter.code] == [f"{AGENCY}-261127-0001", f"{AGENCY}-261127-0002"]
    assert refused.legal_code is None and refused.status == "refused"


def test_art19_a_counter_dossier_gets_its_code_at_once(work: FakeIntakeWork) -> None:
    dossier = submit(work, COUNTER)
    assert dossier.reference is None and dossier.legal_code == dossier.code == f"{AGENCY}-261126-0001"


# --- item 3: the portal supplements and withdraws online [Decree 61/2018/NĐ-CP Art. 17] ----


def test_art17_the_portal_supplements_and_withdraws_its_own_dossiers_and_nobody_elses(work: FakeIntakeWork) -> None:
    mine = submit(work, channel="online")
    assert mine.submitted_by == PORTAL.sub
    application.accept(work, mine.code, [], "", COUNTER, THURSDAY_MORNING)
    follow(
        work,
        mine,
        "supplement_requested",
        THURSDAY_MORNING + timedelta(hours=1),
        items=[{"name": "Giấy khai sinh", "reason": "thiếu"}],
        requested_at=THURSDAY_MORNING,
    )
    papers = [{"name": "Giấy khai sinh", "copies": 1}]
    later = THURSDAY_MORNING + timedelta(hours=2)
    for code in (mine.code, mine.reference or ""):  # by code or reference: the same 404
        with pytest.raises(DossierNotFound) as other:
            application.supplement(work, code, papers, OTHER_PORTAL, later)
        assert answer(other) == (404, "not_found")
    application.supplement(work, mine.reference or "", papers, PORTAL, later)
    assert mine.status == "in_progress" and mine.trail[-1].actor == PORTAL.sub

    with pytest.raises(DossierNotFound):
        application.withdraw(work, mine.code, "Tôi xin rút hồ sơ", OTHER_PORTAL, later)
    work.commit()
    application.withdraw(work, mine.code, "Tôi xin rút hồ sơ", PORTAL, later + timedelta(hours=1))
    [withdrawn] = work.commit()
    assert mine.status == "withdrawn" and isinstance(withdrawn, DossierWithdrawn)

    # a counter dossier, even one this portal could name, is nobody's online dossier
    counters = submit(work, COUNTER)
    with pytest.raises(DossierNotFound):
        application.withdraw(work, counters.code, "Tôi xin rút hồ sơ", PORTAL, later)
    assert counters.status == "received"


def test_art17_the_portal_withdraws_its_submission_before_reception(work: FakeIntakeWork) -> None:
    mine = submit(work, channel="online")
    application.withdraw(work, mine.reference or "", "Nộp nhầm thủ tục", PORTAL, THURSDAY_MORNING)
    assert mine.status == "withdrawn" and work.commit() == []  # processing never knew it


# --- item 5: a rejection is returned like a result [Decree 61/2018/NĐ-CP Art. 19-20] ----


def rejected(work: FakeIntakeWork, return_method: str) -> Dossier:
    dossier = submit(work, COUNTER, return_method=return_method)
    follow(work, dossier, "dossier_rejected", THURSDAY_MORNING + timedelta(hours=2), reason="Không đủ điều kiện")
    work.commit()
    return dossier


def test_art19_20_a_rejected_dossier_is_handed_back_at_the_counter_and_ends_returned(work: FakeIntakeWork) -> None:
    dossier = rejected(work, "counter")
    assert dossier.status == "rejected"
    with pytest.raises(WrongStatus):
        application.withdraw(work, dossier.code, "Công dân xin rút hồ sơ", COUNTER, THURSDAY_MORNING)
    at = THURSDAY_MORNING + timedelta(hours=3)
    application.hand_back(work, dossier.code, COUNTER, at)
    [event] = work.commit()
    assert (dossier.status, dossier.outcome, dossier.returned_at) == ("returned", "rejected", at)
    assert isinstance(event, DossierReturned) and event.data()["outcome"] == "rejected" and event.where == "counter"
    envelope("dossier_returned", event.dossier_code, event.data(), source="intake")
    assert dossier.trail[-1].note == "trả thông báo từ chối và hồ sơ gốc tại quầy"
    with pytest.raises(NotReadyForCounterReturn):
        application.hand_back(work, dossier.code, COUNTER, at)


def test_art19_20_a_rejection_delivered_by_post_ends_returned(work: FakeIntakeWork) -> None:
    dossier = rejected(work, "postal")
    with pytest.raises(NotReadyForCounterReturn) as not_here:
        application.hand_back(work, dossier.code, COUNTER, THURSDAY_MORNING + timedelta(hours=3))
    assert answer(not_here) == (409, "not_ready_for_counter_return")
    follow(work, dossier, "shipment_created", THURSDAY_MORNING + timedelta(hours=4), waybill="X", purpose="rejection")
    delivered = FRIDAY_MORNING
    follow(work, dossier, "shipment_delivered", delivered, delivered_at=delivered, purpose="rejection")
    [event] = work.commit()
    assert (dossier.status, dossier.outcome, dossier.postal_status) == ("returned", "rejected", "delivered")
    assert (event.where, event.outcome, event.returned_at) == ("postal", "rejected", delivered)


def test_art19_20_a_rejection_back_from_a_failed_delivery_is_handed_over_at_the_counter(work: FakeIntakeWork) -> None:
    dossier = rejected(work, "postal")
    follow(work, dossier, "shipment_returned", FRIDAY_MORNING, purpose="rejection")
    application.hand_back(work, dossier.code, COUNTER, FRIDAY_MORNING + timedelta(hours=1))
    assert (dossier.status, dossier.outcome) == ("returned", "rejected")


def test_a_delivery_ahead_of_its_rejection_event_still_ends_returned_rejected(work: FakeIntakeWork) -> None:
    """intake follows each event type on its own queue: the delivery may come first."""
    dossier = submit(work, COUNTER, return_method="postal")
    delivered = FRIDAY_MORNING
    follow(work, dossier, "shipment_delivered", delivered, delivered_at=delivered, purpose="rejection")
    follow(work, dossier, "dossier_rejected", THURSDAY_MORNING + timedelta(hours=2), reason="Không đủ điều kiện")
    assert (dossier.status, dossier.outcome) == ("returned", "rejected")


def test_a_result_handed_back_keeps_its_outcome(work: FakeIntakeWork) -> None:
    dossier = submit(work, COUNTER)
    follow(
        work,
        dossier,
        "result_ready",
        THURSDAY_MORNING + timedelta(hours=1),
        finished_at=THURSDAY_MORNING,
        summary="xong",
        return_method="counter",
    )
    application.hand_back(work, dossier.code, COUNTER, THURSDAY_MORNING + timedelta(hours=2))
    [event] = [e for e in work.commit() if isinstance(e, DossierReturned)]
    assert dossier.outcome == "result" and event.outcome == "result"


# --- item 7: online service levels [Decree 42/2022/NĐ-CP] --------------------------------


def test_decree42_old_levels_are_read_as_online_service_levels() -> None:
    entries = catalogue_entries(
        {
            "procedures": [
                entry("9.000001", level=4),
                entry("9.000002", level=3),
                entry("9.000003", level=2),
                entry("9.000004", level=1),
                {**{k: v for k, v in entry("9.000005").items() if k != "level"}, "online_service": "partial"},
            ]
        }
    )
    assert [(e["level"], e["online_service"]) for e in entries] == [
        (4, "full"),
        (3, "partial"),
        (2, "none"),
        (1, "none"),
        (3, "partial"),
    ]


def test_decree42_a_catalogue_entry_needs_a_service_level_that_agrees_with_its_level() -> None:
    with pytest.raises(InvalidCatalogue) as refused:
        catalogue_entries(
            {
                "procedures": [
                    entry("9.000001", level=4, online_service="partial"),
                    {k: v for k, v in entry("9.000002").items() if k != "level"},
                ]
            }
        )
    assert set(refused.value.fields["procedures"]) == {"0", "1"}


def test_decree42_only_full_and_partial_procedures_take_online_dossiers() -> None:
    work = FakeIntakeWork()
    run_import(
        work,
        {**{k: v for k, v in entry("9.000001").items() if k != "level"}, "online_service": "none"},
        entry("9.000002", level=3),
        entry("9.000003", level=4),
    )
    with pytest.raises(OnlineServiceNotOffered) as refused:
        application.submit(work, body(procedure="9.000001", channel="online"), PORTAL, THURSDAY_MORNING)
    assert answer(refused) == (422, "online_service_not_offered") and "channel" in refused.value.fields
    assert work.dossiers.items == {}
    # at the counter or by post it is taken
    assert application.submit(work, body(procedure="9.000001"), COUNTER, THURSDAY_MORNING)[0].status == "received"
    for code in ("9.000002", "9.000003"):
        assert (
            application.submit(work, body(procedure=code, channel="online"), PORTAL, THURSDAY_MORNING)[1].code == code
        )
    versions = {v.code: v for v in work.procedures.versions}
    # the electronic return is for fully online procedures only (no such return method yet)
    assert [versions[c].returns_electronically() for c in ("9.000001", "9.000002", "9.000003")] == [
        False,
        False,
        True,
    ]
