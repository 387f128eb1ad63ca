"""Repositories over processing's tables, and its unit of work.

Every change locks the rows it decides on (`for_update=True`), so two officers, a
department's system and the event handlers never act on the same case at once; the
claim and the overdue sweep skip rows another transaction holds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.processing.adapters import orm  # noqa: F401  (maps the domain classes)
from services.processing.domain import errors
from services.processing.domain.model import OPEN, AutomatedDepartment, Case, CaseStatus, Task, TaskStatus
from shared import calendar_store
from shared.calendar import WorkingCalendar
from shared.uow import UnitOfWork


class CaseRepository:
    def __init__(self, session: Session, work: UnitOfWork) -> None:
        self.session, self.work = session, work

    def find(self, code: str, for_update: bool = False) -> Case | None:
        query = sa.select(Case).where(orm.cases.c.dossier_code == code)
        case = self.session.scalars(query.with_for_update() if for_update else query).first()
        return self.work.track(case) if case is not None else None

    def get(self, code: str, for_update: bool = False) -> Case:
        case = self.find(code, for_update)
        if case is None:
            raise errors.CaseNotFound(f"Không có hồ sơ {code}")
        return case

    def add(self, case: Case) -> Case:
        self.session.add(case)
        return self.work.track(case)

    def referenced_results(self, candidates: list[str]) -> set[str]:
        """Which of these SHA-256s a case names as its result file."""
        if not candidates:
            return set()
        c = orm.cases.c
        return set(self.session.scalars(sa.select(c.result_sha256).where(c.result_sha256.in_(candidates)).distinct()))

    def running_past_due(self, now: datetime, limit: int) -> list[Case]:
        """Running cases past their deadline not yet announced overdue, earliest first
        (rows another transaction holds are left to the next sweep)."""
        c = orm.cases.c
        found = self.session.scalars(
            sa.select(Case)
            .where(c.status == CaseStatus.IN_PROGRESS, c.due_at < now, c.overdue_at.is_(None))
            .order_by(c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [self.work.track(case) for case in found]


class TaskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, task_id: str, for_update: bool = False) -> Task:
        query = sa.select(Task).where(orm.tasks.c.id == task_id)
        task = self.session.scalars(query.with_for_update() if for_update else query).first()
        if task is None:
            raise errors.TaskNotFound(f"Không có việc {task_id}")
        return task

    def open_of(self, code: str) -> list[Task]:
        t = orm.tasks.c
        return list(self.session.scalars(sa.select(Task).where(t.dossier_code == code, t.status.in_(OPEN))).all())

    def claim_next(self, department: str, holder: str, now: datetime, idle_seconds: float) -> Task | None:
        """Give the holder the next claimable item of the department, earliest due first
        (model.Task.claimable, in one statement). Rows another transaction is claiming
        are skipped, so two officers never get the same one."""
        t = orm.tasks.c
        lapsed = t.claimed_at < now - timedelta(seconds=idle_seconds)  # policies.claim_lapsed
        claimable = sa.or_(t.status == TaskStatus.WAITING, sa.and_(t.status == TaskStatus.CLAIMED, lapsed))
        next_item = (
            sa.select(t.id)
            .where(t.department == department, t.status.in_(OPEN), claimable, t.available_at <= now)
            .order_by(t.due_at, t.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        task: Task | None = self.session.scalars(
            sa.update(Task)
            .where(t.id == next_item)
            .values(
                status=TaskStatus.CLAIMED,
                claimed_by=holder,
                claimed_at=now,
                received_at=sa.func.coalesce(t.received_at, now),
            )
            .returning(Task)
            .execution_options(synchronize_session=False)
        ).first()
        return task


class AutomatedDepartments:
    """The departments an admin marked automated."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def is_automated(self, department: str) -> bool:
        return self.session.get(AutomatedDepartment, department) is not None

    def mark(self, department: str, automated: bool, by: str, now: datetime) -> None:
        row = self.session.get(AutomatedDepartment, department)
        if automated and row is None:
            self.session.add(AutomatedDepartment(department=department, since=now, set_by=by))
        elif not automated and row is not None:
            self.session.delete(row)


class ProcessingWork(UnitOfWork):
    """One change of processing: the cases it loads or adds, with the tasks and
    hand-offs they create, committed with the events they recorded."""

    source = "processing"

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.cases = CaseRepository(session, self)
        self.tasks = TaskRepository(session)
        self.departments = AutomatedDepartments(session)

    def calendar(self) -> WorkingCalendar:
        calendar: WorkingCalendar = calendar_store.load(self.session)
        return calendar

    def store_calendar(self, snapshot: Mapping[str, Any]) -> None:
        calendar_store.store(self.session, dict(snapshot))

    def publish_recorded(self) -> list[Any]:
        for aggregate in self._tracked:
            if isinstance(aggregate, Case):
                self.session.add_all(aggregate.collect_new_parts())
        return super().publish_recorded()
