"""The payments e2e tests: the running system (tests/conftest.py's `system`), the
payment gateway simulator as a process of it, obligations published through the real
broker as intake publishes them, and a queue of our own on payments' exchange to
count what payments publishes."""

import json
import uuid
from datetime import timedelta

import kombu
import pytest
import requests

from shared import clock, events
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.system import AGENCY


@pytest.fixture(scope="session")
def gateway(system):
    """The gateway simulator (started once), its base URL; each test sets its mode."""
    if "payment-gateway-sim" not in system.processes:
        system.start("payment-gateway-sim")
        system.wait_healthy(["payment-gateway-sim"])
    return f"http://127.0.0.1:{system.gateway_port}"


@pytest.fixture
def mode(gateway):
    def set_mode(name, **settings):
        answer = requests.post(f"{gateway}/control/mode", json={"mode": name, **settings}, timeout=5)
        assert answer.status_code == 200, answer.text

    set_mode("success")
    return set_mode


@pytest.fixture(scope="session")
def payments_events(system):
    """Every event payments publishes, as a list refreshed on demand (`.fetch()`)."""
    connection = kombu.Connection(system.env["MOTCUA_AMQP_URI"])
    queue = kombu.Queue(
        f"test-payments-{uuid.uuid4().hex[:8]}",
        exchange=event_exchange("payments"),
        routing_key="#",
        exclusive=True,
        auto_delete=True,
    )
    bound = queue(connection.channel())
    bound.declare()
    seen = []

    class Seen(list):
        def fetch(self):
            while (message := bound.get(no_ack=True)) is not None:
                seen.append(json.loads(message.body))
            return seen

        def of(self, code, event_type):
            return [e for e in self.fetch() if e["dossier_code"] == code and e["event_type"] == event_type]

    yield Seen()
    connection.release()


def request_payment(system, amount=150_000, stage="before_processing", online=True):
    """Publish payment_requested as intake does (its exchange, its routing key);
    returns the new dossier code once payments has the obligation."""
    code = f"{AGENCY}-261126-P{uuid.uuid4().hex[:8].upper()}"
    env = events.envelope(
        "payment_requested",
        code,
        {
            "stage": stage,
            "amount": amount,
            "items": [{"name": "Lệ phí", "amount": amount, "kind": "le_phi"}],
            "pay_by": clock.now().date() + timedelta(days=15),
            "agency_code": AGENCY,
            "procedure_code": "2.000635",
            "procedure_name": "Thủ tục thử",
            "online": online,
        },
        source="intake",
    )
    publisher = ConfirmingPublisher(system.env["MOTCUA_AMQP_URI"])
    try:
        publisher.publish_batch([(event_exchange("intake"), "payment_requested", json.dumps(env).encode(), {})])
    finally:
        publisher.close()
    wait_for(
        lambda: system.scalar("payments", "SELECT count(*) FROM obligations WHERE dossier_code = :c", c=code),
        timeout=20,
        message=f"the obligation of {code}",
    )
    return code
