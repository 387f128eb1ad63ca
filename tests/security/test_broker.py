"""The broker is not a back door: what anyone with access to RabbitMQ may send the
services is checked before it is applied, parked with the reason when it fails,
and with one broker user per service (`motcua broker setup`) nobody can publish
as another service or read its queues.

Real processes on the run's RabbitMQ virtual hosts and PostgreSQL databases."""

import json
import os
import shutil
import subprocess
import sys
import uuid

import amqp
import kombu
import pytest
import requests

from shared import dlq, events, messaging
from shared.broker_users import administrator
from shared.config import ROOT, SERVICES
from shared.runner import service_class
from tests.conftest import RUN_ID
from tests.helpers import wait_for
from tests.system import (
    ADMIN,
    BUSINESS_MORNING,
    COUNTER,
    System,
    call,
    department_credential,
    dossier,
    dossier_body,
    submit,
    work_through,
)

pytestmark = pytest.mark.e2e


def publish_raw(uri, exchange, routing_key, body, content_type="application/json", headers=None):
    """Publish as a stranger with broker access would: any body, any content type, any
    headers, waiting for the broker's confirm (so a refusal raises here)."""
    with kombu.Connection(uri, connect_timeout=5) as conn:
        properties = {"content_type": content_type} if content_type else {}
        if headers:
            properties["application_headers"] = headers
        conn.channel().basic_publish_confirm(
            amqp.Message(body, delivery_mode=2, **properties),
            exchange=exchange,
            routing_key=routing_key,
            confirm_timeout=10,
        )


def envelope(kind, code, payload, /, **changes):
    env = events.envelope(kind, code, payload, source=events.source_of(kind))
    env.update(changes)
    return env


def dlq_list(uri):
    """`motcua dlq list --json`, a real command with the installation's broker URI."""
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "dlq", "list", "--json"],
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "MOTCUA_AMQP_URI": uri},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def motcua(uri, *args):
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "MOTCUA_AMQP_URI": uri},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def all_healthy(system):
    for service in SERVICES:
        assert system.processes[service].poll() is None, f"{service} exited"
        assert requests.get(system.health_url(service), timeout=5).status_code == 200, service


def notified_events(system, code):
    answer = call("GET", system.url("notify", f"/api/notifications?dossier_code={code}"), headers=COUNTER)
    assert answer.status_code == 200, answer.text
    return {n["event_type"] for n in answer.json()["notifications"]}


def settled_dossier(system):
    """A dossier received and in processing, whose history no longer moves."""
    code = submit(system, dossier_body(procedure="2.000635", sms=True))
    wait_for(lambda: dossier(system, code)["status"] == "in_progress", timeout=30, message="processing started")
    wait_for(lambda: "dossier_received" in notified_events(system, code), message="the citizen told of reception")
    return code, dossier(system, code)


def parked_matching(parked, service, error, event_id=None):
    return [
        p
        for p in parked
        if p["service"] == service and error in (p["error"] or "") and (event_id is None or p["event_id"] == event_id)
    ]


