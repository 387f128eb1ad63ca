"""The national portal's view of a dossier: every change of its status announced once,
numbered in the order intake made it (dossier_status_changed), and a portal dossier
that arrives twice kept once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.intake import application
from tests.unit.intake.fakes import FakeIntakeWork, work_with_demo_catalogue
from tests.unit.intake.test_reception import COUNTER, PORTAL, THURSDAY_MORNING, body, submitted

LATER = THURSDAY_MORNING + timedelta(hours=1)


@pytest.fixture
def work() -> FakeIntakeWork:
    return work_with_demo_catalogue(THURSDAY_MORNING.date())


def changes(work: FakeIntakeWork) -> list[tuple[int, int, str]]:
    return [(e.seq, e.number, e.status) for e in work.status_changes]  # type: ignore[attr-defined]


def test_a_counter_dossier_is_announced_received_in_progress_resolved_returned(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER)
    for event_type, at in (("processing_started", 1), ("result_ready", 2)):
        application.follow(work, event_type, dossier.code, {"department": "TUPHAP"}, LATER + timedelta(minutes=at))
        work.commit()
    application.hand_back(work, dossier.code, COUNTER, LATER + timedelta(hours=1))
    work.commit()
    assert changes(work) == [(1, 2, "received"), (2, 4, "in_progress"), (3, 9, "result_ready"), (4, 10, "returned")]
    assert {e.dossier_code for e in work.status_changes} == {dossier.code}


def test_an_online_dossier_is_new_then_received_under_one_reference(work: FakeIntakeWork) -> None:
    dossier = submitted(work, channel="online")
    reference = dossier.reference
    application.accept(work, dossier.code, [], "", COUNTER, LATER)
    work.commit()
    assert changes(work) == [(1, 1, "submitted"), (2, 2, "received")]
    first, second = work.status_changes
    assert first.reference == second.reference == reference  # what names it for the portal throughout
    assert first.dossier_code == reference and second.dossier_code == dossier.code != reference


def test_a_refusal_is_3_and_a_note_is_no_change(work: FakeIntakeWork) -> None:
    dossier = submitted(work, channel="online")
    application.keep_guidance(work, dossier.code, ["Tờ khai cấp bản sao trích lục hộ tịch"], "", COUNTER, LATER)
    work.commit()
    application.refuse(work, dossier.code, "Không thuộc thẩm quyền", COUNTER, LATER)
    work.commit()
    assert changes(work) == [(1, 1, "submitted"), (2, 3, "refused")]


def test_a_decision_before_processing_started_still_announces_in_progress_first(work: FakeIntakeWork) -> None:
    """processing_started and result_ready come through two queues: the result may be
    followed first. The portal still hears 4 before 9, once; the late event adds nothing."""
    dossier = submitted(work, COUNTER)
    application.follow(work, "result_ready", dossier.code, {"department": "TUPHAP"}, LATER)
    work.commit()
    application.follow(work, "processing_started", dossier.code, {"department": "TUPHAP"}, THURSDAY_MORNING)
    application.follow(work, "result_ready", dossier.code, {"department": "TUPHAP"}, LATER)
    work.commit()
    assert [number for _, number, _ in changes(work)] == [2, 4, 9]


def test_the_same_portal_dossier_twice_is_one_dossier(work: FakeIntakeWork) -> None:
    data = body(channel="online", portal_reference="DVCQG-261126-000001")
    first, _, new = application.submit_from_portal(work, data, PORTAL, THURSDAY_MORNING)
    work.commit()
    again, _, new_again = application.submit_from_portal(work, data, PORTAL, LATER)
    assert new and not new_again and again is first
    assert first.status == "submitted" and first.channel == "online"
    assert len(work.dossiers.items) == 1
    assert work.status_changes[0].portal_reference == "DVCQG-261126-000001"
