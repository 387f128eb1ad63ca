"""Department work: the route plan, the queues, claims and decisions.

Plain functions over a session; every decision checks the task's current state
first, so a stale or repeated decision changes nothing.
"""
import uuid
from datetime import time, timedelta

import sqlalchemy as sa

from shared import calendar_store, clock
from shared.http import ApiError
from shared.reliability import emit
from services.processing.models import Case, HandOff, Task

SOURCE = "processing"
COUNTER = "MOTCUA"  # the one-stop counter, first party on every control slip
TRANSFER_CUTOFF = time(15, 0)  # paper dossiers received later go to the department next morning


def step_due_dates(calendar, start, route, dossier_due):
    """Due moment of each step: cumulative days of the route, never after the dossier's."""
    dues, days = [], 0
    for step in route:
        days += step["days"]
        dues.append(min(calendar.due_at(start, days), dossier_due))
    return dues


def transfer_moment(calendar, received_at):
    """The same working day, or the next working morning after the cut-off."""
    return calendar.due_at(received_at, 0, TRANSFER_CUTOFF)


def plan(session, env, calendar=None):
    """dossier_received: the route becomes the plan; the first step enters its queue."""
    calendar = calendar or calendar_store.load(session)
    data = env["data"]
    code = env["dossier_code"]
    if session.get(Case, code) is not None:
        return None  # already planned (the same dossier announced twice)
    case = Case(dossier_code=code, procedure_code=data["procedure_code"],
                procedure_version=data["procedure_version"], route=data["route"], status="in_progress",
                current_step=1, received_at=data["received_at"], due_at=data["due_at"],
                return_method=data["return_method"], postal_address=data.get("postal_address"),
                supplement_clock=data.get("supplement_clock", "restart"), correlation_id=env["correlation_id"])
    session.add(case)
    session.flush()
    return open_step(session, case, 1, COUNTER, transfer_moment(calendar, case.received_at), calendar)


def open_step(session, case, step, from_party, available_at, calendar):
    department = case.route[step - 1]["department"]
    due = step_due_dates(calendar, case.received_at, case.route, case.due_at)[step - 1]
    task = Task(id=str(uuid.uuid4()), dossier_code=case.dossier_code, step=step, department=department,
                status="waiting", available_at=available_at, due_at=due)
    case.current_step = step
    session.add(task)
    session.add(HandOff(dossier_code=case.dossier_code, from_party=from_party, to_party=department,
                        handed_over_at=clock.now(), due_at=due))
    emit(session, SOURCE, "processing_started", case.dossier_code,
         {"department": department, "step": step, "due_at": due}, correlation_id=case.correlation_id)
    return task


def queue(session, department, limit=100):
    now = clock.now()
    tasks = session.scalars(
        sa.select(Task).where(Task.department == department, Task.status == "waiting")
        .order_by(Task.due_at, Task.id).limit(limit)).all()
    return [task_view(t, now) for t in tasks]


def task_view(task, now=None):
    now = now or clock.now()
    return {"task_id": task.id, "dossier_code": task.dossier_code, "department": task.department,
            "step": task.step, "status": task.status, "available_at": task.available_at, "due_at": task.due_at,
            "overdue": now > task.due_at, "claimed_by": task.claimed_by}


def claim(session, department, officer, idle_seconds=1800):
    """Give the officer the next waiting item, earliest due first (a claim left idle
    longer than idle_seconds counts as waiting again). Rows another transaction is
    claiming are skipped, so two officers never get the same one."""
    now = clock.now()
    claimable = sa.or_(Task.status == "waiting",
                       sa.and_(Task.status == "claimed", Task.claimed_at < now - timedelta(seconds=idle_seconds)))
    task = session.scalars(
        sa.select(Task).where(Task.department == department, claimable, Task.available_at <= now)
        .order_by(Task.due_at, Task.id).limit(1).with_for_update(skip_locked=True)).first()
    if task is None:
        return None
    task.status, task.claimed_by, task.claimed_at = "claimed", officer, now
    return task


def decide(session, task_id, decision, claims, calendar=None):
    calendar = calendar or calendar_store.load(session)
    task = session.scalars(sa.select(Task).where(Task.id == task_id).with_for_update()).first()
    if task is None:
        raise ApiError(404, "not_found", f"Không có việc {task_id}")
    if claims["role"] == "officer" and claims.get("department") != task.department:
        raise ApiError(403, "other_department", "Việc này thuộc phòng ban khác")
    if task.status != "claimed" or (claims["role"] == "officer" and task.claimed_by != claims["sub"]):
        raise ApiError(409, "task_not_held", f"Việc đang ở trạng thái {task.status}, không do bạn giữ")
    case = session.scalars(sa.select(Case).where(Case.dossier_code == task.dossier_code).with_for_update()).one()
    if case.status != "in_progress" or case.current_step != task.step:
        raise ApiError(409, "stale_decision", f"Hồ sơ {case.dossier_code} không còn chờ bước này")
    now = clock.now()
    action = decision["action"]
    task.status, task.decided_at, task.decision, task.note = "done", now, action, decision.get("note") or ""
    if action == "approve":
        if task.step < len(case.route):
            open_step(session, case, task.step + 1, task.department, now, calendar)
        else:
            finish(session, case, task, decision.get("note") or "Đã giải quyết xong")
    elif action == "reject":
        case.status, case.finished_at = "rejected", now
        emit(session, SOURCE, "dossier_rejected", case.dossier_code, {"reason": decision["reason"]},
             correlation_id=case.correlation_id)
    else:
        raise ApiError(422, "unsupported_action", f"Chưa hỗ trợ quyết định {action}")
    return task, case


def finish(session, case, task, summary):
    now = clock.now()
    case.status, case.finished_at = "finished", now
    session.add(HandOff(dossier_code=case.dossier_code, from_party=task.department, to_party=COUNTER,
                        handed_over_at=now, due_at=case.due_at, note="trả kết quả"))
    emit(session, SOURCE, "result_ready", case.dossier_code,
         {"finished_at": now, "summary": summary, "return_method": case.return_method,
          "postal_address": case.postal_address}, correlation_id=case.correlation_id)
