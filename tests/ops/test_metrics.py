"""GET /metrics of every service and `motcua status`, against the running system."""

import json
import subprocess
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from shared.config import ROOT, SERVED, SERVICES
from tests.helpers import wait_for
from tests.system import COUNTER, call, dossier, dossier_body, submit, work_through

pytestmark = pytest.mark.e2e


def scrape(system, service):
    """{(sample name, frozenset of labels): value} of one service's /metrics."""
    response = requests.get(system.url(service, "/metrics"), timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def matching(samples, name, **labels):
    """{labels: value} of the samples of `name` whose labels include `labels`."""
    return {
        dict(key).get("queue", key): v
        for (n, key), v in samples.items()
        if n == name and set(labels.items()) <= set(key)
    }


def motcua(system, *args):
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        env=system.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_metrics_follow_a_dossier_through_the_system(system):
    code = submit(system, dossier_body(procedure="2.000635", return_method="postal", sms=True))
    # while it waits in TUPHAP's queue, processing counts an open task there
    wait_for(
        lambda: (
            (value(scrape(system, "processing"), "motcua_tasks_open", department="TUPHAP", status="waiting") or 0) >= 1
        ),
        message="TUPHAP's open task in processing's metrics",
    )
    wait_for(lambda: work_through(system, "TUPHAP"), message="approved by TUPHAP")
    wait_for(lambda: dossier(system, code)["status"] == "returned", timeout=30, message="delivered by post")
    wait_for(
        lambda: any(
            m["status"] == "delivered" and m["event_type"] == "shipment_delivered"
            for m in call(
                "GET", system.url("notify", f"/api/notifications?dossier_code={code}"), headers=COUNTER
            ).json()["notifications"]
        ),
        message="last SMS delivered",
    )

    intake = scrape(system, "intake")
    assert value(intake, "motcua_dossiers", status="returned") >= 1
    assert value(intake, "motcua_dossiers", status="withdrawn") is not None  # every status, zero included
    assert value(intake, "motcua_dossiers_overdue") == 0
    assert value(scrape(system, "postal"), "motcua_shipments", purpose="result", status="delivered") >= 1
    assert value(scrape(system, "notify"), "motcua_notifications", channel="sms", status="delivered") >= 3

    for service in SERVICES:
        samples = wait_for(
            lambda service=service: (lambda s: s if value(s, "motcua_outbox_pending_events") == 0 else None)(
                scrape(system, service)
            ),
            message=f"{service}'s outbox published",
        )
        assert value(samples, "motcua_outbox_oldest_pending_seconds") == 0
        assert value(samples, "motcua_backend_up", backend="database") == 1
        assert value(samples, "motcua_backend_up", backend="broker") == 1
        # its handler queues are watched, each consumed, and its dead-letter queue is there
        handler_queues = matching(samples, "motcua_queue_consumers", kind="handler")
        assert handler_queues and all(f"--{service}." in q for q in handler_queues), handler_queues
        assert all(consumers >= 1 for consumers in handler_queues.values()), handler_queues
        assert list(matching(samples, "motcua_queue_messages", kind="dead_letter")) == [f"{service}.dead-letters"]
        assert value(samples, "process_resident_memory_bytes") > 0

    # handlers timed by queue: notify handled this dossier's events, processing its reception
    notify = scrape(system, "notify")
    received = matching(notify, "motcua_handler_seconds_count")
    assert any(q.startswith("evt-intake-dossier_received--notify.") and n >= 1 for q, n in received.items()), received
    assert any(q.startswith("evt-postal-shipment_delivered--notify.") and n >= 1 for q, n in received.items())
    processing = scrape(system, "processing")
    assert any(
        q.startswith("evt-intake-dossier_received--processing.") and n >= 1
        for q, n in matching(processing, "motcua_handler_seconds_count").items()
    )
    # HTTP requests timed by route, not by dossier
    routes = {dict(key).get("route") for (name, key) in intake if name == "motcua_http_request_seconds_count"}
    assert "/api/dossiers" in routes and "/api/dossiers/<string:code>" in routes
    assert not any(code in str(key) for key in intake)


def test_motcua_status_shows_every_service_up(system):
    result = motcua(system, "status")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for service in SERVED:
        [line] = [ln for ln in lines if ln.startswith(service + " ")]
        assert line.split()[1] == "up", line
    assert f"{len(SERVED)} of {len(SERVED)} services up" in result.stdout
    assert "overdue dossier(s)" in result.stdout

    states = json.loads(motcua(system, "status", "--json").stdout)
    assert [s["service"] for s in states] == list(SERVED)
    assert all(s["up"] and s["health"]["status"] == "ok" for s in states)
    assert all({"queued", "retrying", "dead_letters", "outbox_pending"} <= set(s) for s in states)
    intake = states[0]
    assert intake["overdue_dossiers"] == 0


def test_motcua_status_names_a_stopped_service(system):
    system.kill("postal")
    try:
        result = motcua(system, "status")
        assert result.returncode == 1
        [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("postal ")]
        assert "DOWN" in line and "no answer" in line
        assert f"{len(SERVED) - 1} of {len(SERVED)} services up; down: postal" in result.stdout
        states = {s["service"]: s for s in json.loads(motcua(system, "status", "--json").stdout)}
        assert not states["postal"]["up"] and states["intake"]["up"]
    finally:
        system.restart("postal")