def test_malformed_and_forged_messages_are_parked_and_never_applied(system):
    uri = system.env["MOTCUA_AMQP_URI"]
    code, before = settled_dossier(system)
    baseline = dlq_list(uri)
    rejected = envelope("dossier_rejected", code, {"reason": "giả mạo"})
    text_plain = envelope("dossier_rejected", code, {"reason": "giả mạo"})
    no_type = envelope("dossier_rejected", code, {"reason": "giả mạo"})
    other_type = envelope(
        "result_ready", code, {"finished_at": BUSINESS_MORNING, "summary": "xong", "return_method": "counter"}
    )
    bad_data = envelope("dossier_rejected", code, {"reason": "x"}, data={"ly_do": "thiếu lý do"})
    no_event_id = envelope("dossier_refused", code, {"reason": "x"}, event_type="dossier_received")
    del no_event_id["event_id"]  # fails the envelope's schema

    publish_raw(uri, "processing.events", "dossier_rejected", b'{"event_id": ')  # bad JSON
    publish_raw(uri, "intake.events", "dossier_received", b'{"event_type": "dossier_received",')  # bad JSON
    publish_raw(uri, "processing.events", "dossier_rejected", json.dumps(text_plain).encode(), "text/plain")
    publish_raw(uri, "processing.events", "dossier_rejected", json.dumps(no_type).encode(), None)
    publish_raw(uri, "processing.events", "dossier_rejected", b"[1, 2, 3]")  # not an object
    publish_raw(uri, "processing.events", "dossier_rejected", json.dumps(other_type).encode())  # type != key
    publish_raw(uri, "processing.events", "dossier_rejected", json.dumps(bad_data).encode())  # data fails
    publish_raw(uri, "intake.events", "dossier_received", json.dumps(no_event_id).encode())  # envelope fails
    # well-formed, for an existing dossier, on the wrong exchange, dressed up as a parked
    # message of intake's own handler (so that a replay would launder it)
    [intake_queue] = [
        q.name
        for q in messaging.service_consumer_queues(service_class("intake"), "intake")
        if q.routing_key == "dossier_rejected"
    ]
    publish_raw(
        uri,
        "intake.events",
        "dossier_rejected",
        json.dumps(rejected).encode(),
        headers={"x-motcua-queue": intake_queue, "x-motcua-rejected": "", "x-motcua-error": "thử lại"},
    )

    def grown(parked, service, error):
        return len(parked_matching(parked, service, error)) - len(parked_matching(baseline, service, error))

    def all_parked():
        parked = dlq_list(uri)
        expected = [
            # notify consumes both exchanges' bad JSON
            *[
                grown(parked, s, "undecodable body (content type 'application/json')") == n
                for s, n in (("intake", 1), ("notify", 2), ("processing", 1))
            ],
            *[
                parked_matching(parked, s, "undecodable body (content type 'text/plain')", text_plain["event_id"])
                for s in ("intake", "notify")
            ],
            *[parked_matching(parked, s, "content type None", no_type["event_id"]) for s in ("intake", "notify")],
            *[grown(parked, s, "Invalid input type") == 1 for s in ("intake", "notify")],
            *[
                parked_matching(
                    parked,
                    s,
                    "event_type 'result_ready' does not match the routing key 'dossier_rejected'",
                    other_type["event_id"],
                )
                for s in ("intake", "notify")
            ],
            *[
                parked_matching(parked, s, "'reason': ['Missing data for required field.']", bad_data["event_id"])
                for s in ("intake", "notify")
            ],
            *[
                grown(parked, s, "'event_id': ['Missing data for required field.']") == 1
                for s in ("processing", "notify")
            ],
            parked_matching(parked, "intake", "processing publishes dossier_rejected", rejected["event_id"]),
        ]
        return parked if all(expected) else None

    parked = wait_for(all_parked, timeout=60, interval=1, message="every bad message parked with its reason")

    # each is marked as one that can never succeed as it is
    ours = [p for p in parked if p not in baseline]
    assert ours and all(p["rejected"] in ("malformed", "refused") for p in ours), ours
    assert {p["parked_id"] for p in ours} and all(p["parked_id"] for p in ours)
    forged = parked_matching(parked, "intake", "processing publishes dossier_rejected", rejected["event_id"])[0]
    assert forged["received_via"] == "intake.events dossier_rejected"
    assert forged["queue"] is None and forged["rejected"] == "refused"  # its own headers are not believed

    # nothing applied: every service up, the dossier and its messages as they were
    all_healthy(system)
    after = dossier(system, code)
    assert (after["status"], after["history"]) == (before["status"], before["history"])
    assert "dossier_rejected" not in notified_events(system, code)
    assert "result_ready" not in notified_events(system, code)

    # replay leaves what can never succeed where it is; discard removes it, even without an event id
    replayed = motcua(uri, "dlq", "replay", "--service", "intake", "--parked-id", forged["parked_id"])
    assert "0 message(s) sent back" in replayed and "1 message(s) left parked" in replayed
    [undecodable] = [
        p for p in ours if p["event_id"] is None and p["service"] == "intake" and "undecodable" in p["error"]
    ]
    discarded = motcua(uri, "dlq", "discard", "--service", "intake", "--parked-id", undecodable["parked_id"])
    assert "1 message(s) discarded" in discarded
    left = {p["parked_id"] for p in dlq_list(uri)}
    assert undecodable["parked_id"] not in left and forged["parked_id"] in left
    for p in ours:  # leave the installation's dead letters as they were for the other tests
        if p["parked_id"] in left:
            assert len(dlq.discard(uri, [p["service"]], event_id=p["parked_id"])) == 1
    assert not ({p["parked_id"] for p in ours} & {p["parked_id"] for p in dlq_list(uri)})


