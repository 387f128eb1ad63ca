"""The read side: the work queues, task views, the apology (Form 04), the control
slip (Form 05) and the lists the scope checks and the admin need, answered straight
from SQL (plain rows are several times cheaper than loaded objects)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.processing.adapters.orm import automated_departments as automated_table
from services.processing.adapters.orm import cases, hand_offs, tasks
from services.processing.domain import errors, policies
from services.processing.domain.model import OPEN, TaskStatus
from shared import calendar_store, scope
from shared.calendar import WorkingCalendar

# what task_view reads
VIEW_COLUMNS = (
    tasks.c.id,
    tasks.c.dossier_code,
    tasks.c.department,
    tasks.c.step,
    tasks.c.status,
    tasks.c.available_at,
    tasks.c.due_at,
    tasks.c.claimed_by,
    tasks.c.claimed_at,
    tasks.c.decision,
)


def task_view(task: Any, now: datetime, soon: datetime | None = None) -> dict[str, Any]:
    """A task (model.Task, or a row of VIEW_COLUMNS) as the API shows it."""
    view = {
        "task_id": task.id,
        "dossier_code": task.dossier_code,
        "department": task.department,
        "step": task.step,
        "status": task.status,
        "available_at": task.available_at,
        "due_at": task.due_at,
        "claimed_by": task.claimed_by,
        "claimed_at": task.claimed_at,
        "decision": task.decision,
    }
    view.update(policies.flags(task.due_at, now, soon or now))
    return view


def queue(
    session: Session, department: str, now: datetime, limit: int = 100, calendar: WorkingCalendar | None = None
) -> dict[str, Any]:
    """Open items of a department (waiting, and held with who holds them), earliest
    due first, with overdue / due-soon flags and the department's counts."""
    calendar = calendar or cached_calendar(session)
    soon = policies.due_soon_limit(calendar, now)
    t = tasks.c
    in_queue = (t.department == department, t.status.in_(OPEN))
    counts = (
        sa.select(
            sa.func.count(),  # over every open item (an index-only scan), joined as one row
            sa.func.count().filter(t.status == TaskStatus.CLAIMED),
            sa.func.count().filter(t.due_at < now),
            sa.func.count().filter(t.due_at >= now, t.due_at <= soon),
        )
        .where(*in_queue)
        .subquery()
    )
    rows = session.execute(
        sa.select(*VIEW_COLUMNS, counts)
        .select_from(tasks)
        .join(counts, sa.true())
        .where(*in_queue)
        .order_by(t.due_at, t.id)
        .limit(limit)
    ).all()
    return {
        "department": department,
        "counts": dict(
            zip(
                ("open", "claimed", "overdue", "due_soon"),
                rows[0][len(VIEW_COLUMNS) :] if rows else (0,) * 4,
                strict=True,
            )
        ),
        "items": [task_view(row, now, soon) for row in rows],
    }


_calendar_cache: dict[str, Any] = {"calendar": None, "loaded": 0.0}
CALENDAR_TTL_SECONDS = 60


def cached_calendar(session: Session) -> WorkingCalendar:
    """The calendar for the queue's advisory flags, re-read at most once a minute
    (and at once after this process stored a calendar_changed)."""
    if _calendar_cache["calendar"] is None or time.monotonic() - _calendar_cache["loaded"] > CALENDAR_TTL_SECONDS:
        _calendar_cache.update(calendar=calendar_store.load(session), loaded=time.monotonic())
    calendar: WorkingCalendar = _calendar_cache["calendar"]
    return calendar


def forget_calendar() -> None:
    _calendar_cache["calendar"] = None


def due_soon_steps(session: Session, now: datetime) -> dict[str, int]:
    """Open steps per department that fall due within one working day (not yet late)."""
    t = tasks.c
    rows = session.execute(
        sa.select(t.department, sa.func.count())
        .where(
            t.status.in_(OPEN), t.due_at >= now, t.due_at <= policies.due_soon_limit(calendar_store.load(session), now)
        )
        .group_by(t.department)
    ).all()
    return {department: count for department, count in rows}


def departments_of(session: Session, code: str) -> Sequence[str]:
    """Departments of which a task of the dossier is or was (the officers who may read it)."""
    t = tasks.c
    return session.scalars(
        sa.select(t.department).where(t.dossier_code == code).distinct().order_by(t.department)
    ).all()


