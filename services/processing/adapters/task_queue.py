"""Automated departments' own systems: their work is also published, as it becomes
available, to the department's durable queue `processing.tasks.<department>`
(through the direct exchange `processing.tasks`, routing key = the department); the
department's software answers through nameko RPC (`processing.decide_task`).

The published rows are marked (tasks.dispatched_at) in the transaction that read
them, after the broker confirmed: a crash in between publishes a task twice, never
loses it, and a repeated task meets a 409 when the system answers it.
"""

from __future__ import annotations

import logging
from typing import Any

import kombu
import sqlalchemy as sa

from services.processing.adapters.orm import automated_departments, cases, tasks
from services.processing.domain.model import TaskStatus
from shared import clock
from shared.db import Sessions
from shared.http import to_json
from shared.messaging import PERSISTENT, ConfirmingPublisher, declare

log = logging.getLogger(__name__)

TASKS_EXCHANGE = "processing.tasks"


def task_queue_name(department: str) -> str:
    return f"processing.tasks.{department}"


def tasks_exchange() -> kombu.Exchange:
    # its own exchange: publishing needs no write access to the default exchange
    return kombu.Exchange(TASKS_EXCHANGE, type="direct", durable=True, delivery_mode=PERSISTENT)


def task_queue(department: str) -> kombu.Queue:
    """Declared the same way by processing and by every consumer."""
    return kombu.Queue(
        task_queue_name(department),
        exchange=tasks_exchange(),
        routing_key=department,
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def consumable_task_queue(connection: kombu.Connection, department: str) -> kombu.Queue:
    """The department's queue for a consumer: declared as far as the consumer's
    broker user may (a department system's own user may only read it: `motcua broker
    setup --department` declares it), then consumed without declaring again."""
    queue = task_queue(department)
    declare(connection, [queue], may_skip=True)
    queue.no_declare = True  # type: ignore[attr-defined]  # kombu reads it, its stubs do not know it
    return queue


def task_message(row: Any) -> dict[str, Any]:
    return {
        "task_id": row.id,
        "dossier_code": row.dossier_code,
        "department": row.department,
        "step": row.step,
        "available_at": row.available_at,
        "due_at": row.due_at,
        "procedure_code": row.procedure_code,
        "procedure_version": row.procedure_version,
    }


class Dispatcher:
    """Publishes available work of automated departments (one per service process)."""

    def __init__(self, amqp_uri: str, publisher: ConfirmingPublisher) -> None:
        self.amqp_uri = amqp_uri
        self.publisher = publisher
        self.declared: set[str] = set()

    def _declare(self, departments: set[str]) -> None:
        missing = [d for d in departments if d not in self.declared]
        if missing:
            with kombu.Connection(self.amqp_uri) as conn:
                declare(conn, [task_queue(d) for d in missing])
            self.declared.update(missing)

    def dispatch_once(self, sessions: Sessions, batch_size: int = 200) -> int:
        """Publish up to batch_size waiting, available, unpublished tasks; returns how many."""
        t = tasks.c
        with sessions.transaction() as session:
            rows = session.execute(
                sa.select(
                    t.id,
                    t.dossier_code,
                    t.department,
                    t.step,
                    t.available_at,
                    t.due_at,
                    cases.c.procedure_code,
                    cases.c.procedure_version,
                )
                .join(cases, cases.c.dossier_code == t.dossier_code)
                .join(automated_departments, automated_departments.c.department == t.department)
                .where(t.status == TaskStatus.WAITING, t.dispatched_at.is_(None), t.available_at <= clock.now())
                .order_by(t.due_at)
                .limit(batch_size)
                .with_for_update(of=tasks, skip_locked=True)
            ).all()
            if not rows:
                return 0
            self._declare({row.department for row in rows})
            self.publisher.publish_batch(
                [
                    (
                        tasks_exchange(),
                        row.department,
                        to_json(task_message(row)).encode("utf-8"),
                        {"x-motcua-dossier-code": row.dossier_code},
                    )
                    for row in rows
                ]
            )
            session.execute(
                sa.update(tasks).where(t.id.in_([row.id for row in rows])).values(dispatched_at=clock.now())
            )
        log.info("published %d task(s) to automated departments", len(rows))
        return len(rows)
