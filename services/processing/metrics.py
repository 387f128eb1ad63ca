"""processing's gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""

import sqlalchemy as sa

from services.processing.adapters.orm import automated_departments, tasks
from services.processing.adapters.task_queue import task_queue_name
from services.processing.domain.model import OPEN
from shared import clock
from shared.metrics import gauge


def collect(session):
    t = tasks.c
    rows = session.execute(
        sa.select(t.department, t.status, sa.func.count(), sa.func.count().filter(t.due_at < clock.now()))
        .where(t.status.in_(OPEN))
        .group_by(t.department, t.status)
    ).all()
    overdue: dict[tuple[str], int] = {}
    for department, _, _, late in rows:
        overdue[(department,)] = overdue.get((department,), 0) + late
    return [
        gauge(
            "motcua_tasks_open",
            "Open tasks in the departments' work queues (waiting or claimed)",
            {(department, status): count for department, status, count, _ in rows},
            ["department", "status"],
        ),
        gauge("motcua_tasks_overdue", "Open tasks past their due time, by department", overdue, ["department"]),
    ]


def queues(session):
    """The work queues of automated departments, watched beside the handler queues."""
    return {task_queue_name(d): "department" for d in session.scalars(sa.select(automated_departments.c.department))}