# --- one broker user per service --------------------------------------------------


@pytest.fixture
def broker_admin():
    api = os.environ.get("MOTCUA_TEST_RABBIT_API")
    if not (api or shutil.which("rabbitmqctl")):
        pytest.skip("neither rabbitmqctl nor MOTCUA_TEST_RABBIT_API: cannot create broker users")
    return api


@pytest.fixture
def users_vhost(new_vhost):
    uri = new_vhost("broker_users")
    yield uri
    new_vhost.delete(uri)


def setup_command(uri, prefix, api):
    args = [
        sys.executable,
        "-m",
        "shared.cli",
        "broker",
        "setup",
        "--amqp-uri",
        uri,
        "--user-prefix",
        prefix,
        "--department",
        "TUPHAP",
    ]
    if api:
        args += ["--management-url", api]
    done = subprocess.run(
        args,
        cwd=ROOT,
        timeout=180,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_BROKER_PASSWORD")},
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def refused(uri, action):
    """True when the broker refuses the action to this user (403 ACCESS_REFUSED)."""
    try:
        with kombu.Connection(uri, connect_timeout=5) as conn:
            action(conn.channel())
    except amqp.exceptions.AccessRefused as exc:
        assert "ACCESS_REFUSED" in str(exc)
        return True
    return False


def publishing(exchange, key):
    def act(channel):
        channel.basic_publish_confirm(
            amqp.Message(b"{}", content_type="application/json"), exchange=exchange, routing_key=key, confirm_timeout=10
        )

    return act


def test_each_service_on_its_own_broker_user(users_vhost, broker_admin, database_server, tmp_path):
    prefix = f"motcua-t{RUN_ID}-{uuid.uuid4().hex[:4]}-"
    users = [prefix + s for s in SERVICES] + [prefix + "department-TUPHAP"]
    system = None
    try:
        first = setup_command(users_vhost, prefix, broker_admin)
        assert all(f"user {u}: created (password generated)" in first for u in users), first
        second = setup_command(users_vhost, prefix, broker_admin)
        assert all(f"user {u}: exists, password unchanged" in second for u in users), second
        uris = {
            line.split()[0]: line.split()[1]
            for line in first.splitlines()
            if line.startswith("  ") and "amqp://" in line
        }
        assert set(uris) == {*SERVICES, "department-TUPHAP"}
        for uri in uris.values():  # the passwords of the first run still open the broker
            with kombu.Connection(uri, connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=1)

        intake = uris["intake"]
        processing_queue = messaging.service_consumer_queues(service_class("processing"), "processing")[0].name
        assert refused(intake, publishing("processing.events", "dossier_rejected"))
        assert refused(intake, publishing("", processing_queue))  # the default exchange
        assert refused(intake, publishing("processing.tasks", "TUPHAP"))
        assert refused(intake, lambda ch: ch.basic_get(processing_queue))
        assert refused(intake, lambda ch: ch.basic_get("processing.dead-letters"))
        assert not refused(intake, publishing("intake.events", "probe"))  # its own exchange: allowed
        department = uris["department-TUPHAP"]
        assert not refused(department, lambda ch: ch.basic_get("processing.tasks.TUPHAP"))
        assert refused(department, publishing("processing.events", "result_ready"))
        assert refused(department, publishing("nameko-rpc", "processing.dossier_departments"))
        assert refused(department, lambda ch: ch.queue_bind("processing.tasks.TUPHAP", "processing.tasks", "QLDT"))

        server, db_prefix = database_server
        system = System(users_vhost, server, db_prefix + "bu_", tmp_path)
        system.service_env = {s: {"MOTCUA_AMQP_URI": uris[s]} for s in SERVICES}
        for name in ("carrier-sim", *SERVICES):
            system.start(name)
        system.wait_healthy(["carrier-sim", *SERVICES], timeout=120)

        # TUPHAP's own system answers its tasks, on the department's broker user
        answer = call(
            "PUT",
            system.url("processing", "/api/departments/TUPHAP/automation"),
            json={"automated": True},
            headers=ADMIN,
        )
        assert answer.status_code == 200, answer.text
        system.service_env["worker"] = {"MOTCUA_AMQP_URI": department}
        system.start(
            "worker",
            "department-worker",
            "--department",
            "TUPHAP",
            "--approve-all",
            "--token",
            department_credential("TUPHAP"),
        )
        automated = submit(system, dossier_body(procedure="2.000635", return_method="counter", sms=True))

        code = submit(system, dossier_body(procedure="1.001776", return_method="counter", sms=True))
        wait_for(lambda: work_through(system, "QLDT"), timeout=30, message="step 1 in QLDT")
        wait_for(lambda: work_through(system, "LANHDAO"), timeout=30, message="step 2 in LANHDAO")
        wait_for(lambda: dossier(system, code)["status"] == "result_ready", message="result ready at the counter")
        wait_for(
            lambda: dossier(system, automated)["status"] == "result_ready",
            timeout=30,
            message="approved by TUPHAP's own system",
        )
        assert system.processes["worker"].poll() is None
        assert "approve -> ok" in (tmp_path / "worker.log").read_text(errors="replace")

        # forged by intake's own user on intake's own exchange: never applied
        forged = envelope("dossier_rejected", code, {"reason": "giả mạo"})
        publish_raw(intake, "intake.events", "dossier_rejected", json.dumps(forged).encode())
        disguised = envelope("dossier_rejected", code, {"reason": "giả mạo"})
        publish_raw(intake, "intake.events", "dossier_received", json.dumps(disguised).encode())
        parked = wait_for(
            lambda: (
                lambda p: (
                    p
                    if parked_matching(p, "intake", "processing publishes", forged["event_id"])
                    and parked_matching(p, "processing", "does not match the routing key", disguised["event_id"])
                    and parked_matching(p, "notify", "does not match the routing key", disguised["event_id"])
                    else None
                )
            )(dlq_list(users_vhost)),
            timeout=60,
            interval=1,
            message="the forged events parked",
        )
        assert len(parked) == 3

        handed = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
        assert handed.status_code == 200, handed.text
        view = dossier(system, code)
        assert [h["status"] for h in view["history"]] == [
            "received",
            "in_progress",
            "in_progress",
            "result_ready",
            "returned",
        ]
        wait_for(
            lambda: {"dossier_received", "result_ready", "dossier_returned"} <= notified_events(system, code),
            message="the citizen told of each step",
        )
        assert "dossier_rejected" not in notified_events(system, code)
        all_healthy(system)
        for service in (*SERVICES, "worker"):
            log = (tmp_path / f"{service}.log").read_text(errors="replace")
            assert "ACCESS_REFUSED" not in log, f"{service} was refused something it needs"
    finally:
        if system is not None:
            system.stop_all()
        admin = administrator(broker_admin)
        for user in users:
            try:
                admin.delete_user(user)
            except RuntimeError:
                pass  # never created
