"""processing's commands for `motcua`."""
import logging
import os

from shared.config import DEFAULT_AMQP_URI


def register(sub):
    worker = sub.add_parser(
        "department-worker", help="run an example department system that answers its work queue",
        description="Consume processing.tasks.DEPARTMENT (work of a department marked automated with "
                    "PUT /api/departments/DEPARTMENT/automation) and answer every task through nameko RPC.")
    worker.add_argument("--department", required=True, help="department code, e.g. TUPHAP")
    worker.add_argument("--approve-all", action="store_true", required=True,
                        help="approve every task (the only policy of this example system)")
    worker.add_argument("--note", default="Hệ thống phòng ban tự động phê duyệt",
                        help="note recorded with each decision")
    worker.add_argument("--max-tasks", type=int, default=None, help="stop after answering this many tasks")
    worker.add_argument("--amqp-uri", default=os.environ.get("MOTCUA_AMQP_URI", DEFAULT_AMQP_URI),
                        help="RabbitMQ (default MOTCUA_AMQP_URI)")
    worker.set_defaults(func=cmd_department_worker)


def cmd_department_worker(args):
    from services.processing.worker import DepartmentWorker
    logging.basicConfig(level=logging.WARNING, format="department-worker: %(message)s")
    worker = DepartmentWorker(args.amqp_uri, args.department, {"action": "approve", "note": args.note})
    worker.run(max_tasks=args.max_tasks)
