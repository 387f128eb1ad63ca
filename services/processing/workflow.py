"""Department work: the route plan, the queues, claims, decisions, supplements,
the apology (Form 04), deadline sweeps and the control slip (Form 05).

Plain functions over a session; every change checks the dossier's current state
first (under a row lock), so a stale or repeated decision changes nothing.
"""
import time
import uuid
from datetime import timedelta

import sqlalchemy as sa

from shared import calendar_store, clock
from shared.http import ApiError
from shared.reliability import emit
from services.processing import deadlines
from services.processing.models import AutomatedDepartment, Case, HandOff, Task

SOURCE = "processing"
COUNTER = "MOTCUA"  # the one-stop counter, first and last party on every control slip
OPEN = ("waiting", "claimed")
MAX_EXTENSION = timedelta(days=366)  # an apology moves the due date by at most a year
SYSTEM = "system"   # the actor role of a department's own software (nameko RPC)


def plan(session, env, calendar=None):
    """dossier_received: the route becomes the plan; the first step enters its queue."""
    calendar = calendar or calendar_store.load(session)
    data = env["data"]
    code = env["dossier_code"]
    if session.get(Case, code) is not None:
        return None  # already planned (the same dossier announced twice)
    start = deadlines.transfer_moment(calendar, data["received_at"])
    case = Case(dossier_code=code, procedure_code=data["procedure_code"],
                procedure_version=data["procedure_version"], route=data["route"], status="in_progress",
                current_step=1, received_at=data["received_at"], due_at=data["due_at"],
                return_method=data["return_method"], postal_address=data.get("postal_address"),
                supplement_clock=data.get("supplement_clock") or "restart",
                supplement_late_allowed=bool(data.get("supplement_late_allowed")),
                correlation_id=env["correlation_id"], plan_start=start, paused_seconds=0)
    session.add(case)
    return open_step(session, case, 1, COUNTER, start, calendar, sender_due=start)


def step_due(case, step, calendar):
    return deadlines.step_due_dates(calendar, case.plan_start or case.received_at, case.route, case.due_at,
                                    case.paused_seconds)[step - 1]


def open_step(session, case, step, from_party, available_at, calendar, sender_due=None, department=None,
              note="", dossier_due_changed=False, due=None):
    """Put step `step` of the case into a department's queue and record the hand-off."""
    department = department or case.route[step - 1]["department"]
    due = due or step_due(case, step, calendar)
    task = Task(id=str(uuid.uuid4()), dossier_code=case.dossier_code, step=step, department=department,
                status="waiting", available_at=available_at, due_at=due, note="")
    case.current_step = step
    session.add(task)
    session.add(HandOff(dossier_code=case.dossier_code, from_party=from_party, to_party=department,
                        handed_over_at=clock.now(), due_at=due, sender_due_at=sender_due, task_id=task.id,
                        note=note))
    data = {"department": department, "step": step, "due_at": due}
    if dossier_due_changed:
        data["dossier_due_at"] = case.due_at
    emit(session, SOURCE, "processing_started", case.dossier_code, data, correlation_id=case.correlation_id)
    return task


# --- the work queues ---------------------------------------------------------------

def queue(session, department, limit=100, calendar=None):
    """Open items of a department (waiting, and held with who holds them), earliest
    due first, with overdue / due-soon flags and the department's counts."""
    calendar = calendar or cached_calendar(session)
    now = clock.now()
    soon = deadlines.due_soon_limit(calendar, now)
    in_queue = (Task.department == department, Task.status.in_(OPEN))
    counts = sa.select(sa.func.count(),  # over every open item (an index-only scan), joined as one row
                       sa.func.count().filter(Task.status == "claimed"),
                       sa.func.count().filter(Task.due_at < now),
                       sa.func.count().filter(Task.due_at >= now, Task.due_at <= soon)).where(*in_queue).subquery()
    rows = session.execute(sa.select(*VIEW_COLUMNS, counts).select_from(Task).join(counts, sa.true())
                           .where(*in_queue).order_by(Task.due_at, Task.id).limit(limit)).all()
    return {"department": department,
            "counts": dict(zip(("open", "claimed", "overdue", "due_soon"),
                               rows[0][len(VIEW_COLUMNS):] if rows else (0,) * 4)),
            "items": [task_view(row, now, soon) for row in rows]}


