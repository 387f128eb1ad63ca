"""notify's SMS throughput beside the raw handler rate, on the same broker, in one run.

  python -m bench.notify_sms [--messages N]

Pre-loads N dossier_received events (SMS chosen) into a queue, then measures:
  baseline  a nameko reliable event handler that does nothing (the spine's ceiling),
            and the same handler committing one PostgreSQL transaction (the inbox);
  notify    the real notify service: inbox, message row, template, rate limiter,
            `sending` committed, the HTTP call to the SMS gateway, the outcome and
            notification_sent in the outbox: messages/s until the gateway holds N SMS.
The gateway is the local simulator (`motcua sms-gateway-sim`) in its own process.
Uses MOTCUA_AMQP_URI (default local RabbitMQ) and MOTCUA_DATABASE_URL (default the
local PostgreSQL) with a scratch virtual host (where rabbitmqctl can make one) and a
scratch database, dropped at the end; the queues are named after `notify_bench` and
deleted at the end.
"""

import eventlet

eventlet.monkey_patch()
from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import kombu  # noqa: E402
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402

from bench.common import drop_database, scratch_vhost  # noqa: E402
from services.notify.service import NotifyService  # noqa: E402
from shared import events, messaging, migrations  # noqa: E402
from shared.config import DEFAULT_AMQP_URI, ROOT  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.messaging import ConfirmingPublisher, handles  # noqa: E402
from shared.reliability import first_time  # noqa: E402
from tests.notify.samples import received  # noqa: E402
from tests.system import free_port  # noqa: E402

DONE = []


class RawHandler:
    name = "notify_bench_raw"

    @handles("intake", "dossier_received")
    def on_dossier_received(self, env):
        DONE.append(time.perf_counter())


class InboxOnly:
    """The handler plus one PostgreSQL transaction (the inbox row): the database's share."""

    name = "notify_bench_inbox"
    db = Database()

    @handles("intake", "dossier_received")
    def on_dossier_received(self, env):
        with self.db.transaction() as session:
            first_time(session, "bench.inbox", env)
        DONE.append(time.perf_counter())


class BenchNotify(NotifyService):
    name = "notify_bench"  # queues of its own, beside any real notify on this broker


def preload(amqp_uri, service, method, n):
    queue = messaging.consumer_queue("intake", "dossier_received", service, method)
    with kombu.Connection(amqp_uri) as conn:
        messaging.declare(conn, [queue])
    publisher = ConfirmingPublisher(amqp_uri)
    bodies = [
        json.dumps(
            events.envelope(
                "dossier_received", f"BENCH-{uuid.uuid4().hex[:10]}", received(f"09{i:08d}"), source="intake"
            ),
            ensure_ascii=False,
        ).encode()
        for i in range(n)
    ]
    for i in range(0, n, 200):
        publisher.publish_batch(
            [(messaging.event_exchange("intake"), "dossier_received", b, {}) for b in bodies[i : i + 200]]
        )
    publisher.close()
    return queue


MIN_MESSAGES = 200


def run(container, done, moments, n):
    """(count, seconds) from the first event handled to the last, by the moments each was
    handled: start-up left out, however late this loop first looks."""
    container.start()
    while done() < n:
        eventlet.sleep(0.05)
    container.stop()
    handled = sorted(moments())[:n]
    seconds = handled[-1] - handled[0]
    if seconds <= 0:
        raise SystemExit(f"all {n} events were handled in the same instant: use more --messages")
    return n - 1, seconds


def cleanup(amqp_uri, services):
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        for service in services:
            for queue in messaging.service_queues(service, [100]):
                channel.queue_delete(queue.name)
            method = "tell_citizen" if service == "notify_bench" else "on_dossier_received"  # notify's handler
            channel.queue_delete(messaging.consumer_queue_name("intake", "dossier_received", service, method))
        for name in services:
            channel.exchange_delete(messaging.retry_exchange_name(name, 100))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000, help="events (one SMS each) per measurement")
    args = parser.parse_args()
    if args.messages < MIN_MESSAGES:
        parser.error(f"--messages: at least {MIN_MESSAGES}, so that each rate is timed over more than a moment")
    n = args.messages
    # notify runs in this process: its token checks need a secret of the installation's own
    os.environ.setdefault("MOTCUA_JWT_SECRET", "bench-notify-secret-of-at-least-32-bytes")
    # a virtual host of its own: the events it loads must not reach an installation on the same broker
    amqp_uri, drop_vhost = scratch_vhost(os.environ.get("MOTCUA_AMQP_URI", DEFAULT_AMQP_URI), "notify")
    server = os.environ.get("MOTCUA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = sa.engine.make_url(server).set(database="motcua_bench_notify")
    migrations.upgrade("notify", url)
    db_url = url.render_as_string(hide_password=False)
    port = free_port()
    gateway = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "sms-gateway-sim", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    gateway.stdout.readline()
    gateway_url = f"http://127.0.0.1:{port}"
    base = {"AMQP_URI": amqp_uri, "RETRY_DELAYS_MS": [100], "max_workers": 10}
    try:
        print(
            f"notify SMS benchmark: {n} events, one SMS each, RabbitMQ {amqp_uri}, PostgreSQL {url.database}, "
            f"gateway simulator {gateway_url}"
        )
        preload(amqp_uri, "notify_bench_raw", "on_dossier_received", n)
        count, seconds = run(
            ServiceContainer(RawHandler, {**base, "SERVICE": "notify_bench_raw"}), lambda: len(DONE), lambda: DONE, n
        )
        raw = count / seconds
        print(f"baseline  nameko reliable handler, no work   {raw:8.0f} events/s    ({count} in {seconds:.2f} s)")

        preload(amqp_uri, "notify_bench_inbox", "on_dossier_received", n)
        DONE.clear()
        count, seconds = run(
            ServiceContainer(InboxOnly, {**base, "SERVICE": "notify", "DATABASE_URL": db_url}),
            lambda: len(DONE),
            lambda: DONE,
            n,
        )
        print(
            f"baseline  handler + one PostgreSQL commit     {count / seconds:8.0f} events/s    ({count} in "
            f"{seconds:.2f} s)"
        )

        preload(amqp_uri, "notify_bench", "tell_citizen", n)
        config = {
            **base,
            "SERVICE": "notify",
            "DATABASE_URL": db_url,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
            "OUTBOX_POLL_SECONDS": 1.0,
            "SMS_BACKEND": "http",
            "SMS_GATEWAY_URL": gateway_url,
            "SMS_RATE_PER_SECOND": 0,
            "SMS_QUIET_HOURS": "",
            "SMS_WITHOUT_DIACRITICS": True,
            "SWEEP_SECONDS": 5,
            "EMAIL_BACKEND": "local",
        }

        def sent():
            return requests.get(f"{gateway_url}/control/count", timeout=30).json()["sent"]

        def arrivals():  # the gateway's clock, when each SMS reached it
            return [sms["at"] for sms in requests.get(f"{gateway_url}/control/sent", timeout=30).json()["sent"]]

        count, seconds = run(ServiceContainer(BenchNotify, config), sent, arrivals, n)
        print(
            f"notify    event -> SMS through the gateway   {count / seconds:8.0f} messages/s  ({count} in "
            f"{seconds:.2f} s, {count / seconds / raw:.0%} of the raw handler rate)"
        )
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)
        cleanup(amqp_uri, ["notify_bench_raw", "notify_bench_inbox", "notify_bench"])
        drop_vhost()
        drop_database(url)


if __name__ == "__main__":
    main()
