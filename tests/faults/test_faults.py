"""The whole lifecycle under faults: 200 dossiers in flight (counter and postal
returns mixed, the automated department worker approving), a poison event among
them, and a fault in the middle: every service SIGKILLed in turn, RabbitMQ
restarted, PostgreSQL restarted. Every dossier must reach `returned`, every citizen
get exactly one message per (event, channel), and the dead-letter queues hold the
poison event and nothing else."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from urllib.parse import urlsplit

import eventlet
import pytest
import requests

from shared import dlq, events
from shared.config import SERVICES
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.system import ADMIN, BUSINESS_MORNING, COUNTER, System, department_credential, dossier_body

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOSSIERS = 200
DEPARTMENT = "TUPHAP"  # route of procedure 2.000635
# what notify tells the citizen for each return method (by SMS; see services/notify rules)
EXPECTED = {
    "counter": {"dossier_received", "result_ready", "dossier_returned"},
    "postal": {"dossier_received", "result_ready", "shipment_created", "shipment_delivered"},
}


def is_local(url):
    return urlsplit(url).hostname in ("127.0.0.1", "localhost")


def restart_rabbitmq(amqp_uri):
    if not (shutil.which("rabbitmqctl") and is_local(amqp_uri)):
        pytest.skip("restarting RabbitMQ needs rabbitmqctl and a local broker")
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True, timeout=120)


def restart_postgres(db_url):
    versions = os.listdir("/etc/postgresql") if os.path.isdir("/etc/postgresql") else []
    if not (shutil.which("pg_ctlcluster") and versions and is_local(db_url)):
        pytest.skip("restarting PostgreSQL needs pg_ctlcluster and a local server")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", sorted(versions)[-1], "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )


class Flow:
    """Submits dossiers, hands counter results back and keeps the department's
    system running, the way people and machines around the system would: retrying
    through outages with the same Idempotency-Key."""

    def __init__(self, system):
        self.system = system
        self.codes = {"counter": [], "postal": []}
        self.returned = set()
        self.running = True
        self.worker = None
        self.worker_restarts = 0

    def post(self, path, service="intake", **kwargs):
        try:
            return requests.post(self.system.url(service, path), timeout=15, **kwargs)
        except requests.RequestException:
            return None

    def submit_all(self):
        for i in range(DOSSIERS):
            method = "postal" if i % 2 else "counter"
            key, body = str(uuid.uuid4()), dossier_body(return_method=method, sms=True, email=i % 4 == 0)

            def attempt(key=key, body=body):
                answer = self.post("/api/dossiers", json=body, headers={**COUNTER, "Idempotency-Key": key})
                if answer is None or answer.status_code >= 500:
                    return None  # an outage: try again with the same key
                assert answer.status_code == 201, answer.text
                return answer.json()["code"]

            self.codes[method].append(wait_for(attempt, timeout=120, interval=0.3, message="a submission"))
            eventlet.sleep(0.02)

    def hand_back(self):
        while self.running:
            for code in set(self.codes["counter"]) - self.returned:
                answer = self.post(f"/api/dossiers/{code}/return", headers=COUNTER)
                if answer is not None and answer.status_code == 200:
                    self.returned.add(code)
            eventlet.sleep(0.5)

    def start_worker(self):
        self.system.start(
            "worker",
            "department-worker",
            "--department",
            DEPARTMENT,
            "--approve-all",
            "--token",
            department_credential(DEPARTMENT),
        )
        self.worker = self.system.processes["worker"]

    def supervise_worker(self):
        """Like a process supervisor: the department's system comes back when it dies."""
        while self.running:
            if self.worker.poll() is not None:
                self.worker_restarts += 1
                self.start_worker()
            eventlet.sleep(0.5)

    def stop(self):
        self.running = False
        if self.worker and self.worker.poll() is None:
            self.worker.terminate()
            self.worker.wait(timeout=20)

    def all_returned(self, submitting):
        """Once `submitting` (the green thread of submit_all) is done and every dossier
        is returned: their codes, each submitted once."""
        submitting.wait()
        codes = self.codes["counter"] + self.codes["postal"]
        assert len(set(codes)) == DOSSIERS
        wait_for(
            lambda: list(self.statuses().values()).count("returned") == DOSSIERS,
            timeout=240,
            interval=1,
            message="every dossier returned",
        )
        return codes

    def statuses(self):
        codes = self.codes["counter"] + self.codes["postal"]
        rows = self.system.scalar(
            "intake", "SELECT json_object_agg(code, status) FROM dossiers WHERE code = ANY(:c)", c=codes
        )
        return rows or {}


def publish_poison(amqp_uri):
    """result_ready for a dossier nobody has: intake and notify fail on it every time."""
    env = events.envelope(
        "result_ready",
        "000.00.06.H56-261126-9999",
        {"finished_at": BUSINESS_MORNING, "summary": "không có hồ sơ này", "return_method": "counter"},
        source="processing",
    )
    publisher = ConfirmingPublisher(amqp_uri)
    publisher.publish_batch([(event_exchange("processing"), "result_ready", json.dumps(env).encode(), {})])
    publisher.close()
    return env["event_id"]