def dossier_tasks(session: Session, code: str, now: datetime) -> dict[str, Any]:
    """Every step of a dossier in the departments' queues, in order (a transfer or a
    supplement makes a step appear again): the task view with when it was decided
    and its note. 404 for a dossier processing does not know."""
    if _case(session, code) is None:
        raise errors.CaseNotFound(f"Không có hồ sơ {code}")
    t = tasks.c
    rows = session.execute(
        sa.select(*VIEW_COLUMNS, t.decided_at, t.note)
        .where(t.dossier_code == code)
        .order_by(t.step, t.available_at, t.id)
    ).all()
    soon = policies.due_soon_limit(cached_calendar(session), now)
    return {
        "dossier_code": code,
        "tasks": [{**task_view(row, now, soon), "decided_at": row.decided_at, "note": row.note} for row in rows],
    }


# The departments that ever had a task: a loose index scan of ix_tasks_queue (one
# index probe per department, not a scan of every task), portable to SQLite.
_DEPARTMENTS_OF_TASKS = sa.text(
    """
    WITH RECURSIVE seen(department) AS (
        SELECT MIN(department) FROM tasks
        UNION ALL
        SELECT (SELECT MIN(t.department) FROM tasks t WHERE t.department > seen.department)
        FROM seen WHERE seen.department IS NOT NULL
    )
    SELECT department FROM seen WHERE department IS NOT NULL
    """
)


def known_departments(session: Session) -> list[str]:
    """The departments processing knows: those that had a task, and those marked
    automated (the catalogue's routes are intake's: a screen adds them itself)."""
    found = set(session.scalars(_DEPARTMENTS_OF_TASKS).all())
    found.update(automated_departments(session))
    return sorted(found)


def extension_view(case: Any) -> dict[str, Any] | None:
    if case.extended_at is None:
        return None
    return {
        "reason": case.extension_reason,
        "old_due_at": case.old_due_at,
        "new_due_at": case.due_at,
        "extended_at": case.extended_at,
        "extended_by": case.extended_by,
    }


def _case(session: Session, code: str) -> Any:
    return session.execute(sa.select(cases).where(cases.c.dossier_code == code)).first()


def agency_view(code: str, agency: Any) -> dict[str, Any]:
    """The agency that signs the apology, as dossier_received described it; for a
    dossier announced without it, its code (the first part of the dossier code)
    stands for its name."""
    agency = dict(agency or {})
    agency_code = agency.get("code") or scope.agency_of(code) or ""
    return {
        "code": agency_code,
        "name": agency.get("name") or agency_code,
        "head_title": agency.get("head_title") or None,
        "place": agency.get("place") or None,
    }


def extension_answer(case: Any) -> dict[str, Any]:
    """The apology with a new date (Form 04) of an extended case (model.Case or row):
    the agency's letter to the applicant."""
    return {
        "dossier_code": case.dossier_code,
        "procedure_code": case.procedure_code,
        "received_at": case.received_at,
        "applicant_name": case.applicant_name,
        "agency": agency_view(case.dossier_code, case.agency),
        **(extension_view(case) or {}),
    }


def extension(session: Session, code: str) -> dict[str, Any]:
    """The apology with a new date (Form 04) of a dossier."""
    case = _case(session, code)
    if case is None or case.extended_at is None:
        raise errors.CaseNotFound(f"Hồ sơ {code} chưa có phiếu xin lỗi và hẹn lại")
    return extension_answer(case)


def control_slip(session: Session, code: str) -> dict[str, Any]:
    """Every hand-off of the dossier with its verdict: ahead, on time or late (Form 05)."""
    case = _case(session, code)
    if case is None:
        raise errors.CaseNotFound(f"Không có hồ sơ {code}")
    h = hand_offs.c
    rows = session.execute(sa.select(hand_offs).where(h.dossier_code == code).order_by(h.id)).all()
    taken = {
        task_id: received_at
        for task_id, received_at in session.execute(
            sa.select(tasks.c.id, tasks.c.received_at).where(tasks.c.dossier_code == code)
        )
    }
    return {
        "dossier_code": code,
        "procedure_code": case.procedure_code,
        "status": case.status,
        "received_at": case.received_at,
        "due_at": case.due_at,
        "finished_at": case.finished_at,
        "extension": extension_view(case),
        "hand_offs": [
            {
                "from": r.from_party,
                "to": r.to_party,
                "handed_over_at": r.handed_over_at,
                "received_at": r.received_at or taken.get(r.task_id),
                "due_at": r.due_at,
                "sender_due_at": r.sender_due_at,
                "timeliness": policies.timeliness(r.handed_over_at, r.sender_due_at),
                "note": r.note,
            }
            for r in rows
        ],
    }


def automated_departments(session: Session) -> Sequence[str]:
    return session.scalars(sa.select(automated_table.c.department).order_by(automated_table.c.department)).all()
