"""notify in this process (nameko container) against the real broker and
PostgreSQL, a real SMTP server (aiosmtpd, its own process) and an HTTP server that
plays the SMS gateway."""

import json
import subprocess
import sys

import eventlet
import pytest
import sqlalchemy as sa

from devtools.sms_gateway_sim import GatewaySimulator, make_server
from services.notify.adapters.orm import messages
from services.notify.service import NotifyService
from shared import clock, events, migrations
from shared.config import ROOT
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.helpers import wait_for
from tests.system import BUSINESS_MORNING, free_port


@pytest.fixture(scope="module")
def vhost(new_vhost):
    uri = new_vhost("notify")  # queues of its own: the e2e installation has a notify too
    yield uri
    new_vhost.delete(uri)


@pytest.fixture(scope="module")
def database(database_server):
    server, prefix = database_server
    url = sa.engine.make_url(server).set(database=prefix + "notify_svc")
    migrations.upgrade("notify", url)  # the service's own migrations, on PostgreSQL
    return url


@pytest.fixture(scope="module")
def engine(database):
    engine = sa.create_engine(database)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def gateway():
    sim = GatewaySimulator(key="gateway-key", secret="receipt-secret", slow_seconds=2.0)
    server = make_server(sim, port=free_port())
    thread = eventlet.spawn(server.serve_forever)
    sim.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield sim
    server.shutdown()
    thread.wait()


class SmtpServer:
    def __init__(self, port, out):
        self.port, self.out = port, out

    def received(self, to=None):
        if not self.out.exists():
            return []
        mails = [json.loads(line) for line in self.out.read_text(encoding="utf-8").splitlines()]
        return [m for m in mails if to is None or to in m["to"]]


def run_smtp_server(directory, *options):
    port, out = free_port(), directory / "received.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.notify.smtp_server", "--port", str(port), "--out", str(out), *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc, SmtpServer(port, out)


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    proc, server = run_smtp_server(tmp_path_factory.mktemp("smtp"))
    yield server
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def secure_smtp(tmp_path_factory):
    """An SMTP server that requires STARTTLS (a self-signed certificate for
    127.0.0.1, which the client is given as its CA) and a login."""
    directory = tmp_path_factory.mktemp("secure_smtp")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    proc, server = run_smtp_server(
        directory, "--cert", str(cert), "--key", str(key), "--user", "motcua", "--password", "mat-khau-1"
    )
    server.cert = cert
    yield server
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def business_morning(monkeypatch):
    """The clock runs, from a working morning (outside the SMS quiet hours)."""
    monkeypatch.setattr(clock, "_offset", clock.offset_to(BUSINESS_MORNING))


def move_clock(monkeypatch, moment):
    monkeypatch.setattr(clock, "_offset", clock.offset_to(moment))


@pytest.fixture
def start_notify(container_factory, vhost, database, gateway, smtp):
    """start_notify(**config overrides) -> a running notify container (with .port)."""

    def start(**overrides):
        port = free_port()
        config = {
            "AMQP_URI": vhost,
            "SERVICE": "notify",
            "DATABASE_URL": str(database.render_as_string(False)),
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "max_workers": 10,
            "OUTBOX_POLL_SECONDS": 0.5,
            "RETRY_DELAYS_MS": [200, 500, 1000, 2000],
            "SWEEP_SECONDS": 0.2,
            "MAX_ATTEMPTS": 3,
            "RETRY_BASE_SECONDS": 0.2,
            "SENDING_TIMEOUT_SECONDS": 30,
            "SMS_BACKEND": "http",
            "SMS_GATEWAY_URL": gateway.url,
            "SMS_GATEWAY_KEY": "gateway-key",
            "SMS_GATEWAY_SECRET": "receipt-secret",
            "SMS_SENDER": "UBND-HP",
            "SMS_TIMEOUT_SECONDS": 5,
            "SMS_RATE_PER_SECOND": 0,
            "SMS_QUIET_HOURS": "21:00-07:00",
            "SMS_WITHOUT_DIACRITICS": True,
            "EMAIL_BACKEND": "smtp",
            "EMAIL_FROM": "motcua@haiphong.gov.vn",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "SMTP_STARTTLS": False,
            "EMAIL_RATE_PER_SECOND": 0,
            **overrides,
        }
        gateway.receipt_url = f"http://127.0.0.1:{port}/api/sms/receipts"
        container = container_factory(NotifyService, config)
        container.start()
        container.port = port
        return container

    return start


@pytest.fixture(scope="module")
def publisher(vhost):
    publisher = ConfirmingPublisher(vhost)
    yield publisher
    publisher.close()


@pytest.fixture
def publish(publisher):
    """publish(event_type, code, data) -> the envelope, on the source service's exchange;
    publish(env=...) sends an envelope again."""

    def send(event_type=None, code=None, data=None, env=None):
        env = env or events.envelope(event_type, code, data)
        publisher.publish_batch(
            [
                (
                    event_exchange(events.source_of(env["event_type"])),
                    env["event_type"],
                    json.dumps(env, ensure_ascii=False).encode(),
                    {},
                )
            ]
        )
        return env

    return send


def messages_of(engine, code):
    with engine.connect() as conn:
        return [
            dict(row._mapping)
            for row in conn.execute(
                sa.select(messages).where(messages.c.dossier_code == code).order_by(messages.c.created_at)
            )
        ]


def outcomes_of(engine, code):
    """(event_type, data) of the notification events notify owes for a dossier."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT event_type, payload FROM outbox WHERE dossier_code = :c ORDER BY id"), {"c": code}
        ).all()
    return [(row.event_type, json.loads(row.payload)["data"]) for row in rows]


def wait_messages(engine, code, predicate, message, timeout=20):
    return wait_for(
        lambda: (lambda rows: rows if predicate(rows) else None)(messages_of(engine, code)),
        timeout=timeout,
        message=message,
    )
