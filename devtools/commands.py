"""The development tools' commands for `motcua` (registered only where devtools is installed)."""

import argparse
import json
import logging
import os
import sys
from typing import Any

from shared.config import DEFAULT_AMQP_URI
from shared.national_portal import PUSH_PATH
from shared.payment_gateway import SIMULATOR_MODES
from shared.secret_policy import DEV_CARRIER_SECRET, DEV_PAYMENT_SECRET, DEV_PORTAL_SECRET


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    _register_carrier_sim(sub)
    _register_sms_gateway_sim(sub)
    _register_payment_gateway_sim(sub)
    _register_portal_sim(sub)
    _register_department_worker(sub)


# carrier-sim: the postal carrier


def _schedule(text: str) -> Any:
    if text in ("auto", "manual"):
        return text
    return json.loads(text) if text.startswith("[") else [s.strip() for s in text.split(",") if s.strip()]


def _register_carrier_sim(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sim = sub.add_parser(
        "carrier-sim",
        help="run the postal carrier simulator",
        description="A local HTTP server that plays the postal carrier: takes orders and "
        "sends signed tracking callbacks. Tests steer it with POST /control.",
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("MOTCUA_CARRIER_SIM_PORT", 8010)),
        help="port to listen on (MOTCUA_CARRIER_SIM_PORT, default 8010)",
    )
    sim.add_argument(
        "--secret",
        default=os.environ.get("MOTCUA_CARRIER_SECRET", DEV_CARRIER_SECRET),
        help="HMAC secret for callbacks (MOTCUA_CARRIER_SECRET; default: postal's development value)",
    )
    sim.add_argument(
        "--api-key",
        default=os.environ.get("MOTCUA_CARRIER_API_KEY"),
        help="API key senders must present (MOTCUA_CARRIER_API_KEY; unset: any)",
    )
    sim.add_argument("--step-seconds", type=float, default=2.0, help="seconds between tracking updates")
    sim.add_argument("--failure-rate", type=float, default=0.0, help="probability that a delivery attempt fails")
    sim.add_argument("--delay-seconds", type=float, default=0.0, help="answer every order this late (a slow carrier)")
    sim.add_argument("--down", action="store_true", help="start 'down': answer orders with 503 until told otherwise")
    sim.add_argument(
        "--schedule",
        type=_schedule,
        default="auto",
        help="'auto' (by failure rate), 'manual' (callbacks only through POST /control/orders/"
        "<waybill>/callback), or delivery steps, e.g. accepted,in_transit,delivered",
    )
    sim.add_argument("--seed", type=int, default=None, help="random seed (waybills, failures)")
    sim.set_defaults(func=cmd_carrier_sim)


