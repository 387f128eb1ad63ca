"""The dead letters over HTTP (shared.service): every service answers its own parked
messages at GET /api/dead-letters and sends one back with POST
/api/dead-letters/replay, for administrators only; the web's system page uses them
instead of the broker."""

import json
import uuid

import pytest
import requests

from shared import dlq, events
from shared.config import SERVICES
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.system import ADMIN, BUSINESS_MORNING, COUNTER

pytestmark = pytest.mark.e2e


def publish_poison(amqp_uri, dossier_code):
    """result_ready for a dossier nobody has: intake (and notify) fail on it every time."""
    env = events.envelope(
        "result_ready",
        dossier_code,
        {"finished_at": BUSINESS_MORNING, "summary": "không có hồ sơ này", "return_method": "counter"},
        source="processing",
    )
    publisher = ConfirmingPublisher(amqp_uri)
    publisher.publish_batch([(event_exchange("processing"), "result_ready", json.dumps(env).encode(), {})])
    publisher.close()
    return env["event_id"]


def parked(system, service, headers=ADMIN):
    answer = requests.get(system.url(service, "/api/dead-letters"), headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["service"] == service
    return answer.json()["parked"]


def replay(system, service, event_id, headers=ADMIN):
    return requests.post(
        system.url(service, "/api/dead-letters/replay"), json={"event_id": event_id}, headers=headers, timeout=30
    )


def test_only_an_administrator_reads_or_replays_dead_letters(system):
    for service in SERVICES:
        url = system.url(service, "/api/dead-letters")
        assert requests.get(url, timeout=10).status_code == 401
        assert requests.get(url, headers=COUNTER, timeout=10).status_code == 403
        refused = replay(system, service, str(uuid.uuid4()), headers=COUNTER)
        assert refused.status_code == 403
        assert isinstance(parked(system, service), list)
    for body in ({}, {"event_id": ""}, {"event_id": "x", "all": True}):
        bad = requests.post(system.url("intake", "/api/dead-letters/replay"), json=body, headers=ADMIN, timeout=10)
        assert bad.status_code == 400, (body, bad.text)


def test_a_parked_message_is_listed_by_its_service_and_replayed_to_its_queue(system, amqp_uri):
    code = f"000.00.06.H56-261126-9{uuid.uuid4().int % 1000:03d}"
    poison = publish_poison(amqp_uri, code)
    try:

        def in_intake():
            return [p for p in parked(system, "intake") if p["event_id"] == poison]

        found = wait_for(in_intake, timeout=60, interval=0.5, message="the poison event parked by intake")
        assert len(found) == 1
        first = found[0]
        assert first["service"] == "intake" and first["event_type"] == "result_ready"
        assert first["dossier_code"] == code and first["rejected"] is None
        assert first["queue"] and first["queue"].startswith("evt-processing-result_ready--intake")
        assert isinstance(first["attempts"], int) and first["attempts"] >= 1
        assert first["error"] and first["parked_at"]
        # each service lists its own: processing publishes result_ready, it never parks it
        assert poison not in {p["event_id"] for p in parked(system, "processing")}

        assert replay(system, "intake", str(uuid.uuid4())).status_code == 404
        sent = replay(system, "intake", poison)
        assert sent.status_code == 200, sent.text
        assert [p["event_id"] for p in sent.json()["replayed"]] == [poison] and sent.json()["skipped"] == []

        # back in its queue, it fails again and is parked again: a later parking
        def parked_again():
            again = in_intake()
            return again if again and again[0]["parked_at"] != first["parked_at"] else None

        again = wait_for(parked_again, timeout=60, interval=0.5, message="the replayed event parked again")
        assert again[0]["queue"] == first["queue"]
    finally:
        dlq.discard(amqp_uri, SERVICES, event_id=poison)
    assert poison not in {p["event_id"] for p in parked(system, "intake")}
