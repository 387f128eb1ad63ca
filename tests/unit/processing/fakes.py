"""processing's unit of work without a database: cases, tasks and hand-offs in
dicts and lists, the automated departments in a set, a fixed working calendar."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.processing.domain import errors
from services.processing.domain.model import Case, HandOff, Task
from shared.calendar import WorkingCalendar
from shared.clock import TZ
from shared.domain import DomainEvent
from tests.unit.fakes import FakeWork

__all__ = ["MORNING", "ROUTE", "TZ", "FakeProcessingWork", "received_data"]

# Thursday 26 Nov 2026, 08:00: a working morning; Fri 27 and Mon 30 are working days.
MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=TZ)
ROUTE = [{"department": "QLDT", "days": 2}, {"department": "TUPHAP", "days": 1}, {"department": "LANHDAO", "days": 1}]


def received_data(
    route: list[dict[str, Any]] | None = None,
    received_at: datetime = MORNING,
    due_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The `data` of dossier_received as the handler gets it (loaded)."""
    return {
        "procedure_code": "1.001776",
        "procedure_version": 1,
        "channel": "counter",
        "received_at": received_at,
        "due_at": due_at or datetime(2026, 12, 2, 8, 0, tzinfo=TZ),
        "route": route or ROUTE,
        "return_method": "counter",
        **extra,
    }


class FakeCases:
    def __init__(self, work: FakeProcessingWork) -> None:
        self.work = work
        self.items: dict[str, Case] = {}

    def find(self, code: str, for_update: bool = False) -> Case | None:
        case = self.items.get(code)
        return self.work.track(case) if case is not None else None

    def get(self, code: str, for_update: bool = False) -> Case:
        case = self.find(code, for_update)
        if case is None:
            raise errors.CaseNotFound(f"Không có hồ sơ {code}")
        return case

    def add(self, case: Case) -> Case:
        self.items[case.dossier_code] = case
        return self.work.track(case)

    def referenced_results(self, candidates: list[str]) -> set[str]:
        return {c.result_sha256 for c in self.items.values() if c.result_sha256 in candidates}

    def running_past_due(self, now: datetime, limit: int) -> list[Case]:
        found = sorted(
            (c for c in self.items.values() if c.status == "in_progress" and c.due_at < now and c.overdue_at is None),
            key=lambda c: c.due_at,
        )
        return [self.work.track(case) for case in found[:limit]]


class FakeTasks:
    def __init__(self) -> None:
        self.items: dict[str, Task] = {}

    def get(self, task_id: str, for_update: bool = False) -> Task:
        if task_id not in self.items:
            raise errors.TaskNotFound(f"Không có việc {task_id}")
        return self.items[task_id]

    def open_of(self, code: str) -> list[Task]:
        return [t for t in self.items.values() if t.dossier_code == code and t.is_open]

    def claim_next(self, department: str, holder: str, now: datetime, idle_seconds: float) -> Task | None:
        waiting = sorted(
            (t for t in self.items.values() if t.department == department and t.claimable(now, idle_seconds)),
            key=lambda t: (t.due_at, t.id),
        )
        if not waiting:
            return None
        waiting[0].take(holder, now)
        return waiting[0]

    def of(self, code: str) -> list[Task]:
        return sorted((t for t in self.items.values() if t.dossier_code == code), key=lambda t: t.step)


class FakeDepartments:
    def __init__(self) -> None:
        self.automated: set[str] = set()

    def is_automated(self, department: str) -> bool:
        return department in self.automated

    def mark(self, department: str, automated: bool, by: str, now: datetime) -> None:
        (self.automated.add if automated else self.automated.discard)(department)


class FakeProcessingWork(FakeWork):
    source = "processing"

    def __init__(self, calendar: WorkingCalendar | None = None) -> None:
        super().__init__()
        self.cases = FakeCases(self)
        self.tasks = FakeTasks()
        self.departments = FakeDepartments()
        self.hand_offs: list[HandOff] = []
        self.snapshot: Mapping[str, Any] | None = None
        self._calendar = calendar or WorkingCalendar()

    def calendar(self) -> WorkingCalendar:
        return self._calendar

    def store_calendar(self, snapshot: Mapping[str, Any]) -> None:
        self.snapshot = snapshot

    def publish_recorded(self) -> list[DomainEvent]:
        for aggregate in self._tracked:
            if isinstance(aggregate, Case):
                for part in aggregate.collect_new_parts():
                    if isinstance(part, Task):
                        self.tasks.items[part.id] = part
                    else:
                        self.hand_offs.append(part)
        return super().publish_recorded()

    def slip(self, code: str) -> list[HandOff]:
        return [h for h in self.hand_offs if h.dossier_code == code]
