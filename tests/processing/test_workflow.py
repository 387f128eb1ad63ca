"""The department use cases on a real PostgreSQL database (migrated as in
production), with the business clock frozen: what needs the database to prove it.
The unit of work writes the recorded events to the outbox in order and stores the
tasks and hand-offs the case created; the claim and the overdue sweep are single
locking statements (two officers never get the same item); the queue, its flags and
the control slip are read straight from SQL. The rules themselves are proved on
fakes in tests/unit/processing."""

from datetime import datetime, timedelta

import eventlet
import sqlalchemy as sa

from services.processing import application
from services.processing.adapters import orm, queries
from services.processing.adapters.repository import ProcessingWork
from services.processing.domain.model import Actor, Case, Task
from shared import clock
from shared.errors import http_error
from tests.processing.conftest import MORNING, TZ, new_code, outbox, received, supplemented


def officer(department, sub=None):
    return Actor(role="officer", department=department, sub=sub or f"cv.{department.lower()}")


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def dec(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def plan(uow, env):
    with uow.work(ProcessingWork) as work:
        return application.plan(work, env["dossier_code"], env["data"], env["correlation_id"], clock.now())


def claim(uow, department, sub=None, idle=1800):
    with uow.work(ProcessingWork) as work:
        return application.claim(work, department, officer(department, sub), clock.now(), idle)


def decide(uow, task_id, department, sub=None, **decision):
    with uow.work(ProcessingWork) as work:
        return application.decide(work, task_id, decision, officer(department, sub), clock.now())[0]


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
        return session.scalars(sa.select(Task).where(orm.tasks.c.dossier_code == code).order_by(orm.tasks.c.step)).all()


def expect(status, code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except Exception as exc:  # a DomainError, answered through shared.errors' table
        assert http_error(exc)[:2] == (status, code), exc
    else:
        raise AssertionError(f"expected {status} {code}")


def test_route_through_three_departments_to_result_ready(uow, now):
    env = received()
    code = env["dossier_code"]
    first = plan(uow, env)
    assert (first.department, first.step, first.due_at, first.available_at) == ("QLDT", 1, at(30, 8), MORNING)
    assert plan(uow, env) is None  # announced twice: still one plan

    for minutes, (department, due) in enumerate(
        (("QLDT", at(30, 8)), ("TUPHAP", dec(1, 8)), ("LANHDAO", dec(2, 8))), start=1
    ):
        now.set(MORNING + timedelta(minutes=minutes))
        task = claim_own(uow, code, department)
        assert task.due_at == due
        decide(uow, task.id, department, action="approve", note="đạt")

    assert case(uow, code).status == "finished"
    kinds = [kind for kind, _ in outbox(uow, code)]
    assert kinds == ["processing_started"] * 3 + ["result_ready"]
    assert outbox(uow, code)[1][1]["department"] == "TUPHAP"
    assert [(t.status, t.decision, t.note) for t in tasks(uow, code)] == [("done", "approve", "đạt")] * 3


def test_after_the_cutoff_the_first_step_waits_for_the_next_working_morning(uow, now):
    now.set(at(27, 15, 30))
    env = received(received_at=at(27, 15, 30), due_at=dec(4, 17))
    task = plan(uow, env)
    assert task.available_at == at(30, 7)
    assert all(t.dossier_code != env["dossier_code"] for t in iter(lambda: claim(uow, "QLDT"), None))
    now.set(at(30, 7, 1))
    assert claim_own(uow, env["dossier_code"], "QLDT").id == task.id


def test_an_online_dossier_accepted_at_16h_is_in_the_department_queue_at_once(uow, now):
    """Decree 61/2018 Art. 18 (as issue 13 cites it): the 15:00 cut-off is for paper
    dossiers; an online one goes to the department at once. Stored and claimed on
    PostgreSQL: the claim statement itself finds it at 16:00."""
    route = [{"department": "ONLINE16", "days": 2}]
    now.set(at(26, 16))
    online = received(route=route, channel="online", received_at=at(26, 16), due_at=dec(3, 16))
    paper = received(route=route, channel="postal", received_at=at(26, 16), due_at=dec(3, 16))
    assert plan(uow, online).available_at == at(26, 16)
    assert plan(uow, paper).available_at == at(27, 7)
    assert case(uow, online["dossier_code"]).channel == "online"
    task = claim(uow, "ONLINE16")
    assert (task.dossier_code, task.claimed_at) == (online["dossier_code"], at(26, 16))
    assert claim(uow, "ONLINE16") is None  # the paper one waits for Friday morning
    decide(uow, task.id, "ONLINE16", action="approve")
    now.set(at(27, 7))
    assert claim(uow, "ONLINE16").dossier_code == paper["dossier_code"]


def test_a_late_rejection_owes_dossier_rejected_with_the_return_step_and_late(uow, now):
    """Decree 61/2018 Art. 19-20 (as issue 13 cites them): the refusal goes back like a
    result (return method, address); after the deadline it is made, counted late."""
    address = "12 Lạch Tray, Ngô Quyền, Hải Phòng"
    env = received(route=[{"department": "REJLATE", "days": 4}], return_method="postal", postal_address=address)
    code = plan(uow, env).dossier_code
    task = claim_own(uow, code, "REJLATE")
    now.set(dec(3, 9))  # due 2 Dec 08:00
    decide(uow, task.id, "REJLATE", action="reject", reason="Không đủ điều kiện")
    [(kind, data)] = [e for e in outbox(uow, code) if e[0] == "dossier_rejected"]
    assert data == {"reason": "Không đủ điều kiện", "return_method": "postal", "postal_address": address, "late": True}
    with uow.transaction() as session:
        last = queries.control_slip(session, code)["hand_offs"][-1]
    assert (last["to"], last["timeliness"]) == ("MOTCUA", "late")


def test_transfer_continues_the_step_in_another_agency_with_the_reason(uow, now):
    code = plan(uow, received()).dossier_code
    task = claim_own(uow, code, "QLDT")
    decide(uow, task.id, "QLDT", action="transfer", to_department="XAYDUNG", reason="cần thẩm định kết cấu")
    moved = claim_own(uow, code, "XAYDUNG")
    assert (moved.step, moved.due_at) == (1, task.due_at)
    decide(uow, moved.id, "XAYDUNG", action="approve")
    assert claim_own(uow, code, "TUPHAP").step == 2
    transferred = [d for kind, d in outbox(uow, code) if kind == "dossier_transferred"]
    assert transferred == [{"from_department": "QLDT", "to_department": "XAYDUNG", "reason": "cần thẩm định kết cấu"}]
    with uow.transaction() as session:
        slip = queries.control_slip(session, code)
    assert [(h["from"], h["to"]) for h in slip["hand_offs"]] == [
        ("MOTCUA", "QLDT"),
        ("QLDT", "XAYDUNG"),
        ("XAYDUNG", "TUPHAP"),
    ]
    assert slip["hand_offs"][1]["note"] == "chuyển liên thông: cần thẩm định kết cấu"


def supplement_items():
    return [{"name": "Bản vẽ mặt bằng", "reason": "thiếu chữ ký"}]


def resume(uow, code, completed_at):
    with uow.work(ProcessingWork) as work:
        return application.resume(work, code, supplemented(code, completed_at)["data"]["received_at"], clock.now())


def test_supplement_restart_counts_the_deadline_from_zero(uow, now):
    code = plan(uow, received(supplement_clock="restart")).dossier_code
    task = claim_own(uow, code, "QLDT")
    now.set(at(26, 10))
    decide(uow, task.id, "QLDT", action="request_supplement", items=supplement_items())
    assert case(uow, code).status == "supplement_requested"
    assert [t.status for t in tasks(uow, code)] == ["done"]  # nothing waits meanwhile

    now.set(at(30, 10))
    back = resume(uow, code, at(30, 10))
    assert (back.department, back.step, back.due_at) == ("QLDT", 1, dec(2, 10))
    assert case(uow, code).due_at == dec(4, 10)  # 4 working days again from Monday 10:00
    started = outbox(uow, code)[-1]
    assert started[0] == "processing_started" and started[1]["dossier_due_at"] == "2026-12-04T10:00:00+07:00"
    requested = [d for kind, d in outbox(uow, code) if kind == "supplement_requested"][0]
    assert requested["items"] == supplement_items() and requested["requested_at"].startswith("2026-11-26T10:00")

    # the same event again, or a late one, resumes nothing more
    assert resume(uow, code, at(30, 11)) is None
    assert len(tasks(uow, code)) == 2


def test_a_refused_decision_changes_nothing_stored(uow, now):
    code = plan(uow, received()).dossier_code
    task = claim_own(uow, code, "QLDT")
    decide(uow, task.id, "QLDT", action="approve")
    before = outbox(uow, code)
    expect(409, "task_not_held", decide, uow, task.id, "QLDT", action="reject", reason="muộn")
    second = claim_own(uow, code, "TUPHAP")
    expect(403, "other_department", decide, uow, second.id, "QLDT", action="approve")
    expect(404, "not_found", decide, uow, "no-such-task", "QLDT", action="approve")
    assert outbox(uow, code) == before and [t.status for t in tasks(uow, code)] == ["done", "claimed"]


def test_withdrawal_cancels_the_open_work(uow, now):
    env = received()
    code = env["dossier_code"]
    task = claim_own(uow, plan(uow, env).dossier_code, "QLDT")
    with uow.work(ProcessingWork) as work:
        application.withdraw(work, code, clock.now())
    expect(409, "task_not_held", decide, uow, task.id, "QLDT", action="approve")
    assert case(uow, code).status == "withdrawn"
    assert [(t.status, t.note) for t in tasks(uow, code)] == [("cancelled", "công dân rút hồ sơ")]


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
    soon = plan(uow, received(route=route, due_at=at(27, 8)))  # due tomorrow morning
    later = plan(uow, received(route=route, due_at=dec(3, 17)))
    now.set(at(27, 9))  # soon's step is capped at its dossier's 27 Nov 08:00: overdue now
    with uow.transaction() as session:
        listing = queries.queue(session, "FLAGS", clock.now())
    flags = {i["dossier_code"]: (i["overdue"], i["due_soon"]) for i in listing["items"]}
    assert flags[soon.dossier_code] == (True, False)
    assert flags[later.dossier_code] == (False, True)  # its step is due Monday 08:00, within a day
    assert listing["items"][0]["dossier_code"] == soon.dossier_code  # earliest due first
    assert listing["counts"]["overdue"] >= 1

    def sweep():
        with uow.work(ProcessingWork) as work:
            return application.sweep_deadlines(work, clock.now())

    first, second = sweep(), sweep()
    assert soon.dossier_code in first and soon.dossier_code not in second
    assert later.dossier_code not in first
    assert [k for k, _ in outbox(uow, soon.dossier_code)].count("dossier_overdue") == 1


def extend(uow, code, body, actor):
    with uow.work(ProcessingWork) as work:
        return application.extend(work, code, body["new_due_at"], body["reason"], actor, clock.now())


def test_extension_moves_the_open_step_and_owes_deadline_extended_once(uow, now):
    code = plan(uow, received(route=[{"department": "QLDT", "days": 4}])).dossier_code
    body = {"reason": "Chờ ý kiến Sở Xây dựng", "new_due_at": dec(4, 17)}
    extend(uow, code, body, officer("QLDT"))
    assert case(uow, code).due_at == dec(4, 17) and tasks(uow, code)[0].due_at == dec(4, 17)
    expect(409, "already_extended", extend, uow, code, {**body, "new_due_at": dec(7, 17)}, officer("QLDT"))
    [(kind, data)] = [e for e in outbox(uow, code) if e[0] == "deadline_extended"]
    assert data == {
        "reason": "Chờ ý kiến Sở Xây dựng",
        "old_due_at": "2026-12-02T08:00:00+07:00",
        "new_due_at": "2026-12-04T17:00:00+07:00",
    }
    with uow.transaction() as session:
        assert queries.extension(session, code)["old_due_at"] == dec(2, 8)
        expect(404, "not_found", queries.extension, session, new_code())


def test_control_slip_lists_every_hand_off_with_its_verdict(uow, now):
    code = plan(uow, received()).dossier_code
    now.set(at(26, 9))
    task = claim_own(uow, code, "QLDT")
    now.set(at(27, 10))
    decide(uow, task.id, "QLDT", action="approve")  # due 30 Nov: ahead
    now.set(dec(1, 9))
    task = claim_own(uow, code, "TUPHAP")
    decide(uow, task.id, "TUPHAP", action="approve")  # due 1 Dec 08:00: on the due date
    now.set(dec(3, 9))
    task = claim_own(uow, code, "LANHDAO")
    decide(uow, task.id, "LANHDAO", action="approve")  # due 2 Dec: late
    with uow.transaction() as session:
        slip = queries.control_slip(session, code)
    rows = [(h["from"], h["to"], h["timeliness"]) for h in slip["hand_offs"]]
    assert rows == [
        ("MOTCUA", "QLDT", "on_time"),
        ("QLDT", "TUPHAP", "ahead"),
        ("TUPHAP", "LANHDAO", "on_time"),
        ("LANHDAO", "MOTCUA", "late"),
    ]
    assert slip["hand_offs"][0]["received_at"] == at(26, 9)  # when the officer took it
    assert slip["hand_offs"][-1]["note"] == "trả kết quả"
    with uow.transaction() as session:
        expect(404, "not_found", queries.control_slip, session, new_code())