_calendar_cache = {"calendar": None, "loaded": 0.0}
CALENDAR_TTL_SECONDS = 60


def cached_calendar(session):
    """The calendar for the queue's advisory flags, re-read at most once a minute
    (and at once after this process stored a calendar_changed)."""
    if _calendar_cache["calendar"] is None or time.monotonic() - _calendar_cache["loaded"] > CALENDAR_TTL_SECONDS:
        _calendar_cache.update(calendar=calendar_store.load(session), loaded=time.monotonic())
    return _calendar_cache["calendar"]


def forget_calendar():
    _calendar_cache["calendar"] = None


# what task_view reads: plain rows are several times cheaper than loaded objects
VIEW_COLUMNS = (Task.id, Task.dossier_code, Task.department, Task.step, Task.status, Task.available_at, Task.due_at,
                Task.claimed_by, Task.claimed_at, Task.decision)


def task_view(task, now=None, soon=None):
    """A task (object or row of VIEW_COLUMNS) as the API shows it."""
    now = now or clock.now()
    view = {"task_id": task.id, "dossier_code": task.dossier_code, "department": task.department,
            "step": task.step, "status": task.status, "available_at": task.available_at, "due_at": task.due_at,
            "claimed_by": task.claimed_by, "claimed_at": task.claimed_at, "decision": task.decision}
    view.update(deadlines.flags(task.due_at, now, soon or now))
    return view


def claim(session, department, officer, idle_seconds=1800):
    """Give the officer the next waiting item, earliest due first (a claim left idle
    longer than idle_seconds counts as waiting again). Rows another transaction is
    claiming are skipped, so two officers never get the same one; one statement."""
    now = clock.now()
    claimable = sa.or_(Task.status == "waiting",
                       sa.and_(Task.status == "claimed", Task.claimed_at < now - timedelta(seconds=idle_seconds)))
    next_item = (sa.select(Task.id).where(Task.department == department, Task.status.in_(OPEN), claimable,
                                          Task.available_at <= now)
                 .order_by(Task.due_at, Task.id).limit(1).with_for_update(skip_locked=True).scalar_subquery())
    return session.scalars(
        sa.update(Task).where(Task.id == next_item)
        .values(status="claimed", claimed_by=officer, claimed_at=now,
                received_at=sa.func.coalesce(Task.received_at, now))
        .returning(Task).execution_options(synchronize_session=False)).first()


def take(task, holder, now):
    task.status, task.claimed_by, task.claimed_at = "claimed", holder, now
    task.received_at = task.received_at or now


# --- decisions -----------------------------------------------------------------------

def locked_task(session, task_id):
    task = session.scalars(sa.select(Task).where(Task.id == task_id).with_for_update()).first()
    if task is None:
        raise ApiError(404, "not_found", f"Không có việc {task_id}")
    return task


def locked_case(session, code):
    case = session.scalars(sa.select(Case).where(Case.dossier_code == code).with_for_update()).first()
    if case is None:
        raise ApiError(404, "not_found", f"Không có hồ sơ {code}")
    return case


def check_holder(task, actor):
    """Officers decide on what they hold; a department's system on what is waiting
    in its queue (or what it holds)."""
    if actor["role"] in ("officer", SYSTEM) and actor.get("department") != task.department:
        raise ApiError(403, "other_department", "Việc này thuộc phòng ban khác")
    if actor["role"] == SYSTEM and task.status == "waiting":
        take(task, actor["sub"], clock.now())
    if task.status != "claimed" or (actor["role"] in ("officer", SYSTEM) and task.claimed_by != actor["sub"]):
        raise ApiError(409, "task_not_held", f"Việc đang ở trạng thái {task.status}, không do bạn giữ")