def cmd_carrier_sim(args: argparse.Namespace) -> None:
    from devtools.carrier_sim import CarrierSimulator, make_server

    logging.basicConfig(level=logging.INFO, format="carrier-sim: %(message)s")
    sim = CarrierSimulator(
        args.secret,
        step_seconds=args.step_seconds,
        failure_rate=args.failure_rate,
        seed=args.seed,
        api_key=args.api_key,
        delay_seconds=args.delay_seconds,
        down=args.down,
        schedule=args.schedule,
    )
    server = make_server(sim, args.host, args.port)
    print(
        f"carrier simulator on http://{args.host}:{args.port} (step {args.step_seconds}s, "
        f"failure rate {args.failure_rate}, schedule {args.schedule})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


# sms-gateway-sim: the SMS gateway of notify's http backend


def _register_sms_gateway_sim(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sim = sub.add_parser(
        "sms-gateway-sim",
        help="run a local SMS gateway simulator",
        description="A local HTTP server that plays an SMS gateway for notify's http SMS "
        "backend (MOTCUA_SMS_BACKEND=http): takes messages, drops repeated "
        "Idempotency-Keys, and sends signed delivery receipts.",
    )
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8011)
    sim.add_argument(
        "--key",
        default=os.environ.get("MOTCUA_SMS_GATEWAY_KEY", ""),
        help="API key the gateway requires (MOTCUA_SMS_GATEWAY_KEY); empty: none",
    )
    sim.add_argument(
        "--secret",
        default=os.environ.get("MOTCUA_SMS_GATEWAY_SECRET", ""),
        help="HMAC secret of delivery receipts (MOTCUA_SMS_GATEWAY_SECRET)",
    )
    sim.add_argument("--receipt-url", default=None, help="where to send delivery receipts (notify's /api/sms/receipts)")
    sim.set_defaults(func=cmd_gateway_sim)


def cmd_gateway_sim(args: argparse.Namespace) -> None:
    from devtools.sms_gateway_sim import GatewaySimulator, make_server

    logging.basicConfig(level=logging.INFO, format="sms-gateway-sim: %(message)s")
    server = make_server(GatewaySimulator(args.key, args.receipt_url, args.secret), args.host, args.port)
    print(f"SMS gateway simulator on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


# payment-gateway-sim: the online payment gateway of the payments service


def _register_payment_gateway_sim(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sim = sub.add_parser(
        "payment-gateway-sim",
        help="run the online payment gateway simulator",
        description="A local HTTP server that plays the online payment gateway of the payments service "
        "(shared/payment_gateway.py's protocol): the /pay page, signed IPN calls, query, the day's "
        "list and refunds. Tests steer it with POST /control/mode, /control/pay, /control/forget.",
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("MOTCUA_PAYMENT_GATEWAY_SIM_PORT", 8011)),
        help="port to listen on (MOTCUA_PAYMENT_GATEWAY_SIM_PORT, default 8011)",
    )
    sim.add_argument(
        "--merchant",
        default=os.environ.get("MOTCUA_PAYMENT_MERCHANT", "MOTCUA"),
        help="the merchant code it accepts (MOTCUA_PAYMENT_MERCHANT, default MOTCUA)",
    )
    sim.add_argument(
        "--secret",
        default=os.environ.get("MOTCUA_PAYMENT_SECRET", DEV_PAYMENT_SECRET),
        help="the merchant's HMAC-SHA512 secret (MOTCUA_PAYMENT_SECRET; default: the development value)",
    )
    sim.add_argument(
        "--ipn-url",
        default=os.environ.get("MOTCUA_PAYMENTS_PUBLIC_URL", "http://127.0.0.1:8005").rstrip("/") + "/api/payments/ipn",
        help="where to send the IPN calls (default: MOTCUA_PAYMENTS_PUBLIC_URL + /api/payments/ipn)",
    )
    sim.add_argument(
        "--mode",
        choices=SIMULATOR_MODES,
        default="success",
        help="how results reach the merchant (change it with POST /control/mode)",
    )
    sim.add_argument("--delay-seconds", type=float, default=5.0, help="how late the IPN comes in mode 'late'")
    sim.set_defaults(func=cmd_payment_gateway_sim)


def cmd_payment_gateway_sim(args: argparse.Namespace) -> None:
    from devtools.payment_gateway_sim import PaymentGatewaySimulator, make_server

    logging.basicConfig(level=logging.INFO, format="payment-gateway-sim: %(message)s")
    sim = PaymentGatewaySimulator(args.merchant, args.secret, args.ipn_url, args.mode, args.delay_seconds)
    server = make_server(sim, args.host, args.port)
    print(
        f"payment gateway simulator on http://{args.host}:{args.port} (merchant {args.merchant}, "
        f"IPN to {args.ipn_url}, mode {args.mode})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


# portal-sim: the national public service portal of the portal connector


def _register_portal_sim(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sim = sub.add_parser(
        "portal-sim",
        help="run the national public service portal simulator",
        description="A local HTTP server that plays the national public service portal (Cổng Dịch vụ công "
        "quốc gia) for the portal connector (shared/national_portal.py's protocol): takes signed status "
        "records, serves the dossier poll, files and the national catalogue, and pushes signed dossiers. "
        "Tests steer it with POST /control/dossiers, /control/down, /control/slow, /control/errors.",
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("MOTCUA_PORTAL_SIM_PORT", 8012)),
        help="port to listen on (MOTCUA_PORTAL_SIM_PORT, default 8012)",
    )
    sim.add_argument(
        "--secret",
        default=os.environ.get("MOTCUA_PORTAL_SECRET", DEV_PORTAL_SECRET),
        help="the HMAC-SHA256 secret shared with the connector (MOTCUA_PORTAL_SECRET; default: the development value)",
    )
    sim.add_argument(
        "--push-url",
        default=os.environ.get("MOTCUA_PORTAL_PUBLIC_URL", "http://127.0.0.1:8006").rstrip("/") + PUSH_PATH,
        help=f"where to push dossiers (default: MOTCUA_PORTAL_PUBLIC_URL + {PUSH_PATH})",
    )
    sim.add_argument(
        "--province",
        default=os.environ.get("MOTCUA_PORTAL_PROVINCE", "H56"),
        help="its province: the catalogue served when a request names none, and that of a dossier whose "
        "agency code names none (MOTCUA_PORTAL_PROVINCE, default H56)",
    )
    sim.add_argument(
        "--catalog",
        default=None,
        help="a JSON file of the national catalogue's format, {procedures: [...]}, to serve instead of "
        "intake's demo catalogue",
    )
    sim.set_defaults(func=cmd_portal_sim)


def cmd_portal_sim(args: argparse.Namespace) -> None:
    from devtools.portal_sim import PortalSimulator, load_catalog, make_server

    logging.basicConfig(level=logging.INFO, format="portal-sim: %(message)s")
    try:
        catalog = load_catalog(args.catalog) if args.catalog else None
    except ValueError as exc:
        print(f"motcua portal-sim: {exc}", file=sys.stderr)
        sys.exit(2)
    server = make_server(PortalSimulator(args.secret, args.push_url, args.province, catalog), args.host, args.port)
    print(
        f"national portal simulator on http://{args.host}:{args.port} (province {args.province}, "
        f"dossiers pushed to {args.push_url})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


# department-worker: an example department system answering processing's work queue


def _register_department_worker(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    worker = sub.add_parser(
        "department-worker",
        help="run an example department system that answers its work queue",
        description="Consume processing.tasks.DEPARTMENT (work of a department marked automated with "
        "PUT /api/departments/DEPARTMENT/automation) and answer every task through nameko RPC.",
    )
    worker.add_argument("--department", required=True, help="department code, e.g. TUPHAP")
    worker.add_argument(
        "--approve-all",
        action="store_true",
        required=True,
        help="approve every task (the only policy of this example system)",
    )
    worker.add_argument(
        "--note", default="Hệ thống phòng ban tự động phê duyệt", help="note recorded with each decision"
    )
    worker.add_argument("--max-tasks", type=int, default=None, help="stop after answering this many tasks")
    worker.add_argument(
        "--amqp-uri",
        default=os.environ.get("MOTCUA_AMQP_URI", DEFAULT_AMQP_URI),
        help="RabbitMQ (default MOTCUA_AMQP_URI)",
    )
    worker.add_argument(
        "--token",
        default=os.environ.get("MOTCUA_DEPARTMENT_TOKEN"),
        help="the department's credential (MOTCUA_DEPARTMENT_TOKEN): "
        "`motcua token issue --role department_system --department CODE`; in development "
        "mode (MOTCUA_ENV=development) one is minted when absent",
    )
    worker.set_defaults(func=cmd_department_worker)


def department_token(args: argparse.Namespace) -> str:
    """The worker's credential: given, or in development mode minted from the development
    secret. Elsewhere a department's system never holds the signing secret: no token, no start."""
    if args.token:
        return str(args.token).strip()
    from shared import auth, config

    if config.development_mode():
        print(
            f"department-worker {args.department}: development mode, using a department_system token "
            "minted here (give --token / MOTCUA_DEPARTMENT_TOKEN elsewhere)",
            flush=True,
        )
        return str(auth.issue("department_system", department=args.department))
    print(
        "motcua department-worker: no department credential: pass --token or set MOTCUA_DEPARTMENT_TOKEN "
        f"(`motcua token issue --role department_system --department {args.department}`)",
        file=sys.stderr,
    )
    sys.exit(2)


def cmd_department_worker(args: argparse.Namespace) -> None:
    from devtools.department_worker import CredentialRefused, DepartmentWorker

    logging.basicConfig(level=logging.WARNING, format="department-worker: %(message)s")
    worker = DepartmentWorker(
        args.amqp_uri, args.department, {"action": "approve", "note": args.note}, department_token(args)
    )
    try:
        worker.run(max_tasks=args.max_tasks)
    except CredentialRefused as exc:
        print(
            f"motcua department-worker: processing refused the department credential ({exc}); "
            "issue a new one with `motcua token issue --role department_system`",
            file=sys.stderr,
        )
        sys.exit(2)
