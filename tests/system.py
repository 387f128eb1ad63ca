"""The services as real processes (and the carrier simulator), on this run's
PostgreSQL databases and RabbitMQ virtual host, with helpers that drive them over
HTTP as the counter, the departments and the citizen would. The `system` fixture
(tests/conftest.py) gives every test folder one running installation."""

import os
import signal
import socket
import subprocess
import sys
import uuid
from datetime import datetime

import requests
import sqlalchemy as sa

from shared import auth, clock
from shared.cli import stop_processes
from shared.config import ROOT, SERVED
from tests.helpers import wait_for

TEST_SECRET = "e2e-test-secret-of-at-least-32-bytes"
SMS_RECEIPT_SECRET = "e2e-sms-receipt-secret-of-32-bytes-or-more"
PAYMENT_SECRET = "e2e-payment-secret-of-32-bytes-or-more"
PAYMENT_MERCHANT = "MOTCUA"
PORTAL_SECRET = "e2e-portal-secret-of-32-bytes-or-more"
AGENCY = "000.00.06.H56"
# A Thursday morning: every test of a run sees the same working day.
BUSINESS_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class System:
    """Starts, kills and restarts the processes of one Một Cửa installation."""

    def __init__(self, amqp_uri, db_server, db_prefix, logdir):
        self.ports = {s: free_port() for s in SERVED}  # web starts only where a test needs it (tests/web)
        self.sim_port = free_port()
        self.gateway_port = free_port()  # the payment gateway simulator, started where a test needs it
        self.portal_sim_port = free_port()  # the national portal simulator, started where a test needs it
        self.db_server, self.db_prefix = db_server, db_prefix
        self.logdir = logdir
        self.env = {
            **os.environ,
            "MOTCUA_AMQP_URI": amqp_uri,
            "MOTCUA_DATABASE_URL": db_server,
            "MOTCUA_DATABASE_PREFIX": db_prefix,
            "MOTCUA_JWT_SECRET": TEST_SECRET,
            "MOTCUA_BIND": "127.0.0.1",
            "MOTCUA_RETRY_DELAYS_MS": "[200, 500, 1000, 2000]",
            "MOTCUA_OUTBOX_POLL_SECONDS": "0.5",
            "MOTCUA_CLAIM_IDLE_SECONDS": "5",
            "MOTCUA_NOTIFY_SWEEP_SECONDS": "2",
            "MOTCUA_CLOCK_OFFSET_SECONDS": str(clock.offset_to(BUSINESS_MORNING)),
            "MOTCUA_CARRIER_URL": f"http://127.0.0.1:{self.sim_port}",
            "MOTCUA_CARRIER_SECRET": "e2e-carrier-secret",
            "MOTCUA_CARRIER_API_KEY": "e2e-carrier-api-key",
            "MOTCUA_POSTAL_CALLBACK_URL": f"http://127.0.0.1:{self.ports['postal']}/api/carrier/callback",
            "MOTCUA_VAR_DIR": str(logdir),
            # a body that stalls is cut off after this long (tests/security wait for it)
            "MOTCUA_HTTP_READ_TIMEOUT_SECONDS": "3",
            "MOTCUA_SMS_GATEWAY_SECRET": SMS_RECEIPT_SECRET,
            "MOTCUA_PAYMENT_GATEWAY_URL": f"http://127.0.0.1:{self.gateway_port}",
            "MOTCUA_PAYMENT_SECRET": PAYMENT_SECRET,
            "MOTCUA_PAYMENTS_PUBLIC_URL": f"http://127.0.0.1:{self.ports['payments']}",
            "MOTCUA_NATIONAL_PORTAL_URL": f"http://127.0.0.1:{self.portal_sim_port}",
            "MOTCUA_PORTAL_SECRET": PORTAL_SECRET,
            "MOTCUA_PORTAL_SEND_SECONDS": "0.2",
            "MOTCUA_PORTAL_RETRY_MAX_SECONDS": "2",
            "MOTCUA_PORTAL_POLL_SECONDS": "2",
            # the business clock stays in the morning: no nightly catalogue pull under the tests
            "MOTCUA_PORTAL_CATALOG_PULL_AT": "23:59",
            "MOTCUA_WEB_SECURE_COOKIE": "false",  # the tests speak plain HTTP to 127.0.0.1
            **{f"MOTCUA_{s.upper()}_PORT": str(p) for s, p in self.ports.items()},
        }
        self.service_env = {}  # name -> variables of that process only (e.g. its own broker user)
        self.processes = {}
        self.engines = {}

    def command(self, name):
        if name == "carrier-sim":
            return [
                "carrier-sim",
                "--port",
                str(self.sim_port),
                "--step-seconds",
                "0.2",
                "--secret",
                "e2e-carrier-secret",
            ]
        if name == "payment-gateway-sim":
            from devtools.payment_gateway_sim import command

            ipn_url = f"http://127.0.0.1:{self.ports['payments']}/api/payments/ipn"
            return command(self.gateway_port, PAYMENT_MERCHANT, PAYMENT_SECRET, ipn_url)
        if name == "portal-sim":
            from devtools.portal_sim import command as portal_sim_command

            push_url = f"http://127.0.0.1:{self.ports['portal']}/api/portal/dossiers"
            return portal_sim_command(self.portal_sim_port, PORTAL_SECRET, push_url)
        return ["serve", name]

    def start(self, name, *command):
        """Start a service or the carrier simulator by name, or any `motcua` command under a name of its own."""
        log = open(self.logdir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", *(command or self.command(name))],
            env={**self.env, **self.service_env.get(name, {})},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def kill(self, name, sig=signal.SIGKILL):
        proc = self.processes.pop(name)
        proc.send_signal(sig)
        proc.wait(timeout=20)

    def health_url(self, name):
        port = {
            "carrier-sim": self.sim_port,
            "payment-gateway-sim": self.gateway_port,
            "portal-sim": self.portal_sim_port,
        }.get(name) or self.ports[name]
        return f"http://127.0.0.1:{port}/health"

    def wait_healthy(self, names, timeout=60):
        def healthy():
            for name in names:
                proc = self.processes[name]
                if proc.poll() is not None:
                    raise AssertionError(f"{name} exited ({proc.returncode}); see {self.logdir / (name + '.log')}")
                try:
                    if requests.get(self.health_url(name), timeout=1).status_code != 200:
                        return False
                except requests.RequestException:
                    return False
            return True

        wait_for(healthy, timeout=timeout, interval=0.3, message=f"{', '.join(names)} healthy")

    def restart(self, name):
        self.start(name)
        self.wait_healthy([name])

    def url(self, service, path):
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def engine(self, service):
        if service not in self.engines:
            self.engines[service] = sa.create_engine(
                sa.engine.make_url(self.db_server).set(database=self.db_prefix + service), pool_pre_ping=True
            )  # the fault tests restart PostgreSQL under it
        return self.engines[service]

    def scalar(self, service, sql, **params):
        with self.engine(service).connect() as conn:
            return conn.scalar(sa.text(sql), params)

    def stop_all(self):
        stop_processes(self.processes, grace=15)
        self.processes.clear()
        for engine in self.engines.values():
            engine.dispose()


def token(role, **claims):
    return {"Authorization": "Bearer " + auth.issue(role, key=TEST_SECRET, **claims)}


COUNTER = token("counter", agency=AGENCY, sub="canbo.motcua")
ADMIN = token("admin", sub="quantri")
# Processing opens the first step as soon as it hears of a reception, so a read right
# after a submission may already find the dossier in progress.
JUST_RECEIVED = ("received", "in_progress")


def officer(department):
    return token("officer", department=department, sub=f"may.{department.lower()}")


def department_credential(department):
    """The bare token of a department's own system (`department-worker --token`)."""
    return auth.issue("department_system", department=department, key=TEST_SECRET)


def dossier_body(procedure="2.000635", return_method="counter", sms=True, email=False, **overrides):
    body = {
        "procedure_code": procedure,
        "channel": "counter",
        "applicant": {
            "full_name": "Nguyễn Thị Hoa",
            "id_number": "031190001234",
            "phone": "0912345678",
            "email": "hoa@example.vn",
            "address": "15 Lạch Tray, Ngô Quyền, Hải Phòng",
        },
        "documents": [{"name": "Tờ khai", "copies": 1}],
        "return_method": return_method,
        "notify": {"sms": sms, "email": email},
    }
    if return_method == "postal":
        body["delivery_address"] = "15 Lạch Tray, Ngô Quyền, Hải Phòng"
    body.update(overrides)
    return body


def call(method, url, retry_until=30, **kwargs):
    """An HTTP call that waits out a service being restarted (connection refused)."""

    def attempt():
        try:
            return [requests.request(method, url, timeout=10, **kwargs)]  # a 4xx Response is falsy
        except requests.ConnectionError:
            return None

    return wait_for(attempt, timeout=retry_until, interval=0.2, message=f"{method} {url}")[0]


def submit(system, body):
    """Submit with an Idempotency-Key, retrying through restarts: one dossier whatever happens."""
    key = str(uuid.uuid4())
    response = call(
        "POST", system.url("intake", "/api/dossiers"), json=body, headers={**COUNTER, "Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]


def dossier(system, code):
    return call("GET", system.url("intake", f"/api/dossiers/{code}"), headers=COUNTER).json()


def work_through(system, department, max_items=1000):
    """The department's machine officer: claim and approve everything waiting."""
    done = 0
    while done < max_items:
        claim = call(
            "POST", system.url("processing", f"/api/departments/{department}/claim"), headers=officer(department)
        )
        if claim.status_code == 404:
            return done
        assert claim.status_code == 200, claim.text
        decision = call(
            "POST",
            system.url("processing", f"/api/tasks/{claim.json()['task_id']}/decision"),
            json={"action": "approve", "note": "đủ điều kiện"},
            headers=officer(department),
        )
        assert decision.status_code in (200, 409), decision.text  # 409: a decision lost in a restart
        done += 1
    return done