def system_actor(claims, department=None):
    """The actor of a department's system, from its credential (role department_system).
    The department it names, if any, must be the credential's own."""
    own = claims.get("department")
    if not own:
        raise ApiError(403, "forbidden", "Mã xác thực của hệ thống phòng ban thiếu mã phòng ban")
    if department is not None and department != own:
        raise ApiError(403, "other_department", "Hệ thống phòng ban chỉ xử lý việc của phòng ban mình")
    # one holder name per department: any instance of its system may finish what another started
    return {"role": SYSTEM, "sub": f"system.{own}", "department": own}


def check_automated(session, task, actor):
    """A department's system answers only its own department's work, and only while
    that department is marked automated (an admin's decision)."""
    if actor.get("department") != task.department:
        raise ApiError(403, "other_department", "Việc này thuộc phòng ban khác")
    if session.get(AutomatedDepartment, task.department) is None:
        raise ApiError(403, "not_automated",
                       f"Phòng ban {task.department} không được đánh dấu xử lý tự động; cán bộ xử lý qua hàng đợi")


def decide(session, task_id, decision, actor, calendar=None):
    calendar = calendar or calendar_store.load(session)
    task = locked_task(session, task_id)
    if actor["role"] == SYSTEM:
        check_automated(session, task, actor)
    check_holder(task, actor)
    case = locked_case(session, task.dossier_code)
    if case.status != "in_progress" or case.current_step != task.step:
        raise ApiError(409, "stale_decision", f"Hồ sơ {case.dossier_code} không còn chờ bước này")
    now = clock.now()
    action = decision["action"]
    note = decision.get("note") or decision.get("reason") or ""
    if action == "approve":
        if task.step < len(case.route):
            open_step(session, case, task.step + 1, task.department, now, calendar, sender_due=task.due_at,
                      note=decision.get("note") or "")
        else:
            finish(session, case, task, decision.get("note") or "Đã giải quyết xong")
    elif action == "transfer":
        transfer(session, case, task, decision["to_department"], decision["reason"], now, calendar)
    elif action == "request_supplement":
        request_supplement(session, case, task, decision, now, calendar)
    elif action == "reject":
        case.status, case.finished_at = "rejected", now
        session.add(HandOff(dossier_code=case.dossier_code, from_party=task.department, to_party=COUNTER,
                            handed_over_at=now, sender_due_at=task.due_at, received_at=now,
                            note=f"từ chối: {decision['reason']}"))
        emit(session, SOURCE, "dossier_rejected", case.dossier_code, {"reason": decision["reason"]},
             correlation_id=case.correlation_id)
    task.status, task.decided_at, task.decision, task.note = "done", now, action, note
    return task, case


def transfer(session, case, task, to_department, reason, now, calendar):
    """Liên thông: the step continues in another agency, with the same deadline."""
    if to_department == task.department:
        raise ApiError(422, "same_department", "Không thể chuyển hồ sơ cho chính phòng ban đang xử lý")
    open_step(session, case, task.step, task.department, now, calendar, sender_due=task.due_at,
              department=to_department, note=f"chuyển liên thông: {reason}", due=task.due_at)
    emit(session, SOURCE, "dossier_transferred", case.dossier_code,
         {"from_department": task.department, "to_department": to_department, "reason": reason},
         correlation_id=case.correlation_id)


def request_supplement(session, case, task, decision, now, calendar):
    limit = deadlines.supplement_deadline(calendar, case.received_at)
    if now > limit and not case.supplement_late_allowed:
        raise ApiError(422, "supplement_too_late",
                       "Yêu cầu bổ sung phải gửi trong 3 ngày làm việc kể từ ngày tiếp nhận "
                       f"(hạn {limit.isoformat()}); thủ tục này không cho phép gửi muộn hơn")
    case.status, case.supplement_requested_at, case.supplement_department = "supplement_requested", now, task.department
    reason = decision.get("reason") or "; ".join(item["reason"] for item in decision["items"])
    session.add(HandOff(dossier_code=case.dossier_code, from_party=task.department, to_party=COUNTER,
                        handed_over_at=now, sender_due_at=task.due_at, received_at=now,
                        note=f"yêu cầu bổ sung: {reason}"))
    emit(session, SOURCE, "supplement_requested", case.dossier_code,
         {"items": decision["items"], "requested_at": now, "reason": reason, "department": task.department},
         correlation_id=case.correlation_id)


