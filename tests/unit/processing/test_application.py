"""processing's rules through its use cases, on fake repositories: no server, no
network. Each test drives application.py as the entrypoints do and checks the
case, its tasks and hand-offs, and the events the unit of work would publish."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.processing import application
from services.processing.domain import events
from services.processing.domain.model import Actor, Case, Role, Task
from shared.errors import http_error
from tests.unit.processing.fakes import MORNING, TZ, FakeProcessingWork, received_data

_codes = itertools.count(1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def dec(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def officer(department: str, sub: str | None = None) -> Actor:
    return Actor(role=Role.OFFICER, sub=sub or f"cv.{department.lower()}", department=department)


ADMIN = Actor(role=Role.ADMIN, sub="quantri")


@pytest.fixture
def work() -> FakeProcessingWork:
    return FakeProcessingWork()


def plan(work: FakeProcessingWork, now: datetime = MORNING, **data: Any) -> Task:
    code = f"000.00.06.H56-261126-{next(_codes):04d}"
    task = application.plan(work, code, received_data(**data), "corr-1", now)
    work.commit()
    assert task is not None
    return task


def claim(
    work: FakeProcessingWork, department: str, now: datetime = MORNING, sub: str | None = None, idle: float = 1800
) -> Task | None:
    task = application.claim(work, department, officer(department, sub), now, idle)
    work.commit()
    return task


def decide(
    work: FakeProcessingWork, task: Task, now: datetime = MORNING, actor: Actor | None = None, **decision: Any
) -> Task:
    decided, _ = application.decide(work, task.id, decision, actor or officer(task.department), now)
    work.commit()
    return decided


def refused(status: int, code: str, call: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(Exception) as err:
        call(*args, **kwargs)
    assert http_error(err.value)[:2] == (status, code), err.value


def case(work: FakeProcessingWork, code: str) -> Case:
    return work.cases.items[code]


def published(work: FakeProcessingWork, code: str) -> list[events.DomainEvent]:
    return [e for e in work.published if e.dossier_code == code]


def kinds(work: FakeProcessingWork, code: str) -> list[str]:
    return [e.event_type for e in published(work, code)]


# --- the plan and the route ----------------------------------------------------------------


def test_each_step_of_the_route_enters_its_queue_in_turn_until_the_result_is_ready(work):
    first = plan(work)
    code = first.dossier_code
    assert (first.department, first.step, first.due_at, first.available_at) == ("QLDT", 1, at(30, 8), MORNING)
    assert application.plan(work, code, received_data(), "corr-1", MORNING) is None  # announced twice

    for minutes, (department, due) in enumerate(
        (("QLDT", at(30, 8)), ("TUPHAP", dec(1, 8)), ("LANHDAO", dec(2, 8))), start=1
    ):
        task = claim(work, department, MORNING + timedelta(minutes=minutes))
        assert task is not None and task.dossier_code == code and task.due_at == due
        decide(work, task, MORNING + timedelta(minutes=minutes), action="approve", note="đạt")

    assert case(work, code).status == "finished"
    assert kinds(work, code) == ["processing_started"] * 3 + ["result_ready"]
    started = published(work, code)[1]
    assert started.data() == {"department": "TUPHAP", "step": 2, "due_at": dec(1, 8)}
    ready = published(work, code)[-1]
    assert ready.data() == {
        "finished_at": MORNING + timedelta(minutes=3),
        "summary": "đạt",
        "return_method": "counter",
        "postal_address": None,
    }
    assert [(h.from_party, h.to_party) for h in work.slip(code)] == [
        ("MOTCUA", "QLDT"),
        ("QLDT", "TUPHAP"),
        ("TUPHAP", "LANHDAO"),
        ("LANHDAO", "MOTCUA"),
    ]
    assert work.slip(code)[-1].note == "trả kết quả"


def test_without_a_note_the_result_summary_says_it_is_done(work):
    task = plan(work, route=[{"department": "ONE", "days": 1}])
    decide(work, claim(work, "ONE"), action="approve")
    assert published(work, task.dossier_code)[-1].data()["summary"] == "Đã giải quyết xong"


def test_after_the_cutoff_the_first_step_waits_for_the_next_working_morning(work):
    task = plan(work, at(27, 15, 30), received_at=at(27, 15, 30), due_at=dec(4, 17))
    assert task.available_at == at(30, 7)
    assert claim(work, "QLDT", at(27, 16)) is None
    assert claim(work, "QLDT", at(30, 7, 1)) is task


def test_an_online_dossier_received_at_16h_is_in_the_queue_at_once(work):
    """Decree 61/2018 Art. 18 (as issue 13 cites it): the 15:00 cut-off is for paper
    dossiers; an online dossier accepted at 16:00 goes to the department at once."""
    online = plan(work, at(26, 16), channel="online", received_at=at(26, 16), due_at=dec(3, 16))
    assert (online.available_at, case(work, online.dossier_code).plan_start) == (at(26, 16), at(26, 16))
    assert online.due_at == at(30, 16)  # step 1's two working days count from 16:00 too
    postal = plan(work, at(26, 16), channel="postal", received_at=at(26, 16), due_at=dec(3, 16))
    assert postal.available_at == at(27, 7)  # paper: the next working morning
    assert claim(work, "QLDT", at(26, 16, 1)) is online
    assert claim(work, "QLDT", at(26, 16, 2)) is None


def test_an_online_supplement_after_16h_goes_back_to_the_department_at_once(work):
    """Decree 61/2018 Art. 18 (as issue 13 cites it): what arrives online is not held
    for the next morning, a completed supplement included; a paper one is."""
    online = plan(work, channel="online").dossier_code
    paper = plan(work, channel="counter").dossier_code
    for code in (online, paper):
        task = next(t for t in work.tasks.open_of(code))
        task.take("cv.qldt", MORNING)
        decide(work, task, at(26, 10), action="request_supplement", items=ITEMS)
    back = application.resume(work, online, at(30, 16), at(30, 16))
    assert back is not None and back.available_at == at(30, 16)
    assert case(work, online).due_at == dec(4, 16)
    later = application.resume(work, paper, at(30, 16), at(30, 16))
    assert later is not None and later.available_at == dec(1, 7)


def test_a_step_is_never_due_after_the_dossier(work):
    task = plan(work, route=[{"department": "QLDT", "days": 5}], due_at=at(27, 17))
    assert task.due_at == at(27, 17)


# --- claims --------------------------------------------------------------------------------


def test_an_officer_claims_only_in_their_own_department(work):
    plan(work)
    refused(403, "other_department", application.claim, work, "QLDT", officer("TUPHAP"), MORNING, 1800)


def test_an_idle_claim_returns_to_the_queue(work):
    plan(work, route=[{"department": "IDLE", "days": 1}])
    first = claim(work, "IDLE", sub="cv.a", idle=600)
    assert first is not None and claim(work, "IDLE", sub="cv.b", idle=600) is None
    later = MORNING + timedelta(seconds=601)
    second = claim(work, "IDLE", later, sub="cv.b", idle=600)
    assert second is first and second.claimed_by == "cv.b"
    assert second.received_at == MORNING  # first taken then: the control slip keeps it
    refused(409, "task_not_held", decide, work, first, later, officer("IDLE", "cv.a"), action="approve")
    decide(work, first, later, officer("IDLE", "cv.b"), action="approve")


# --- decisions ------------------------------------------------------------------------------


def test_transfer_continues_the_step_in_another_agency_with_the_same_deadline(work):
    code = plan(work).dossier_code
    task = claim(work, "QLDT")
    decide(work, task, action="transfer", to_department="XAYDUNG", reason="cần thẩm định kết cấu")
    moved = claim(work, "XAYDUNG")
    assert moved is not None and (moved.step, moved.due_at) == (1, task.due_at)
    assert (task.status, task.decision, task.note) == ("done", "transfer", "cần thẩm định kết cấu")
    decide(work, moved, action="approve")
    step_two = claim(work, "TUPHAP")
    assert step_two is not None and step_two.step == 2
    transferred = [e.data() for e in published(work, code) if e.event_type == "dossier_transferred"]
    assert transferred == [{"from_department": "QLDT", "to_department": "XAYDUNG", "reason": "cần thẩm định kết cấu"}]
    slip = work.slip(code)
    assert [(h.from_party, h.to_party) for h in slip] == [
        ("MOTCUA", "QLDT"),
        ("QLDT", "XAYDUNG"),
        ("XAYDUNG", "TUPHAP"),
    ]
    assert slip[1].note == "chuyển liên thông: cần thẩm định kết cấu"


def test_transfer_to_the_same_department_is_refused(work):
    plan(work)
    task = claim(work, "QLDT")
    refused(422, "same_department", decide, work, task, action="transfer", to_department="QLDT", reason="x")
    assert task.status == "claimed"


def test_rejection_ends_the_dossier_with_its_reason_and_goes_back_like_a_result(work):
    """Decree 61/2018 Art. 19-20 (as issue 13 cites them): the refusal notice goes back
    to the applicant through the return step, by the dossier's return method."""
    code = plan(work).dossier_code
    task = claim(work, "QLDT")
    decide(work, task, at(26, 9), action="reject", reason="Không phù hợp quy hoạch")
    assert (case(work, code).status, case(work, code).finished_at) == ("rejected", at(26, 9))
    assert published(work, code)[-1].data() == {
        "reason": "Không phù hợp quy hoạch",
        "return_method": "counter",
        "postal_address": None,
        "late": False,
    }
    assert kinds(work, code)[-1] == "dossier_rejected"
    assert work.slip(code)[-1].note == "từ chối: Không phù hợp quy hoạch"
    assert (task.status, task.decision, task.note) == ("done", "reject", "Không phù hợp quy hoạch")

    by_post = plan(work, return_method="postal", postal_address="12 Lạch Tray, Ngô Quyền, Hải Phòng").dossier_code
    decide(work, claim(work, "QLDT"), at(26, 9), action="reject", reason="Không đủ điều kiện")
    rejected = published(work, by_post)[-1].data()
    assert (rejected["return_method"], rejected["postal_address"]) == ("postal", "12 Lạch Tray, Ngô Quyền, Hải Phòng")


