"""Automated departments: their work is also published, as it becomes available, to
the department's own durable queue `processing.tasks.<department>` (through the
direct exchange `processing.tasks`, routing key = the department); the
department's software answers through nameko RPC (`processing.decide`).

The published rows are marked (tasks.dispatched_at) in the transaction that read
them, after the broker confirmed: a crash in between publishes a task twice, never
loses it, and a repeated task meets a 409 when the system answers it.
"""
import logging

import kombu
import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from shared import clock
from shared.http import to_json
from shared.messaging import PERSISTENT, ConfirmingPublisher, declare
from services.processing.models import AutomatedDepartment, Case, Task

log = logging.getLogger(__name__)


def task_queue_name(department):
    return f"processing.tasks.{department}"


TASKS_EXCHANGE = "processing.tasks"


def tasks_exchange():
    # its own exchange: publishing needs no write access to the default exchange
    return kombu.Exchange(TASKS_EXCHANGE, type="direct", durable=True, delivery_mode=PERSISTENT)


def task_queue(department):
    """Declared the same way by processing and by every consumer."""
    return kombu.Queue(task_queue_name(department), exchange=tasks_exchange(), routing_key=department,
                       durable=True, queue_arguments={"x-queue-type": "quorum"})


def consumable_task_queue(connection, department):
    """The department's queue for a consumer: declared as far as the consumer's
    broker user may (a department system's own user may only read it: `motcua broker
    setup --department` declares it), then consumed without declaring again."""
    queue = task_queue(department)
    declare(connection, [queue], may_skip=True)
    queue.no_declare = True
    return queue


def task_message(task, case):
    return {"task_id": task.id, "dossier_code": task.dossier_code, "department": task.department,
            "step": task.step, "available_at": task.available_at, "due_at": task.due_at,
            "procedure_code": case.procedure_code, "procedure_version": case.procedure_version}


class Dispatcher:
    """Publishes available work of automated departments (one per service process)."""

    def __init__(self, amqp_uri, publisher):
        self.amqp_uri = amqp_uri
        self.publisher = publisher
        self.declared = set()

    def _declare(self, departments):
        missing = [d for d in departments if d not in self.declared]
        if missing:
            with kombu.Connection(self.amqp_uri) as conn:
                declare(conn, [task_queue(d) for d in missing])
            self.declared.update(missing)

    def dispatch_once(self, uow, batch_size=200):
        """Publish up to batch_size waiting, available, unpublished tasks; returns how many."""
        with uow.transaction() as session:
            rows = session.execute(
                sa.select(Task, Case).join(Case, Case.dossier_code == Task.dossier_code)
                .join(AutomatedDepartment, AutomatedDepartment.department == Task.department)
                .where(Task.status == "waiting", Task.dispatched_at.is_(None), Task.available_at <= clock.now())
                .order_by(Task.due_at).limit(batch_size).with_for_update(of=Task, skip_locked=True)).all()
            if not rows:
                return 0
            self._declare({task.department for task, _ in rows})
            self.publisher.publish_batch([
                (tasks_exchange(), task.department, to_json(task_message(task, case)).encode("utf-8"),
                 {"x-motcua-dossier-code": task.dossier_code}) for task, case in rows])
            now = clock.now()
            for task, _ in rows:
                task.dispatched_at = now
        log.info("published %d task(s) to automated departments", len(rows))
        return len(rows)


class TaskDispatch(DependencyProvider):
    """The service's Dispatcher, with its own publisher connection."""

    def setup(self):
        uri = self.container.config["AMQP_URI"]
        self.dispatcher = Dispatcher(uri, ConfirmingPublisher(uri))

    def stop(self):
        self.dispatcher.publisher.close()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.dispatcher