@contextlib.contextmanager
def automated_installation(new_vhost, database_server, tmp_path, name, simulators=("carrier-sim",)):
    """A whole installation of its own (own vhost, own databases), with TUPHAP automated."""
    server, prefix = database_server
    vhost = new_vhost(f"faults_{name}")
    system = System(vhost, server, f"{prefix}f{name[:6]}_", tmp_path)
    system.env["MOTCUA_DISPATCH_SECONDS"] = "0.2"
    try:
        for service in (*simulators, *SERVICES):
            system.start(service)
        system.wait_healthy([*simulators, *SERVICES], timeout=150)  # a broker just restarted is slow to declare
        answer = requests.put(
            system.url("processing", f"/api/departments/{DEPARTMENT}/automation"),
            json={"automated": True},
            headers=ADMIN,
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        yield system
    finally:
        system.stop_all()
        new_vhost.delete(vhost)


@pytest.fixture
def installation(new_vhost, database_server, tmp_path, request):
    with automated_installation(new_vhost, database_server, tmp_path, request.node.callspec.id) as system:
        yield system


def kill_each_service(system, flow):
    for name in (*SERVICES, "worker"):
        if name == "worker":
            flow.worker.send_signal(signal.SIGKILL)  # the supervisor brings it back
        else:
            system.kill(name)
            eventlet.sleep(0.3)
            system.restart(name)
        eventlet.sleep(1.0)


FAULTS = {  # the broker restart last: an installation starting right after it waits for quorum queues to recover
    "sigkill": kill_each_service,
    "postgres": lambda system, flow: restart_postgres(system.env["MOTCUA_DATABASE_URL"]),
    "rabbitmq": lambda system, flow: restart_rabbitmq(system.env["MOTCUA_AMQP_URI"]),
}


def notify_diagnosis(system, missing):
    """Where the missing messages went, for the failure message: notify's queues (a
    queue with messages and no consumer is a consumer lost) and its log's lines about
    those dossiers (a `no recipient known yet` means dossier_received never came)."""
    codes = sorted({code for code, _ in missing})
    vhost = urlsplit(system.env["MOTCUA_AMQP_URI"]).path.lstrip("/") or "/"
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages", "consumers"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    queues = [line for line in listed.splitlines() if "notify" in line]
    log = system.logdir / "notify.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    about = [line for line in lines if any(code in line for code in codes)][-30:]
    return "notify's queues (name, messages, consumers):\n" + "\n".join(queues) + "\nnotify.log:\n" + "\n".join(about)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_nothing_lost_under_fault(installation, fault):
    system = installation
    amqp_uri = system.env["MOTCUA_AMQP_URI"]
    flow = Flow(system)
    flow.start_worker()
    poison = publish_poison(amqp_uri)
    started = time.monotonic()
    helpers = [eventlet.spawn(flow.submit_all), eventlet.spawn(flow.hand_back), eventlet.spawn(flow.supervise_worker)]
    try:
        wait_for(
            lambda: len(flow.codes["counter"]) + len(flow.codes["postal"]) >= DOSSIERS // 3,
            timeout=120,
            message="a third of the dossiers submitted",
        )
        FAULTS[fault](system, flow)
        codes = flow.all_returned(helpers[0])
        elapsed = time.monotonic() - started
    finally:
        flow.stop()
        for helper in helpers[1:]:
            helper.kill()

    wanted = {(c, e) for method in EXPECTED for c in flow.codes[method] for e in EXPECTED[method]}
    last = {}

    def messages():
        rows = (
            system.scalar(
                "notify",
                """
            SELECT json_agg(row_to_json(t)) FROM (
              SELECT dossier_code, event_type, channel, status, count(*) AS n FROM messages
              WHERE dossier_code = ANY(:c) GROUP BY 1, 2, 3, 4) t""",
                c=codes,
            )
            or []
        )
        seen = {(r["dossier_code"], r["event_type"]) for r in rows if r["channel"] == "sms"}
        # what is still wrong, for the failure message
        last["undelivered"] = [r for r in rows if r["status"] != "delivered"]
        last["missing"], last["unexpected"] = sorted(wanted - seen), sorted(seen - wanted)
        return rows if not any(last.values()) else None

    try:
        rows = wait_for(messages, timeout=120, interval=1, message="every message delivered")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {last}\n{notify_diagnosis(system, last['missing'])}") from None
    assert all(r["n"] == 1 for r in rows), [r for r in rows if r["n"] != 1]
    deliveries = system.scalar(
        "notify",
        """
        SELECT json_agg(n) FROM (SELECT count(d.message_id) AS n FROM messages m
        LEFT JOIN local_deliveries d ON d.message_id = m.id WHERE m.dossier_code = ANY(:c) GROUP BY m.id) t""",
        c=codes,
    )
    assert set(deliveries) == {1}  # each message handed to its channel exactly once
    shipments = system.scalar(
        "postal",
        "SELECT json_agg(n) FROM (SELECT count(*) AS n FROM shipments "
        "WHERE dossier_code = ANY(:c) AND purpose = 'result' GROUP BY dossier_code) t",
        c=flow.codes["postal"],
    )
    assert len(shipments) == len(flow.codes["postal"]) and set(shipments) == {1}

    parked = wait_for(
        lambda: (lambda p: p if {x["service"] for x in p} >= {"intake", "notify"} else None)(dlq.list_parked(amqp_uri)),
        timeout=60,
        message="the poison event parked",
    )
    assert {x["event_id"] for x in parked} == {poison}, parked
    print(
        f"\n[{fault}] {DOSSIERS} dossiers returned in {elapsed:.0f} s "
        f"({len(flow.codes['counter'])} at the counter, {len(flow.codes['postal'])} by post); "
        f"{len(rows)} messages, each delivered once; {len(shipments)} shipments; "
        f"parked: {len(parked)} (the poison event, in {', '.join(sorted(x['service'] for x in parked))}); "
        f"worker restarts: {flow.worker_restarts}"
    )
