"""The postal service in this process (a nameko container on PostgreSQL and its own
RabbitMQ virtual host) with the carrier simulator as a real HTTP server."""

import json
import threading
import uuid

import pytest
import requests
import sqlalchemy as sa
from nameko.containers import ServiceContainer

from devtools.carrier_sim import CarrierSimulator, make_server
from services.postal.service import PostalService
from shared import auth, events, migrations, reliability
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.system import free_port

SECRET = "postal-test-carrier-secret"
API_KEY = "postal-test-api-key"
ADDRESS = "15 Lạch Tray, Ngô Quyền, Hải Phòng"


def headers(role, **claims):
    return {"Authorization": "Bearer " + auth.issue(role, key=auth.secret(), **claims)}


STAFF = headers("counter", agency="000.00.06.H56")
PORTAL = headers("portal")


class Carrier:
    """The simulator behind a real HTTP server that can be stopped and started
    again on the same port (the carrier keeps its orders, as a real one would)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sim = CarrierSimulator(SECRET, step_seconds=0.05, api_key=API_KEY, seed=5)
        self.server = None

    def start(self):
        self.server = make_server(self.sim, "127.0.0.1", self.port)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def orders_for(self, reference):
        return [o for o in self.sim.orders.values() if o["reference"] == reference]

    def callback(self, waybill, **body):
        answer = requests.post(f"{self.url}/control/orders/{waybill}/callback", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()


class Postal:
    def __init__(self, config, url):
        self.config, self.db_url = config, url
        self.container = None
        self.engine = sa.create_engine(url)

    def start(self):
        self.container = ServiceContainer(PostalService, self.config)
        self.container.start()

    def kill(self):
        self.container.kill()  # as nameko's own container_factory does at teardown

    def url(self, path):
        return f"http://{self.config['WEB_SERVER_ADDRESS']}{path}"

    def publish(self, event_type, dossier_code, data, source="processing"):
        return self.redeliver(events.envelope(event_type, dossier_code, data, source=source))

    def redeliver(self, env):
        """Publish an envelope (again: the same event id, as a broker redelivery would)."""
        publisher = ConfirmingPublisher(self.config["AMQP_URI"])
        try:
            publisher.publish_batch(
                [(event_exchange(events.source_of(env["event_type"])), env["event_type"], json.dumps(env).encode(), {})]
            )
        finally:
            publisher.close()
        return env

    def owed(self, dossier_code=None, event_type=None):
        """Events the service wrote to its outbox (what it publishes), oldest first."""
        query = sa.select(reliability.outbox.c.payload).order_by(reliability.outbox.c.id)
        if dossier_code:
            query = query.where(reliability.outbox.c.dossier_code == dossier_code)
        if event_type:
            query = query.where(reliability.outbox.c.event_type == event_type)
        with self.engine.connect() as conn:
            return [json.loads(p) for p in conn.scalars(query)]

    def shipments(self, code):
        answer = requests.get(self.url(f"/api/shipments?dossier_code={code}"), headers=STAFF, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["shipments"]

    def shipment(self, code, status=None, timeout=20):
        seen = []

        def found():
            seen[:] = self.shipments(code)
            return seen[0] if seen and (status is None or seen[0]["status"] == status) else None

        try:
            return wait_for(found, timeout=timeout, interval=0.1, message=f"shipment of {code} {status or ''}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last seen: {seen}") from None


@pytest.fixture(scope="package")
def carrier():
    carrier = Carrier()
    carrier.start()
    yield carrier
    carrier.stop()


@pytest.fixture(scope="package")
def postal(new_vhost, database_server, carrier):
    server, prefix = database_server
    url = sa.engine.make_url(server).set(database=prefix + "postal_it")
    migrations.upgrade("postal", url)
    port = free_port()
    config = {
        "AMQP_URI": new_vhost("postal"),
        "SERVICE": "postal",
        "DATABASE_URL": url,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "max_workers": 8,
        "RETRY_DELAYS_MS": [100, 200],
        "OUTBOX_POLL_SECONDS": 0.2,
        "CARRIER_URL": carrier.url,
        "CARRIER_API_KEY": API_KEY,
        "CARRIER_SECRET": SECRET,
        "CARRIER_TIMEOUT_SECONDS": 0.5,
        "CARRIER_CONNECT_TIMEOUT_SECONDS": 0.5,
        "CALLBACK_URL": f"http://127.0.0.1:{port}/api/carrier/callback",
        "CALLBACK_WINDOW_SECONDS": 300,
        "CARRIER_RETRY_POLL_SECONDS": 0.2,
        "CARRIER_RETRY_BASE_SECONDS": 0.2,
        "CARRIER_RETRY_MAX_SECONDS": 1,
        "POSTAL_ORIGINS": {"*": {"province": "Hải Phòng", "district": "Ngô Quyền"}},
    }
    service = Postal(config, url)
    service.start()
    yield service
    service.kill()
    service.engine.dispose()


@pytest.fixture
def sim(carrier):
    """The simulator, put back to its defaults after the test."""
    yield carrier.sim
    carrier.sim.configure(down=False, delay_seconds=0.0, failure_rate=0.0, step_seconds=0.05, schedule="auto")


def new_code():
    return f"000.00.06.H56-261127-{uuid.uuid4().int % 10**4:04d}{uuid.uuid4().hex[:4]}"