def supplemented(session, env, calendar=None):
    """dossier_supplemented: the dossier is complete again; its deadline restarts from
    zero or resumes paused, and the step that asked goes back to its department."""
    calendar = calendar or calendar_store.load(session)
    case = session.scalars(sa.select(Case).where(Case.dossier_code == env["dossier_code"])
                           .with_for_update()).first()
    if case is None or case.status != "supplement_requested":
        return None  # not waiting for papers (late or repeated event): nothing to resume
    completed_at = env["data"]["received_at"]
    start, paused, due = deadlines.resumed_due(calendar, case.supplement_clock, case.route, case.due_at,
                                               case.supplement_requested_at, completed_at)
    if start is not None:
        case.plan_start, case.paused_seconds = start, 0
    else:
        case.paused_seconds += paused
    case.due_at, case.status = due, "in_progress"
    available = deadlines.transfer_moment(calendar, completed_at)
    return open_step(session, case, case.current_step, COUNTER, available, calendar, sender_due=available,
                     department=case.supplement_department, note="hồ sơ đã bổ sung đầy đủ",
                     dossier_due_changed=True)


def finish(session, case, task, summary):
    now = clock.now()
    case.status, case.finished_at = "finished", now
    session.add(HandOff(dossier_code=case.dossier_code, from_party=task.department, to_party=COUNTER,
                        handed_over_at=now, due_at=case.due_at, sender_due_at=task.due_at, received_at=now,
                        note="trả kết quả"))
    emit(session, SOURCE, "result_ready", case.dossier_code,
         {"finished_at": now, "summary": summary, "return_method": case.return_method,
          "postal_address": case.postal_address}, correlation_id=case.correlation_id)


def withdrawn(session, env):
    """dossier_withdrawn: the citizen took the dossier back; open work is cancelled."""
    case = session.scalars(sa.select(Case).where(Case.dossier_code == env["dossier_code"])
                           .with_for_update()).first()
    if case is not None and case.status in ("in_progress", "supplement_requested"):
        case.status, case.finished_at = "withdrawn", clock.now()
        session.execute(sa.update(Task).where(Task.dossier_code == case.dossier_code, Task.status.in_(OPEN))
                        .values(status="cancelled", note="công dân rút hồ sơ"))


# --- deadlines -----------------------------------------------------------------------

def extend(session, code, body, actor):
    """The apology (Form 04): a new due date with a reason, once per dossier, only
    before the deadline has passed."""
    case = locked_case(session, code)
    open_tasks = session.scalars(sa.select(Task).where(Task.dossier_code == code, Task.status.in_(OPEN))).all()
    if actor["role"] == "officer" and actor.get("department") not in {t.department for t in open_tasks}:
        raise ApiError(403, "other_department", "Chỉ phòng ban đang giữ hồ sơ mới được xin gia hạn")
    if case.status not in ("in_progress", "supplement_requested"):
        raise ApiError(409, "not_in_progress", f"Hồ sơ đang ở trạng thái {case.status}, không gia hạn được")
    if case.extended_at is not None:
        raise ApiError(409, "already_extended", "Hồ sơ đã được hẹn lại một lần; không được gia hạn lần nữa")
    now = clock.now()
    if now >= case.due_at:
        raise ApiError(422, "deadline_passed", "Đã quá hạn giải quyết; phải xin lỗi và hẹn lại trước khi hết hạn")
    new_due = body["new_due_at"]
    if new_due <= case.due_at:
        raise ApiError(422, "not_later", "Ngày hẹn mới phải sau ngày hẹn hiện tại",
                       {"new_due_at": [f"phải sau {case.due_at.isoformat()}"]})
    if new_due > case.due_at + MAX_EXTENSION:
        raise ApiError(400, "invalid_input", "Ngày hẹn mới chậm nhất một năm sau ngày hẹn hiện tại",
                       {"new_due_at": [f"chậm nhất {(case.due_at + MAX_EXTENSION).isoformat()}"]})
    old_due = case.due_at
    case.old_due_at, case.due_at, case.extended_at = old_due, new_due, now
    case.extension_reason, case.extended_by = body["reason"], actor["sub"]
    for task in open_tasks:  # the step that runs up to the old deadline may use the new one
        if task.due_at >= old_due:
            task.due_at = new_due
    emit(session, SOURCE, "deadline_extended", code,
         {"reason": body["reason"], "old_due_at": old_due, "new_due_at": new_due},
         correlation_id=case.correlation_id)
    return case


