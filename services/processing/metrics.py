"""processing's gauges for GET /metrics (read at scrape time; see shared/metrics.py)."""
import sqlalchemy as sa

from shared import clock
from shared.metrics import gauge
from services.processing.automation import task_queue_name
from services.processing.models import AutomatedDepartment, Task
from services.processing.workflow import OPEN


def collect(session):
    rows = session.execute(
        sa.select(Task.department, Task.status, sa.func.count(),
                  sa.func.count().filter(Task.due_at < clock.now()))
        .where(Task.status.in_(OPEN)).group_by(Task.department, Task.status)).all()
    overdue = {}
    for department, _, _, late in rows:
        overdue[(department,)] = overdue.get((department,), 0) + late
    return [
        gauge("motcua_tasks_open", "Open tasks in the departments' work queues (waiting or claimed)",
              {(department, status): count for department, status, count, _ in rows}, ["department", "status"]),
        gauge("motcua_tasks_overdue", "Open tasks past their due time, by department", overdue, ["department"]),
    ]


def queues(session):
    """The work queues of automated departments, watched beside the handler queues."""
    return {task_queue_name(d): "department" for d in session.scalars(sa.select(AutomatedDepartment.department))}