def test_a_late_rejection_is_made_but_counted_late(work):
    """Decree 61/2018 Art. 19-20 (as issue 13 cites them): the rejection is due within
    the processing deadline; after it, it is still made (never refused), the control
    slip counts it late against the dossier's deadline and the event says `late`."""
    on_time = plan(work, route=[{"department": "REJ", "days": 4}]).dossier_code
    late = plan(work, route=[{"department": "REJ", "days": 4}]).dossier_code
    first, second = claim(work, "REJ"), claim(work, "REJ")
    assert first is not None and second is not None
    by_code = {t.dossier_code: t for t in (first, second)}
    decide(work, by_code[on_time], dec(2, 16), action="reject", reason="Hồ sơ giả mạo")  # on the due date
    decide(work, by_code[late], dec(3, 9), action="reject", reason="Hồ sơ giả mạo")  # the day after it
    assert published(work, on_time)[-1].data()["late"] is False
    assert published(work, late)[-1].data()["late"] is True
    assert case(work, late).status == "rejected"
    last = work.slip(late)[-1]
    assert (last.to_party, last.sender_due_at, last.note) == (
        "MOTCUA",
        dec(2, 8),
        "từ chối (quá hạn giải quyết): Hồ sơ giả mạo",
    )


def test_stale_and_repeated_decisions_get_409_and_change_nothing(work):
    code = plan(work).dossier_code
    task = claim(work, "QLDT")
    decide(work, task, action="approve")
    before = list(work.published)
    refused(409, "task_not_held", decide, work, task, action="approve")
    refused(409, "task_not_held", decide, work, task, action="reject", reason="muộn")
    # a colleague's item cannot be decided by someone who does not hold it
    second = claim(work, "TUPHAP")
    refused(409, "task_not_held", decide, work, second, actor=officer("TUPHAP", "someone.else"), action="approve")
    # another department's officer may not touch it
    refused(403, "other_department", decide, work, second, actor=officer("QLDT"), action="approve")
    refused(404, "not_found", application.decide, work, "no-such-task", {"action": "approve"}, officer("QLDT"), MORNING)
    assert work.publish_recorded() == [] and work.published == before
    assert [t.status for t in work.tasks.of(code)] == ["done", "claimed"]


