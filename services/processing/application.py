"""processing's use cases: each loads what it changes through the unit of work's
repositories (locked where it decides), lets the case apply the rules, and returns.
The unit of work commits the change with the events the case recorded; nothing
here knows the framework, the database or HTTP (tested on fakes: tests/unit/processing).

`work` is a ProcessingWork (adapters.repository) or its fake: `cases`, `tasks`,
`departments`, `calendar()`, `store_calendar(snapshot)`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from services.processing.domain.model import Actor, Case, Decision, ResultFile, Role, Task, no_link


def plan(work: Any, code: str, data: Mapping[str, Any], correlation_id: str, now: datetime) -> Task | None:
    """dossier_received: the route becomes the plan and the first step enters its queue.
    None when the dossier is already planned (announced twice)."""
    if work.cases.find(code) is not None:
        return None
    case = work.cases.add(
        Case(
            dossier_code=code,
            procedure_code=data["procedure_code"],
            procedure_version=data["procedure_version"],
            route=data["route"],
            received_at=data["received_at"],
            due_at=data["due_at"],
            return_method=data["return_method"],
            postal_address=data.get("postal_address"),
            supplement_clock=data.get("supplement_clock"),
            supplement_late_allowed=bool(data.get("supplement_late_allowed")),
            correlation_id=correlation_id,
            channel=data.get("channel"),
            applicant_name=data.get("applicant_name"),
            agency=data.get("agency"),
            result_electronic=bool(data.get("result_electronic")),
        )
    )
    task: Task = case.start(now, work.calendar())
    return task


def resume(work: Any, code: str, completed_at: datetime, now: datetime) -> Task | None:
    """dossier_supplemented: the step that asked for papers goes back to its department."""
    case = work.cases.find(code, for_update=True)
    if case is None:
        return None
    task: Task | None = case.resume(completed_at, now, work.calendar())
    return task


def withdraw(work: Any, code: str, now: datetime) -> None:
    """dossier_withdrawn: open work of the dossier is cancelled."""
    case = work.cases.find(code, for_update=True)
    if case is not None:
        case.withdraw(work.tasks.open_of(code), now)


def store_calendar(work: Any, snapshot: Mapping[str, Any]) -> None:
    """calendar_changed: keep the newest overrides."""
    work.store_calendar(snapshot)


def claim(work: Any, department: str, actor: Actor, now: datetime, idle_seconds: float) -> Task | None:
    """The next item of the department's queue for the officer, earliest due first."""
    actor.require_department(department)
    task: Task | None = work.tasks.claim_next(department, actor.sub, now, idle_seconds)
    return task


def decide(
    work: Any,
    task_id: str,
    decision: Mapping[str, Any],
    actor: Actor,
    now: datetime,
    link: Callable[[str], str] = no_link,
) -> tuple[Task, Case]:
    """The answer of the officer (or the department's system) holding the task;
    `link(file id)` signs the result file's link result_ready carries."""
    calendar = work.calendar()
    task: Task = work.tasks.get(task_id, for_update=True)
    if actor.role == Role.SYSTEM:
        task.answerable_by_system(actor, work.departments.is_automated(task.department))
    task.require_holder(actor, now)
    case: Case = work.cases.get(task.dossier_code, for_update=True)
    case.decide(task, Decision.from_dict(decision), now, calendar, link)
    return task, case


def check_result_upload(work: Any, task_id: str, actor: Actor, now: datetime) -> None:
    """Before the body of a result upload is read: the officer holds the task, and it is
    the last step of a case still waiting for it."""
    task: Task = work.tasks.get(task_id)
    task.require_holder(actor, now)
    case: Case = work.cases.get(task.dossier_code)
    case.require_result_slot(task)


def attach_result(work: Any, task_id: str, actor: Actor, file: ResultFile, now: datetime) -> tuple[Case, str | None]:
    """The stored result file becomes the case's (checked again, locked: the task may
    have been decided while the file streamed in); the case and the SHA-256 replaced."""
    task: Task = work.tasks.get(task_id, for_update=True)
    task.require_holder(actor, now)
    case: Case = work.cases.get(task.dossier_code, for_update=True)
    replaced = case.attach_result(task, file)
    return case, replaced


def referenced_results(work: Any, candidates: Sequence[str]) -> set[str]:
    """Which of these SHA-256s a case names as its result file (what the sweep keeps)."""
    found: set[str] = work.cases.referenced_results(list(candidates))
    return found


def extend(work: Any, code: str, new_due: datetime, reason: str, actor: Actor, now: datetime) -> Case:
    """The apology with a new date (Form 04)."""
    calendar = work.calendar()
    case: Case = work.cases.get(code, for_update=True)
    case.extend(new_due, reason, actor, now, work.tasks.open_of(code), calendar)
    return case


def sweep_deadlines(work: Any, now: datetime, limit: int = 500) -> list[str]:
    """Record dossier_overdue once for each running case past its deadline; the codes."""
    return [case.dossier_code for case in work.cases.running_past_due(now, limit) if case.mark_overdue(now)]


def set_automated(work: Any, department: str, automated: bool, by: str, now: datetime) -> dict[str, Any]:
    """An admin marks a department's own system as the one answering its queue (or not)."""
    work.departments.mark(department, automated, by, now)
    return {"department": department, "automated": automated}