def sweep_deadlines(session, limit=500):
    """Emit dossier_overdue once for each running dossier past its deadline; returns
    the codes. A dossier waiting for papers is not running late."""
    now = clock.now()
    cases = session.scalars(
        sa.select(Case).where(Case.status == "in_progress", Case.due_at < now, Case.overdue_at.is_(None))
        .order_by(Case.due_at).limit(limit).with_for_update(skip_locked=True)).all()
    for case in cases:
        case.overdue_at = now
        emit(session, SOURCE, "dossier_overdue", case.dossier_code, {"due_at": case.due_at},
             correlation_id=case.correlation_id)
    return [case.dossier_code for case in cases]


def due_soon_steps(session, calendar=None):
    """Open steps per department that fall due within one working day (not yet late)."""
    calendar = calendar or calendar_store.load(session)
    now = clock.now()
    rows = session.execute(
        sa.select(Task.department, sa.func.count())
        .where(Task.status.in_(OPEN), Task.due_at >= now, Task.due_at <= deadlines.due_soon_limit(calendar, now))
        .group_by(Task.department)).all()
    return dict(rows)


# --- the control slip (Form 05) --------------------------------------------------------

def control_slip(session, code):
    case = session.get(Case, code)
    if case is None:
        raise ApiError(404, "not_found", f"Không có hồ sơ {code}")
    rows = session.scalars(sa.select(HandOff).where(HandOff.dossier_code == code).order_by(HandOff.id)).all()
    taken = dict(session.execute(sa.select(Task.id, Task.received_at).where(Task.dossier_code == code)).all())
    return {
        "dossier_code": code, "procedure_code": case.procedure_code, "status": case.status,
        "received_at": case.received_at, "due_at": case.due_at, "finished_at": case.finished_at,
        "extension": extension_view(case),
        "hand_offs": [{"from": r.from_party, "to": r.to_party, "handed_over_at": r.handed_over_at,
                       "received_at": r.received_at or taken.get(r.task_id), "due_at": r.due_at,
                       "sender_due_at": r.sender_due_at,
                       "timeliness": deadlines.timeliness(r.handed_over_at, r.sender_due_at), "note": r.note}
                      for r in rows],
    }


def departments_of(session, code):
    """Departments of which a task of the dossier is or was (the officers who may read it)."""
    return session.scalars(sa.select(Task.department).where(Task.dossier_code == code).distinct()
                           .order_by(Task.department)).all()


def extension_view(case):
    if case.extended_at is None:
        return None
    return {"reason": case.extension_reason, "old_due_at": case.old_due_at, "new_due_at": case.due_at,
            "extended_at": case.extended_at, "extended_by": case.extended_by}


def extension(session, code):
    case = session.get(Case, code)
    if case is None or case.extended_at is None:
        raise ApiError(404, "not_found", f"Hồ sơ {code} chưa có phiếu xin lỗi và hẹn lại")
    return {"dossier_code": code, "procedure_code": case.procedure_code, "received_at": case.received_at,
            **extension_view(case)}


# --- automated departments --------------------------------------------------------------

def set_automated(session, department, automated, by):
    row = session.get(AutomatedDepartment, department)
    if automated and row is None:
        session.add(AutomatedDepartment(department=department, since=clock.now(), set_by=by))
    elif not automated and row is not None:
        session.delete(row)
    return {"department": department, "automated": automated}


def automated_departments(session):
    return session.scalars(sa.select(AutomatedDepartment.department).order_by(AutomatedDepartment.department)).all()