def test_a_task_of_a_step_the_dossier_left_is_a_stale_decision(work):
    code = plan(work).dossier_code
    task = claim(work, "QLDT")
    case(work, code).current_step = 2  # moved on meanwhile
    refused(409, "stale_decision", decide, work, task, action="approve")


# --- supplements ------------------------------------------------------------------------------

ITEMS = [{"name": "Bản vẽ mặt bằng", "reason": "thiếu chữ ký"}]


def test_supplement_restart_counts_the_deadline_from_zero(work):
    code = plan(work, supplement_clock="restart").dossier_code
    decide(work, claim(work, "QLDT"), at(26, 10), action="request_supplement", items=ITEMS)
    assert case(work, code).status == "supplement_requested"
    assert [t.status for t in work.tasks.of(code)] == ["done"]  # nothing waits meanwhile
    requested = published(work, code)[-1]
    assert requested.data() == {
        "items": ITEMS,
        "requested_at": at(26, 10),
        "reason": "thiếu chữ ký",
        "department": "QLDT",
    }
    assert work.slip(code)[-1].note == "yêu cầu bổ sung: thiếu chữ ký"

    back = application.resume(work, code, at(30, 10), at(30, 10))
    work.commit()
    assert back is not None and (back.department, back.step, back.due_at) == ("QLDT", 1, dec(2, 10))
    assert case(work, code).due_at == dec(4, 10)  # 4 working days again from Monday 10:00
    started = published(work, code)[-1]
    assert started.data() == {"department": "QLDT", "step": 1, "due_at": dec(2, 10), "dossier_due_at": dec(4, 10)}
    assert work.slip(code)[-1].note == "hồ sơ đã bổ sung đầy đủ"

    # the same event again, or a late one, resumes nothing more
    assert application.resume(work, code, at(30, 11), at(30, 11)) is None
    assert application.resume(work, "unknown", at(30, 11), at(30, 11)) is None
    work.commit()
    assert len(work.tasks.of(code)) == 2


