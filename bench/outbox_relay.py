"""Outbox relay throughput beside the broker's own baseline, in one run.

  python -m bench.outbox_relay [--events N]

Uses MOTCUA_AMQP_URI (default local RabbitMQ) and MOTCUA_DATABASE_URL (default the
local PostgreSQL) with a scratch database `motcua_bench_relay`, dropped at the end.
Prints events/s for: kombu publishing with a confirm awaited per message (the
baseline), our publisher confirming whole batches, and the full relay (read the
outbox, publish, confirm, mark published) on PostgreSQL; then the relay's round of
one event, as at low load (CPU of this process and wall time a round).
"""

import argparse
import json
import os
import time
import uuid

import kombu
import sqlalchemy as sa

from bench.common import drop_database
from shared import events, reliability
from shared.config import DEFAULT_AMQP_URI
from shared.db import Sessions, ensure_database, make_engine
from shared.messaging import ConfirmingPublisher, event_exchange
from shared.relay import relay_once


def rate(count, seconds):
    return f"{count / seconds:8.0f} events/s  ({count} in {seconds:.2f} s)"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000, help="events per measurement (default 3000)")
    args = parser.parse_args()
    amqp_uri = os.environ.get("MOTCUA_AMQP_URI", DEFAULT_AMQP_URI)
    server = os.environ.get("MOTCUA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    n = args.events
    queue = kombu.Queue(
        f"bench-relay-{uuid.uuid4().hex[:8]}",
        exchange=event_exchange("intake"),
        routing_key="dossier_refused",
        durable=True,
        auto_delete=False,
    )
    bodies = [
        json.dumps(events.envelope("dossier_refused", f"BENCH-{i}", {"reason": "bench"}, source="intake")).encode()
        for i in range(n)
    ]
    url = sa.engine.make_url(server).set(database="motcua_bench_relay")
    ensure_database(url)
    engine = make_engine(url)
    reliability.metadata.drop_all(engine)
    reliability.metadata.create_all(engine)
    uow = Sessions(engine)
    with kombu.Connection(amqp_uri) as conn:
        queue(conn.channel()).declare()
        try:
            print(f"outbox relay benchmark: {n} persistent events, RabbitMQ {conn.as_uri()}, PostgreSQL {url.database}")
            with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as confirming:
                producer = confirming.Producer()
                start = time.perf_counter()
                for body in bodies:
                    producer.publish(
                        body,
                        exchange=event_exchange("intake"),
                        routing_key="dossier_refused",
                        content_type="application/json",
                        content_encoding="utf-8",
                        delivery_mode=2,
                    )
                print("baseline  kombu, confirm per message     ", rate(n, time.perf_counter() - start))

            publisher = ConfirmingPublisher(amqp_uri)
            start = time.perf_counter()
            for i in range(0, n, 200):
                publisher.publish_batch(
                    [(event_exchange("intake"), "dossier_refused", b, {}) for b in bodies[i : i + 200]]
                )
            print("publisher batches of 200, confirms together", rate(n, time.perf_counter() - start))

            with uow.transaction() as session:
                for i in range(n):
                    reliability.emit(session, "intake", "dossier_refused", f"BENCH-{i}", {"reason": "bench"})
            start = time.perf_counter()
            while relay_once(uow, publisher, 200):
                pass
            print("relay     outbox on PostgreSQL -> broker  ", rate(n, time.perf_counter() - start))

            rounds = n // 10
            cpu = wall = 0.0
            for i in range(rounds):
                with uow.transaction() as session:
                    reliability.emit(session, "intake", "dossier_refused", f"ONE-{i}", {"reason": "bench"})
                cpu0, wall0 = time.process_time(), time.perf_counter()
                relay_once(uow, publisher, 200)
                cpu += time.process_time() - cpu0
                wall += time.perf_counter() - wall0
            print(
                f"relay     one event a round ({rounds} rounds)  "
                f"{cpu / rounds * 1e6:8.0f} us CPU, {wall / rounds * 1e6:.0f} us wall a round"
            )
            publisher.close()
        finally:
            queue(conn.channel()).delete()
    engine.dispose()
    drop_database(url)


if __name__ == "__main__":
    main()
