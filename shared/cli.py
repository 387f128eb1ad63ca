"""`motcua`: the command-line tool of Một Cửa. Every subcommand has --help."""

import argparse
import importlib
import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from shared import config

log = logging.getLogger("motcua")

DEV_TOKENS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("counter", {"agency": "000.00.06.H56", "sub": "canbo.motcua"}),
    ("officer", {"department": "QLDT", "sub": "chuyenvien.qldt"}),
    ("officer", {"department": "LANHDAO", "sub": "lanhdao"}),
    ("officer", {"department": "TUPHAP", "sub": "chuyenvien.tuphap"}),
    ("portal", {"sub": "dichvucong"}),
    ("admin", {"sub": "quantri"}),
)


def cmd_serve(args):
    from shared import runner

    if args.processes > 1:
        sys.exit(_serve_processes(args.service, args.processes))
    runner.serve(args.service, replica=args.replica)


def _serve_processes(service, count):
    """The service in `count` processes sharing its port and its queues: the first
    migrates and runs the timers; the others start once it answers on /health."""
    if not os.environ.get("MOTCUA_DATABASE_URL"):
        print(
            f"motcua serve: --processes {count} needs PostgreSQL (MOTCUA_DATABASE_URL): "
            "several processes cannot share the SQLite files",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    exe = [sys.executable, "-m", "shared.cli", "serve", service]
    url = f"http://{config.local_address(config.bind_address())}:{config.port(service)}/health"
    processes = {}
    try:
        processes[f"{service}-1"] = subprocess.Popen(exe, cwd=config.ROOT, preexec_fn=_die_with_parent)
        _wait_healthy({f"{service}-1": url}, processes, 120)
        for i in range(2, count + 1):
            processes[f"{service}-{i}"] = subprocess.Popen(
                exe + ["--replica"], cwd=config.ROOT, preexec_fn=_die_with_parent
            )
        print(f"{service}: {count} processes on port {config.port(service)}", flush=True)
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        dead = [n for n, p in processes.items() if p.poll() is not None]
        print(f"motcua serve: {', '.join(dead)} stopped; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        print(f"motcua serve: {exc}", file=sys.stderr)
        return 1
    finally:
        stop_processes(processes)


def cmd_migrate(args):
    from shared import db, migrations

    for service in args.services or config.SERVED:
        url = db.database_url(service)
        print(f"migrating {service}: {url.render_as_string(hide_password=True)}")
        migrations.upgrade(service, url)


def cmd_token_issue(args):
    from shared import auth, secret_policy

    try:
        print(auth.issue(args.role, sub=args.sub, agency=args.agency, department=args.department, hours=args.hours))
    except ValueError as exc:
        sys.exit(f"motcua token issue: {exc}")
    except secret_policy.SecretMissing as exc:
        print(f"motcua token issue: {exc}", file=sys.stderr)
        sys.exit(2)


def _amqp_uri():
    return os.environ.get("MOTCUA_AMQP_URI", config.DEFAULT_AMQP_URI)


def cmd_dlq_list(args):
    from shared import dlq

    parked = dlq.list_parked(_amqp_uri(), args.service or config.SERVICES)
    if args.json:
        print(json.dumps(parked, ensure_ascii=False, indent=2))
        return
    if not parked:
        print("no parked messages")
        return
    for p in parked:
        print(
            f"[{p['service']}] {p['event_type']} {p['event_id'] or 'parked-id=' + p['parked_id']} "
            f"dossier={p['dossier_code']} queue={p['queue']} attempts={p['attempts']} "
            f"parked_at={p['parked_at']} via={p['received_via']}\n    error: {p['error']}"
        )
    print(f"{len(parked)} parked message(s)")


def cmd_dlq_replay(args):
    from shared import dlq

    skipped: list[dict] = []
    replayed = dlq.replay(
        _amqp_uri(),
        args.service or config.SERVICES,
        event_id=args.event_id,
        include_rejected=args.include_rejected,
        skipped=skipped,
    )
    for p in replayed:
        print(f"replayed [{p['service']}] {p['event_type']} {p['event_id'] or p['parked_id']} -> {p['queue']}")
    print(f"{len(replayed)} message(s) sent back to their queues")
    if skipped:
        print(
            f"{len(skipped)} message(s) left parked: malformed, refused or of no queue; they cannot succeed "
            "as they are (motcua dlq discard removes them; --include-rejected sends them back anyway)"
        )


def cmd_dlq_discard(args):
    from shared import dlq

    if not (args.event_id or args.all):
        sys.exit("motcua dlq discard: name the message with --event-id, or pass --all")
    discarded = dlq.discard(_amqp_uri(), args.service or config.SERVICES, event_id=args.event_id)
    for p in discarded:
        print(f"discarded [{p['service']}] {p['event_type']} {p['event_id'] or p['parked_id']}")
    print(f"{len(discarded)} message(s) discarded")


def cmd_broker_setup(args):
    from shared import broker_users

    try:
        admin = broker_users.administrator(args.management_url)
        passwords = broker_users.read_password_file(args.password_file) if args.password_file else {}
        uris = broker_users.setup(
            admin,
            args.amqp_uri,
            user_prefix=args.user_prefix,
            departments=args.department or (),
            passwords=passwords,
            create_vhost=args.create_vhost,
            reset_passwords=args.reset_passwords,
        )
    except (RuntimeError, ValueError) as exc:
        sys.exit(f"motcua broker setup: {exc}")
    if args.json:
        print(json.dumps(uris, indent=2))
        return
    print("\nMOTCUA_AMQP_URI of each service (department systems: --amqp-uri); passwords are shown only now:")
    for name, uri in uris.items():
        print(f"  {name:<24} {uri or '(existing user: password unchanged, not known here)'}")


def cmd_status(args):
    from shared import status

    states = status.system_status(args.host)
    print(json.dumps(states, ensure_ascii=False, indent=2) if args.json else status.render(states))
    if not all(s["up"] for s in states):
        sys.exit(1)


def _wait_healthy(urls, processes, timeout):
    import requests

    deadline = time.monotonic() + timeout
    waiting = dict(urls)
    while waiting and time.monotonic() < deadline:
        for name, proc in processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode} while starting")
        for name, url in list(waiting.items()):
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    print(f"  {name:<11} healthy  {url}", flush=True)
                    del waiting[name]
            except requests.RequestException:
                pass
        time.sleep(0.3)
    if waiting:
        raise RuntimeError(f"not healthy after {timeout:.0f}s: {', '.join(waiting)}")


def _die_with_parent():
    """Children of `motcua up` get SIGTERM if it dies (Linux), so none is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _without_password(uri):
    """A broker URI fit for a screen or a log: the password replaced by ***."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def devtools_installed():
    """Whether the development tools (devtools: carrier and SMS gateway simulators, example
    department system) are here: never in the production image."""
    return importlib.util.find_spec("devtools") is not None


def _interrupt(signum, frame):
    raise KeyboardInterrupt


DEVELOPMENT_NOTICE = "development mode: development secrets, demo data; never expose this"


def cmd_up(args):
    from shared import auth, runner

    signal.signal(signal.SIGTERM, _interrupt)
    # The quick start is a local trial: development mode unless the caller chose a mode.
    os.environ.setdefault("MOTCUA_ENV", config.DEVELOPMENT)
    if not args.no_carrier_sim and not devtools_installed():
        print(
            "Một Cửa: no simulators here (devtools is not installed): postal uses MOTCUA_CARRIER_URL, "
            "payments MOTCUA_PAYMENT_GATEWAY_URL, portal MOTCUA_NATIONAL_PORTAL_URL",
            flush=True,
        )
        args.no_carrier_sim = True
    if args.processes > 1 and not os.environ.get("MOTCUA_DATABASE_URL"):
        sys.exit(
            f"motcua up: --processes {args.processes} needs PostgreSQL (MOTCUA_DATABASE_URL): "
            "several processes of a service cannot share the SQLite files"
        )
    ports = {s: config.port(s) for s in config.SERVED}
    sim_port = int(os.environ.get("MOTCUA_CARRIER_SIM_PORT", 8010))
    gateway_port = int(os.environ.get("MOTCUA_PAYMENT_GATEWAY_SIM_PORT", 8011))
    portal_sim_port = int(os.environ.get("MOTCUA_PORTAL_SIM_PORT", 8012))
    simulators = (
        {}
        if args.no_carrier_sim
        else {"carrier-sim": sim_port, "payment-gateway-sim": gateway_port, "portal-sim": portal_sim_port}
    )
    busy = [
        f"{name} ({port})"
        for name, port in list(ports.items()) + list(simulators.items())
        if not runner.port_is_free(port)
    ]
    if busy:
        sys.exit(
            f"motcua up: port(s) already in use: {', '.join(busy)}. Is Một Cửa already running? "
            "Stop it, or move a port with MOTCUA_<SERVICE>_PORT."
        )
    env = dict(os.environ)
    env.setdefault("MOTCUA_CARRIER_URL", f"http://127.0.0.1:{sim_port}")
    env.setdefault("MOTCUA_POSTAL_CALLBACK_URL", f"http://127.0.0.1:{ports['postal']}/api/carrier/callback")
    env.setdefault("MOTCUA_PAYMENT_GATEWAY_URL", f"http://127.0.0.1:{gateway_port}")
    env.setdefault("MOTCUA_PAYMENTS_PUBLIC_URL", f"http://127.0.0.1:{ports['payments']}")
    env.setdefault("MOTCUA_NATIONAL_PORTAL_URL", f"http://127.0.0.1:{portal_sim_port}")
    env.setdefault("MOTCUA_PORTAL_PUBLIC_URL", f"http://127.0.0.1:{ports['portal']}")
    if config.development_mode():
        # the citizen's lookup reaches intake through the web service on this machine: intake
        # counts each citizen's own address (X-Forwarded-For) against the rate limit
        env.setdefault("MOTCUA_TRUSTED_PROXIES", "127.0.0.1")
    if config.development_mode():
        print(f"Một Cửa: {DEVELOPMENT_NOTICE} (MOTCUA_ENV=development)", flush=True)
    else:
        from shared import secret_policy

        problem = secret_policy.jwt_secret_problem(os.environ.get(secret_policy.JWT_SECRET_VAR))
        if problem:  # the services would each refuse to start: say it once, before starting any
            print(f"motcua up: MOTCUA_ENV={os.environ['MOTCUA_ENV']} (not development) and {problem}", file=sys.stderr)
            sys.exit(2)
    print(
        "Một Cửa: tokens signed with "
        + ("the DEVELOPMENT secret (MOTCUA_JWT_SECRET unset)" if auth.using_dev_secret() else "MOTCUA_JWT_SECRET"),
        flush=True,
    )
    where = (
        "PostgreSQL (MOTCUA_DATABASE_URL)" if env.get("MOTCUA_DATABASE_URL") else f"SQLite files in {config.var_dir()}"
    )
    broker = _without_password(env.get("MOTCUA_AMQP_URI", config.DEFAULT_AMQP_URI))
    print(f"Một Cửa: starting {len(config.SERVED)} services on {where}, broker {broker}", flush=True)
    exe = [sys.executable, "-m", "shared.cli"]
    processes = {}
    try:
        if not args.no_carrier_sim:
            processes["carrier-sim"] = subprocess.Popen(
                exe + ["carrier-sim", "--port", str(sim_port), "--step-seconds", str(args.carrier_step_seconds)],
                env=env,
                cwd=config.ROOT,
                preexec_fn=_die_with_parent,
            )
            processes["payment-gateway-sim"] = subprocess.Popen(
                exe
                + ["payment-gateway-sim", "--port", str(gateway_port)]
                + ["--ipn-url", env["MOTCUA_PAYMENTS_PUBLIC_URL"].rstrip("/") + "/api/payments/ipn"],
                env=env,
                cwd=config.ROOT,
                preexec_fn=_die_with_parent,
            )
            processes["portal-sim"] = subprocess.Popen(
                exe + ["portal-sim", "--port", str(portal_sim_port)],
                env=env,
                cwd=config.ROOT,
                preexec_fn=_die_with_parent,
            )
        for service in config.SERVED:
            several = ["--processes", str(args.processes)] if args.processes > 1 and service != config.WEB else []
            processes[service] = subprocess.Popen(
                exe + ["serve", service, *several], env=env, cwd=config.ROOT, preexec_fn=_die_with_parent
            )
        urls = {s: f"http://{config.local_address(config.bind_address())}:{p}/health" for s, p in ports.items()}
        urls.update({name: f"http://127.0.0.1:{port}/health" for name, port in simulators.items()})
        _wait_healthy(urls, processes, args.timeout)
        print("\nAll services are up:")
        for service, port in ports.items():
            print(f"  {service:<11} http://{config.local_address(config.bind_address())}:{port}")
        web = f"http://{config.local_address(config.bind_address())}:{ports[config.WEB]}"
        print(f"\nThe office's screens: {web}/dang-nhap  (citizens: {web}/tra-cuu)")
        if config.development_mode():
            from services.web.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

            print(f"DEMO accounts (password {DEMO_PASSWORD}):")
            for demo in DEMO_ACCOUNTS:
                where_ = demo.get("agency") or demo.get("department") or ""
                print(f"  {demo['username']:<18} {demo['role']:<8} {where_:<14} {demo['full_name']}")
        label = (
            "DEVELOPMENT tokens (signed with the development secret)"
            if auth.using_dev_secret()
            else "Tokens (signed with MOTCUA_JWT_SECRET)"
        )
        print(f"\n{label}:")
        for role, claims in DEV_TOKENS:
            detail = claims.get("agency") or claims.get("department") or ""
            print(f"  {role:<8} {detail:<14} {auth.issue(role, **claims)}")
        print("\nPress Ctrl-C to stop everything.", flush=True)
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        dead = [n for n, p in processes.items() if p.poll() is not None]
        print(f"motcua up: {', '.join(dead)} stopped; stopping the rest", file=sys.stderr)
        return_code = 1
    except KeyboardInterrupt:
        return_code = 0
    except RuntimeError as exc:
        print(f"motcua up: {exc}", file=sys.stderr)
        return_code = 1
    finally:
        stop_processes(processes)
    sys.exit(return_code)


def stop_processes(processes, grace=10):
    """SIGTERM to all at once, then SIGKILL to those still running after `grace` seconds."""
    for proc in processes.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in processes.values():
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, at least 1, not {text!r}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="motcua", description="Một Cửa: the one-stop dossier system.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser(
        "up",
        help="run every service (and the carrier, payment gateway and national portal simulators) with local defaults",
        description="Start intake, processing, postal, notify, payments, portal and web (and the simulators: "
        "carrier, payment gateway, national portal), "
        "wait until each /health "
        "answers, print URLs, development tokens and demo accounts; Ctrl-C stops everything.",
    )
    up.add_argument("--timeout", type=float, default=60, help="seconds to wait for health (default 60)")
    up.add_argument(
        "--no-carrier-sim",
        "--no-simulators",
        action="store_true",
        help="do not start the simulators (carrier, payment gateway, national portal)",
    )
    up.add_argument(
        "--carrier-step-seconds",
        type=float,
        default=2.0,
        help="seconds between the simulator's tracking updates (default 2)",
    )
    up.add_argument(
        "--processes",
        type=_positive,
        default=1,
        metavar="N",
        help="N processes of each service but web, sharing its port and queues (PostgreSQL only; default 1)",
    )
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser(
        "serve", help="run one service in the foreground", description="Migrate the service's database and run it."
    )
    serve.add_argument("service", choices=config.SERVED)
    serve.add_argument(
        "--processes",
        type=_positive,
        default=1,
        metavar="N",
        help="run N processes sharing the service's port and queues (PostgreSQL only; default 1)",
    )
    serve.add_argument(
        "--replica",
        action="store_true",
        help="a further process beside a running one: no migration, no timers (what --processes starts)",
    )
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser(
        "migrate",
        help="apply database migrations",
        description="Apply each service's Alembic migrations (all services by default).",
    )
    migrate.add_argument("services", nargs="*", choices=config.SERVED + ((),), metavar="SERVICE")
    migrate.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="JWT tokens", description="Issue tokens for the HTTP API.")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    issue = token_sub.add_parser(
        "issue",
        help="print a signed token",
        description="Print a token signed with MOTCUA_JWT_SECRET (the development secret "
        "only with MOTCUA_ENV=development). A department's own system gets "
        "--role department_system --department CODE.",
    )
    issue.add_argument("--role", required=True, choices=("counter", "officer", "portal", "admin", "department_system"))
    issue.add_argument("--agency", help="agency code (required for counter), e.g. 000.00.06.H56")
    issue.add_argument("--department", help="department code (required for officer and department_system), e.g. QLDT")
    issue.add_argument(
        "--sub", help="the user's identifier (default: <role>-user; system.<department> for department_system)"
    )
    issue.add_argument("--hours", type=int, default=12, help="validity in hours (default 12)")
    issue.set_defaults(func=cmd_token_issue)

    dlq = sub.add_parser("dlq", help="dead-letter queues", description="Inspect and replay parked messages.")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    dlq_list = dlq_sub.add_parser(
        "list",
        help="show parked messages with their error",
        description="Show messages parked in the services' dead-letter queues.",
    )
    dlq_list.add_argument("--service", action="append", choices=config.SERVICES, help="only this service (repeatable)")
    dlq_list.add_argument("--json", action="store_true", help="print JSON")
    dlq_list.set_defaults(func=cmd_dlq_list)
    dlq_replay = dlq_sub.add_parser(
        "replay",
        help="send parked messages back to their queues",
        description="Send parked messages back to the queue they failed in.",
    )
    dlq_replay.add_argument("--service", action="append", choices=config.SERVICES, help="only this service")
    dlq_replay.add_argument(
        "--event-id", "--parked-id", dest="event_id", help="only the message of this event id (or parked id, as listed)"
    )
    dlq_replay.add_argument(
        "--include-rejected",
        action="store_true",
        help="also send back messages parked as malformed or refused (e.g. after a fix)",
    )
    dlq_replay.set_defaults(func=cmd_dlq_replay)
    dlq_discard = dlq_sub.add_parser(
        "discard",
        help="delete parked messages that can never succeed",
        description="Delete parked messages (one with --event-id, or --all).",
    )
    dlq_discard.add_argument("--service", action="append", choices=config.SERVICES, help="only this service")
    dlq_discard.add_argument(
        "--event-id", "--parked-id", dest="event_id", help="only the message of this event id (or parked id, as listed)"
    )
    dlq_discard.add_argument("--all", action="store_true", help="every parked message of the chosen services")
    dlq_discard.set_defaults(func=cmd_dlq_discard)

    broker = sub.add_parser(
        "broker", help="RabbitMQ users and topology", description="Prepare a RabbitMQ virtual host for Một Cửa."
    )
    broker_sub = broker.add_subparsers(dest="broker_command", required=True, metavar="ACTION")
    setup = broker_sub.add_parser(
        "setup",
        help="one broker user per service, with only its own rights, and the whole topology",
        description="As the broker's administrator: create one user per service (and per automated department "
        "system with --department), allow each to publish only to its own exchanges and to read only "
        "its own queues (nobody may publish to the default exchange), declare every service's "
        "exchanges, queues and bindings, and print the AMQP URI each service puts in "
        "MOTCUA_AMQP_URI. Running it again changes nothing (existing users keep their password "
        "unless one is given or --reset-passwords is passed).",
    )
    setup.add_argument(
        "--amqp-uri",
        default=os.environ.get("MOTCUA_BROKER_ADMIN_URI") or _amqp_uri(),
        help="the administrator's AMQP URI; its virtual host is the one prepared "
        "(default MOTCUA_BROKER_ADMIN_URI, else MOTCUA_AMQP_URI)",
    )
    setup.add_argument(
        "--management-url",
        default=os.environ.get("MOTCUA_RABBIT_API"),
        help="the management API, http://admin:password@host:15672 (default MOTCUA_RABBIT_API); "
        "without it rabbitmqctl on this machine is used",
    )
    setup.add_argument("--create-vhost", action="store_true", help="create the virtual host when missing")
    setup.add_argument("--user-prefix", default="motcua-", help="prefix of the user names (default motcua-)")
    setup.add_argument(
        "--department",
        action="append",
        metavar="CODE",
        help="also a user for this automated department's system (repeatable)",
    )
    setup.add_argument(
        "--password-file",
        metavar="FILE",
        help="name=password lines (name: intake, ..., department-CODE); otherwise "
        "MOTCUA_BROKER_PASSWORD_<NAME>, otherwise generated for new users",
    )
    setup.add_argument(
        "--reset-passwords", action="store_true", help="give existing users a new password (generated unless given)"
    )
    setup.add_argument("--json", action="store_true", help="print the AMQP URIs as JSON")
    setup.set_defaults(func=cmd_broker_setup)

    status = sub.add_parser(
        "status",
        help="one-screen summary of the running system",
        description="Ask each service's /health and /metrics (ports from MOTCUA_<SERVICE>_PORT) "
        "and print whether it is up, its queue depths, retrying and dead-lettered "
        "messages, outbox lag and overdue work. Exits 1 when a service is down.",
    )
    status.add_argument("--host", help="where the services run (default 127.0.0.1, or MOTCUA_STATUS_HOST)")
    status.add_argument("--json", action="store_true", help="print JSON for machines")
    status.set_defaults(func=cmd_status)

    for service in config.SERVED:  # each service may add its own commands
        try:
            commands = importlib.import_module(f"services.{service}.commands")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{service}.commands":
                raise
            continue
        commands.register(sub)
    if devtools_installed():  # the simulators and the example department system
        importlib.import_module("devtools.commands").register(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        sys.exit(130)
    except (ConnectionError, OSError) as exc:
        sys.exit(f"motcua {args.command}: cannot reach a backend: {exc}")


if __name__ == "__main__":
    main()