def test_supplement_pause_shifts_the_deadline_by_the_time_waited(work):
    code = plan(work, supplement_clock="pause").dossier_code
    decide(work, claim(work, "QLDT"), at(26, 9), action="request_supplement", items=ITEMS, reason="thiếu bản vẽ")
    assert published(work, code)[-1].data()["reason"] == "thiếu bản vẽ"
    back = application.resume(work, code, at(27, 9), at(27, 9))
    assert case(work, code).due_at == dec(3, 8)  # one working day later than 2 Dec 08:00
    assert back is not None and back.due_at == dec(1, 8)  # step 1 (due 30 Nov 08:00) moves by the same day


def test_a_supplement_request_after_three_working_days_is_refused_unless_allowed(work):
    route = [{"department": "LATE", "days": 4}]
    late = plan(work, route=route)
    allowed = plan(work, route=route, supplement_late_allowed=True)
    now = dec(1, 9)  # reception + 3 working days was 1 Dec 08:00
    assert {claim(work, "LATE", now), claim(work, "LATE", now)} == {late, allowed}
    refused(422, "supplement_too_late", decide, work, late, now, action="request_supplement", items=ITEMS)
    assert case(work, late.dossier_code).status == "in_progress" and late.status == "claimed"
    decide(work, allowed, now, action="request_supplement", items=ITEMS)
    assert case(work, allowed.dossier_code).status == "supplement_requested"


