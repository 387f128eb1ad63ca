"""The department rules on a real PostgreSQL database (migrated as in production),
with the business clock frozen: routing, claims, decisions, supplements, deadlines,
the apology and the control slip."""
from datetime import datetime, timedelta

import eventlet
import pytest
import sqlalchemy as sa

from shared import events
from shared.http import ApiError
from services.processing import workflow
from services.processing.models import Case, Task
from tests.processing.conftest import MORNING, TZ, new_code, outbox, received, supplemented


def officer(department, sub=None):
    return {"role": "officer", "department": department, "sub": sub or f"cv.{department.lower()}"}


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def dec(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def plan(uow, env):
    with uow.transaction() as session:
        return workflow.plan(session, env)


def claim(uow, department, sub=None, idle=1800):
    with uow.transaction() as session:
        return workflow.claim(session, department, sub or f"cv.{department.lower()}", idle)


def decide(uow, task_id, department, sub=None, **decision):
    with uow.transaction() as session:
        return workflow.decide(session, task_id, decision, officer(department, sub))[0]


def claim_own(uow, code, department):
    """Claim in the department until this dossier's item comes up (other tests' items
    wait in the same queues)."""
    while True:
        task = claim(uow, department)
        assert task is not None, f"{code} not waiting in {department}"
        if task.dossier_code == code:
            return task


def case(uow, code):
    with uow.transaction() as session:
        return session.get(Case, code)


def tasks(uow, code):
    with uow.transaction() as session:
        return session.scalars(sa.select(Task).where(Task.dossier_code == code).order_by(Task.step)).all()


def expect(status, code, call, *args, **kwargs):
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    assert (err.value.status, err.value.code) == (status, code), err.value.message


def test_route_through_three_departments_to_result_ready(uow, now):
    env = received()
    code = env["dossier_code"]
    first = plan(uow, env)
    assert (first.department, first.step, first.due_at, first.available_at) == ("QLDT", 1, at(30, 8), MORNING)
    assert plan(uow, env) is None  # announced twice: still one plan

    for minutes, (department, due) in enumerate((("QLDT", at(30, 8)), ("TUPHAP", dec(1, 8)),
                                                 ("LANHDAO", dec(2, 8))), start=1):
        now.set(MORNING + timedelta(minutes=minutes))
        task = claim_own(uow, code, department)
        assert task.due_at == due
        decide(uow, task.id, department, action="approve", note="đạt")

    assert case(uow, code).status == "finished"
    kinds = [kind for kind, _ in outbox(uow, code)]
    assert kinds == ["processing_started"] * 3 + ["result_ready"]
    assert outbox(uow, code)[1][1]["department"] == "TUPHAP"


def test_after_the_cutoff_the_first_step_waits_for_the_next_working_morning(uow, now):
    now.set(at(27, 15, 30))
    env = received(received_at=at(27, 15, 30), due_at=dec(4, 17))
    task = plan(uow, env)
    assert task.available_at == at(30, 7)
    assert all(t.dossier_code != env["dossier_code"] for t in iter(lambda: claim(uow, "QLDT"), None))
    now.set(at(30, 7, 1))
    assert claim_own(uow, env["dossier_code"], "QLDT").id == task.id


def test_transfer_continues_the_step_in_another_agency_with_the_reason(uow, now):
    code = plan(uow, received()).dossier_code
    task = claim_own(uow, code, "QLDT")
    decide(uow, task.id, "QLDT", action="transfer", to_department="XAYDUNG", reason="cần thẩm định kết cấu")
    moved = claim_own(uow, code, "XAYDUNG")
    assert (moved.step, moved.due_at) == (1, task.due_at)
    decide(uow, moved.id, "XAYDUNG", action="approve")
    assert claim_own(uow, code, "TUPHAP").step == 2
    transferred = [d for kind, d in outbox(uow, code) if kind == "dossier_transferred"]
    assert transferred == [{"from_department": "QLDT", "to_department": "XAYDUNG",
                            "reason": "cần thẩm định kết cấu"}]
    with uow.transaction() as session:
        slip = workflow.control_slip(session, code)
    assert [(h["from"], h["to"]) for h in slip["hand_offs"]] == [("MOTCUA", "QLDT"), ("QLDT", "XAYDUNG"),
                                                                ("XAYDUNG", "TUPHAP")]
    assert slip["hand_offs"][1]["note"] == "chuyển liên thông: cần thẩm định kết cấu"


def test_transfer_to_the_same_department_is_refused(uow, now):
    task = claim_own(uow, plan(uow, received()).dossier_code, "QLDT")
    expect(422, "same_department", decide, uow, task.id, "QLDT", action="transfer", to_department="QLDT",
           reason="x")


def supplement_items():
    return [{"name": "Bản vẽ mặt bằng", "reason": "thiếu chữ ký"}]


def test_supplement_restart_counts_the_deadline_from_zero(uow, now):
    code = plan(uow, received(supplement_clock="restart")).dossier_code
    task = claim_own(uow, code, "QLDT")
    now.set(at(26, 10))
    decide(uow, task.id, "QLDT", action="request_supplement", items=supplement_items())
    assert case(uow, code).status == "supplement_requested"
    assert [t.status for t in tasks(uow, code)] == ["done"]  # nothing waits meanwhile

    now.set(at(30, 10))
    with uow.transaction() as session:
        back = workflow.supplemented(session, supplemented(code, at(30, 10)))
    assert (back.department, back.step, back.due_at) == ("QLDT", 1, dec(2, 10))
    assert case(uow, code).due_at == dec(4, 10)  # 4 working days again from Monday 10:00
    started = outbox(uow, code)[-1]
    assert started[0] == "processing_started" and started[1]["dossier_due_at"] == "2026-12-04T10:00:00+07:00"
    requested = [d for kind, d in outbox(uow, code) if kind == "supplement_requested"][0]
    assert requested["items"] == supplement_items() and requested["requested_at"].startswith("2026-11-26T10:00")

    # the same event again, or a late one, resumes nothing more
    with uow.transaction() as session:
        assert workflow.supplemented(session, supplemented(code, at(30, 11))) is None
    assert len(tasks(uow, code)) == 2


def test_supplement_pause_shifts_the_deadline_by_the_time_waited(uow, now):
    code = plan(uow, received(supplement_clock="pause")).dossier_code
    task = claim_own(uow, code, "QLDT")
    now.set(at(26, 9))
    decide(uow, task.id, "QLDT", action="request_supplement", items=supplement_items())
    now.set(at(27, 9))
    with uow.transaction() as session:
        back = workflow.supplemented(session, supplemented(code, at(27, 9)))
    assert case(uow, code).due_at == dec(3, 8)  # one working day later than 2 Dec 08:00
    assert back.due_at == dec(1, 8)  # step 1 (due 30 Nov 08:00) moves by the same working day


def test_a_supplement_request_after_three_working_days_is_refused_unless_allowed(uow, now):
    route = [{"department": "LATE", "days": 4}]
    late = plan(uow, received(route=route)).dossier_code
    allowed = plan(uow, received(route=route, supplement_late_allowed=True)).dossier_code
    now.set(dec(1, 9))  # reception + 3 working days was 1 Dec 08:00
    assert {claim(uow, "LATE").dossier_code, claim(uow, "LATE").dossier_code} == {late, allowed}
    late_task = tasks(uow, late)[0]
    expect(422, "supplement_too_late", decide, uow, late_task.id, "LATE", action="request_supplement",
           items=supplement_items())
    assert case(uow, late).status == "in_progress" and tasks(uow, late)[0].status == "claimed"
    decide(uow, tasks(uow, allowed)[0].id, "LATE", action="request_supplement", items=supplement_items())
    assert case(uow, allowed).status == "supplement_requested"


def test_rejection_ends_the_dossier_with_its_reason(uow, now):
    code = plan(uow, received()).dossier_code
    task = claim_own(uow, code, "QLDT")
    decide(uow, task.id, "QLDT", action="reject", reason="Không phù hợp quy hoạch")
    assert case(uow, code).status == "rejected"
    assert outbox(uow, code)[-1] == ("dossier_rejected", {"reason": "Không phù hợp quy hoạch"})


def test_stale_and_repeated_decisions_get_409_and_change_nothing(uow, now):
    code = plan(uow, received()).dossier_code
    task = claim_own(uow, code, "QLDT")
    decide(uow, task.id, "QLDT", action="approve")
    before = outbox(uow, code)
    expect(409, "task_not_held", decide, uow, task.id, "QLDT", action="approve")
    expect(409, "task_not_held", decide, uow, task.id, "QLDT", action="reject", reason="muộn")
    # a colleague's item cannot be decided by someone who does not hold it
    second = claim_own(uow, code, "TUPHAP")
    expect(409, "task_not_held", decide, uow, second.id, "TUPHAP", sub="someone.else", action="approve")
    # another department's officer may not touch it
    expect(403, "other_department", decide, uow, second.id, "QLDT", action="approve")
    assert outbox(uow, code) == before and [t.status for t in tasks(uow, code)] == ["done", "claimed"]


def test_stale_decision_on_a_withdrawn_dossier(uow, now):
    env = received()
    code = env["dossier_code"]
    task = claim_own(uow, plan(uow, env).dossier_code, "QLDT")
    with uow.transaction() as session:
        workflow.withdrawn(session, events.load(events.envelope("dossier_withdrawn", code, {"reason": "rút"},
                                                                source="intake")))
    expect(409, "task_not_held", decide, uow, task.id, "QLDT", action="approve")
    assert case(uow, code).status == "withdrawn"


def test_eight_officers_claiming_at_once_never_get_the_same_item(uow, now):
    codes = {plan(uow, received(route=[{"department": "RACE", "days": 1}])).dossier_code for _ in range(40)}

    def officer_claims(n):
        got = []
        while (task := claim(uow, "RACE", sub=f"cv{n}")) is not None:
            got.append(task.dossier_code)
        return got

    pool = eventlet.GreenPool(8)
    results = list(pool.imap(officer_claims, range(8)))
    claimed = [c for r in results for c in r]
    assert sorted(claimed) == sorted(codes)  # each exactly once
    assert sum(1 for r in results if r) > 1  # they really competed


def test_an_idle_claim_returns_to_the_queue(uow, now):
    code = plan(uow, received(route=[{"department": "IDLE", "days": 1}])).dossier_code
    first = claim(uow, "IDLE", sub="cv.a", idle=600)
    assert first.dossier_code == code and claim(uow, "IDLE", sub="cv.b", idle=600) is None
    now.set(MORNING + timedelta(seconds=601))
    second = claim(uow, "IDLE", sub="cv.b", idle=600)
    assert (second.id, second.claimed_by) == (first.id, "cv.b")
    expect(409, "task_not_held", decide, uow, first.id, "IDLE", sub="cv.a", action="approve")
    decide(uow, first.id, "IDLE", sub="cv.b", action="approve")


def test_queue_flags_due_soon_and_overdue_and_the_sweep_emits_overdue_once(uow, now):
    route = [{"department": "FLAGS", "days": 2}]
    soon = plan(uow, received(route=route, due_at=at(27, 8)))          # due tomorrow morning
    later = plan(uow, received(route=route, due_at=dec(3, 17)))
    now.set(at(27, 9))  # soon's step is capped at its dossier's 27 Nov 08:00: overdue now
    with uow.transaction() as session:
        listing = workflow.queue(session, "FLAGS")
    flags = {i["dossier_code"]: (i["overdue"], i["due_soon"]) for i in listing["items"]}
    assert flags[soon.dossier_code] == (True, False)
    assert flags[later.dossier_code] == (False, True)  # its step is due Monday 08:00, within a day
    assert listing["items"][0]["dossier_code"] == soon.dossier_code  # earliest due first
    assert listing["counts"]["overdue"] >= 1

    with uow.transaction() as session:
        first = workflow.sweep_deadlines(session)
    with uow.transaction() as session:
        second = workflow.sweep_deadlines(session)
    assert soon.dossier_code in first and soon.dossier_code not in second
    assert later.dossier_code not in first
    assert [k for k, _ in outbox(uow, soon.dossier_code)].count("dossier_overdue") == 1


def test_extension_once_and_only_before_the_deadline(uow, now):
    code = plan(uow, received()).dossier_code
    body = {"reason": "Chờ ý kiến Sở Xây dựng", "new_due_at": dec(4, 17)}
    expect(403, "other_department", extend, uow, code, body, officer("TUPHAP"))
    expect(422, "not_later", extend, uow, code, {**body, "new_due_at": dec(1, 8)}, officer("QLDT"))
    extend(uow, code, body, officer("QLDT"))
    assert case(uow, code).due_at == dec(4, 17)
    expect(409, "already_extended", extend, uow, code, {**body, "new_due_at": dec(7, 17)}, officer("QLDT"))
    [(kind, data)] = [e for e in outbox(uow, code) if e[0] == "deadline_extended"]
    assert data == {"reason": "Chờ ý kiến Sở Xây dựng", "old_due_at": "2026-12-02T08:00:00+07:00",
                    "new_due_at": "2026-12-04T17:00:00+07:00"}

    late = plan(uow, received()).dossier_code
    now.set(dec(2, 9))
    expect(422, "deadline_passed", extend, uow, late, body, {"role": "admin", "sub": "quantri"})


def extend(uow, code, body, actor):
    with uow.transaction() as session:
        return workflow.extend(session, code, body, actor)


def test_control_slip_lists_every_hand_off_with_its_verdict(uow, now):
    code = plan(uow, received()).dossier_code
    now.set(at(26, 9))
    task = claim_own(uow, code, "QLDT")
    now.set(at(27, 10))
    decide(uow, task.id, "QLDT", action="approve")      # due 30 Nov: ahead
    now.set(dec(1, 9))
    task = claim_own(uow, code, "TUPHAP")
    decide(uow, task.id, "TUPHAP", action="approve")    # due 1 Dec 08:00: on the due date
    now.set(dec(3, 9))
    task = claim_own(uow, code, "LANHDAO")
    decide(uow, task.id, "LANHDAO", action="approve")   # due 2 Dec: late
    with uow.transaction() as session:
        slip = workflow.control_slip(session, code)
    rows = [(h["from"], h["to"], h["timeliness"]) for h in slip["hand_offs"]]
    assert rows == [("MOTCUA", "QLDT", "on_time"), ("QLDT", "TUPHAP", "ahead"), ("TUPHAP", "LANHDAO", "on_time"),
                    ("LANHDAO", "MOTCUA", "late")]
    assert slip["hand_offs"][0]["received_at"] == at(26, 9)  # when the officer took it
    assert slip["hand_offs"][-1]["note"] == "trả kết quả"
    with uow.transaction() as session:
        expect(404, "not_found", workflow.control_slip, session, new_code())
