"""processing's commands for `motcua`."""
import logging
import os
import sys

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
    worker.add_argument("--token", default=os.environ.get("MOTCUA_DEPARTMENT_TOKEN"),
                        help="the department's credential (MOTCUA_DEPARTMENT_TOKEN): "
                             "`motcua token issue --role department_system --department CODE`; in development "
                             "mode (MOTCUA_ENV=development) one is minted when absent")
    worker.set_defaults(func=cmd_department_worker)


def department_token(args):
    """The worker's credential: given, or in development mode minted from the development
    secret. Elsewhere a department's system never holds the signing secret: no token, no start."""
    if args.token:
        return args.token.strip()
    from shared import auth, config
    if config.development_mode():
        print(f"department-worker {args.department}: development mode, using a department_system token "
              "minted here (give --token / MOTCUA_DEPARTMENT_TOKEN elsewhere)", flush=True)
        return auth.issue("department_system", department=args.department)
    print("motcua department-worker: no department credential: pass --token or set MOTCUA_DEPARTMENT_TOKEN "
          f"(`motcua token issue --role department_system --department {args.department}`)", file=sys.stderr)
    sys.exit(2)


def cmd_department_worker(args):
    from services.processing.worker import CredentialRefused, DepartmentWorker
    logging.basicConfig(level=logging.WARNING, format="department-worker: %(message)s")
    worker = DepartmentWorker(args.amqp_uri, args.department, {"action": "approve", "note": args.note},
                              department_token(args))
    try:
        worker.run(max_tasks=args.max_tasks)
    except CredentialRefused as exc:
        print(f"motcua department-worker: processing refused the department credential ({exc}); "
              "issue a new one with `motcua token issue --role department_system`", file=sys.stderr)
        sys.exit(2)