def test_a_supplement_request_on_the_last_day_of_the_window_is_accepted(work):
    task = plan(work, route=[{"department": "EDGE", "days": 4}])
    decide(work, claim(work, "EDGE", dec(1, 8)), dec(1, 8), action="request_supplement", items=ITEMS)
    assert case(work, task.dossier_code).status == "supplement_requested"


# --- withdrawal -------------------------------------------------------------------------------------


def test_withdrawal_cancels_open_work_and_later_decisions_are_stale(work):
    code = plan(work).dossier_code
    task = claim(work, "QLDT")
    application.withdraw(work, code, at(26, 9))
    work.commit()
    assert (case(work, code).status, case(work, code).finished_at) == ("withdrawn", at(26, 9))
    assert (task.status, task.note) == ("cancelled", "công dân rút hồ sơ")
    refused(409, "task_not_held", decide, work, task, action="approve")
    application.withdraw(work, code, at(27, 9))  # again: nothing more
    application.withdraw(work, "unknown", at(27, 9))
    assert case(work, code).finished_at == at(26, 9)


def test_a_finished_dossier_cannot_be_withdrawn(work):
    task = plan(work, route=[{"department": "ONE", "days": 1}])
    decide(work, claim(work, "ONE"), action="approve")
    application.withdraw(work, task.dossier_code, at(27, 9))
    assert case(work, task.dossier_code).status == "finished"


# --- the apology (Form 04) and the overdue sweep -----------------------------------------------------


def extend(work: FakeProcessingWork, code: str, new_due: datetime, actor: Actor, now: datetime = MORNING) -> Case:
    extended = application.extend(work, code, new_due, "Chờ ý kiến Sở Xây dựng", actor, now)
    work.commit()
    return extended


def test_extension_once_and_at_least_one_working_day_before_the_deadline(work):
    """Decree 61/2018 Art. 19 (as issue 13 cites it): the apology (Form 04) with a new
    date, once, asked no later than one working day before the due date."""
    code = plan(work).dossier_code
    refused(403, "other_department", extend, work, code, dec(4, 17), officer("TUPHAP"))
    refused(422, "not_later", extend, work, code, dec(1, 8), officer("QLDT"))
    refused(422, "not_later", extend, work, code, dec(2, 8), officer("QLDT"))
    refused(400, "invalid_input", extend, work, code, dec(2, 8) + timedelta(days=367), officer("QLDT"))
    extended = extend(work, code, dec(4, 17), officer("QLDT"))
    assert (extended.due_at, extended.old_due_at, extended.extended_by) == (dec(4, 17), dec(2, 8), "cv.qldt")
    assert work.tasks.of(code)[0].due_at == at(30, 8)  # step 1 was due before the old deadline: unchanged
    refused(409, "already_extended", extend, work, code, dec(7, 17), officer("QLDT"))
    [extension] = [e for e in published(work, code) if e.event_type == "deadline_extended"]
    assert extension.data() == {"reason": "Chờ ý kiến Sở Xây dựng", "old_due_at": dec(2, 8), "new_due_at": dec(4, 17)}

    refused(404, "not_found", extend, work, "unknown", dec(4, 17), ADMIN)


def test_an_extension_asked_less_than_one_working_day_before_the_deadline_is_too_late(work):
    """Decree 61/2018 Art. 19 (as issue 13 cites it): due Wed 2 Dec 08:00, the last
    moment to ask is Tue 1 Dec 08:00; a minute later, or after the deadline, is 422."""
    late = plan(work).dossier_code
    for when in (dec(1, 8, 1), dec(1, 16), dec(2, 8), dec(2, 9)):
        refused(422, "extension_too_late", extend, work, late, dec(4, 17), ADMIN, when)
    assert case(work, late).extended_at is None and "deadline_extended" not in kinds(work, late)
    with pytest.raises(Exception) as err:
        extend(work, late, dec(4, 17), ADMIN, dec(1, 9))
    assert "08 giờ 00 phút, ngày 01/12/2026" in str(err.value)  # says when the limit was
    in_time = extend(work, late, dec(4, 17), ADMIN, dec(1, 8))  # exactly at the limit
    assert (in_time.due_at, in_time.extended_at) == (dec(4, 17), dec(1, 8))


def test_the_extension_moves_the_step_that_ran_to_the_old_deadline(work):
    task = plan(work, route=[{"department": "QLDT", "days": 4}])
    assert task.due_at == dec(2, 8)
    extend(work, task.dossier_code, dec(4, 17), ADMIN)
    assert task.due_at == dec(4, 17)


def test_an_ended_dossier_is_not_extended(work):
    task = plan(work, route=[{"department": "ONE", "days": 1}])
    decide(work, claim(work, "ONE"), action="reject", reason="x")
    refused(409, "not_in_progress", extend, work, task.dossier_code, dec(4, 17), ADMIN)


def test_the_sweep_records_dossier_overdue_once_and_not_while_waiting_for_papers(work):
    overdue = plan(work, route=[{"department": "S", "days": 1}], due_at=at(27, 8))
    waiting = plan(work, route=[{"department": "S", "days": 1}], due_at=at(27, 8))
    on_time = plan(work, route=[{"department": "S", "days": 1}], due_at=dec(3, 17))
    waiting_task = work.tasks.get(waiting.id)
    waiting_task.take("cv.s", MORNING)
    decide(work, waiting_task, action="request_supplement", items=ITEMS)
    now = at(27, 9)
    first = application.sweep_deadlines(work, now)
    work.commit()
    assert first == [overdue.dossier_code]
    assert application.sweep_deadlines(work, now + timedelta(hours=1)) == []
    work.commit()
    assert kinds(work, overdue.dossier_code).count("dossier_overdue") == 1
    assert published(work, overdue.dossier_code)[-1].data() == {"due_at": at(27, 8)}
    assert "dossier_overdue" not in kinds(work, on_time.dossier_code) + kinds(work, waiting.dossier_code)


# --- department systems and the calendar ---------------------------------------------------------------


def test_a_department_system_answers_only_automated_work_of_its_own_department(work):
    code = plan(work, route=[{"department": "AUTO", "days": 1}, {"department": "QLDT", "days": 1}]).dossier_code
    task = work.tasks.open_of(code)[0]
    system = Actor.department_system("AUTO")
    refused(403, "not_automated", decide, work, task, actor=system, action="approve")
    application.set_automated(work, "AUTO", True, "quantri", MORNING)
    refused(403, "other_department", decide, work, task, actor=Actor.department_system("QLDT"), action="approve")
    decide(work, task, actor=system, action="approve")  # it takes what waits in its queue
    assert (task.status, task.claimed_by, task.received_at) == ("done", "system.AUTO", MORNING)
    refused(409, "task_not_held", decide, work, task, actor=system, action="approve")
    assert application.set_automated(work, "AUTO", False, "quantri", MORNING) == {
        "department": "AUTO",
        "automated": False,
    }
    assert not work.departments.is_automated("AUTO")


def test_a_department_system_credential_must_name_its_department():
    refused(403, "forbidden", Actor.department_system, None)
    refused(403, "other_department", Actor.department_system, "AUTO", "QLDT")
    assert Actor.department_system("AUTO", "AUTO") == Actor(role="system", sub="system.AUTO", department="AUTO")


def test_the_plan_keeps_the_channel_the_applicant_and_the_agency_for_form_04(work):
    agency = {"code": "000.00.06.H56", "name": "UBND quận Ngô Quyền", "head_title": "Chủ tịch", "place": "Hải Phòng"}
    code = plan(work, channel="online", applicant_name="Nguyễn Văn An", agency=agency).dossier_code
    kept = case(work, code)
    assert (kept.channel, kept.applicant_name, kept.agency) == ("online", "Nguyễn Văn An", agency)
    old = case(work, plan(work, channel=None).dossier_code)  # an event from before issue 13
    assert (old.channel, old.applicant_name, old.agency) == ("counter", None, None)


def test_a_calendar_change_is_kept(work):
    snapshot = {"version": 2, "days_off": [], "working_days": []}
    application.store_calendar(work, snapshot)
    assert work.snapshot == snapshot
