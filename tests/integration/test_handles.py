"""`@handles` wired once, against a real RabbitMQ and PostgreSQL: one method on two
event types, the inbox under `<service>.<method>`, the events an aggregate records
reaching the outbox in the handler's own transaction, and the work returned for
after the commit."""

import itertools
import json
import uuid
from dataclasses import dataclass

import eventlet
import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from shared import events, logs, reliability
from shared.db import Database, make_engine
from shared.domain import Aggregate, DomainEvent
from shared.events import EventType
from shared.messaging import (
    ConfirmingPublisher,
    ParkingQueueConsumer,
    consumer_queue_name,
    database_away,
    event_exchange,
    handles,
)
from shared.uow import UnitOfWork
from tests.helpers import fresh_database, wait_for

SERVICE = "spine_handles"

effects_metadata = sa.MetaData()
effects = sa.Table(
    "handled_effects",
    effects_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36)),
    sa.Column("dossier_code", sa.String(40)),
)

CALLS = []  # (event_id, event_type, dossier code and correlation id of the log context)
AFTER = []  # (event_id, whether its effect was already committed when the callable ran)
FAIL_ONCE = set()  # dossier codes whose first handling raises after recording its event
FAIL_TWICE = set()  # dossier codes whose first two handlings raise
AWAY = {}  # dossier code -> how many more handlings find the database away
SLOW = set()  # dossier codes whose handling takes a while (what arrives meanwhile makes a batch)
TRANSACTIONS = {}  # event_id -> the transactions (sessions) that handled it, in order
SESSIONS = itertools.count()


@dataclass(frozen=True)
class Rejected(DomainEvent):
    event_type = EventType.DOSSIER_REJECTED
    reason: str


class Case(Aggregate):
    def __init__(self, code, correlation_id):
        self.code, self.correlation_id = code, correlation_id

    def reject(self, reason):
        self.record(Rejected(self.code, self.correlation_id, reason))


class CaseWork(UnitOfWork):
    source = "processing"


def committed(event_id):
    engine = make_engine(URLS["consumer"])
    try:
        with engine.connect() as conn:
            return (
                conn.scalar(sa.select(sa.func.count()).select_from(effects).where(effects.c.event_id == event_id)) == 1
            )
    finally:
        engine.dispose()


class HandlesConsumer:
    name = SERVICE
    db = Database()
    work = CaseWork

    @handles("intake", EventType.DOSSIER_REFUSED, EventType.DOSSIER_WITHDRAWN)
    def on_stopped(self, env, work):
        CALLS.append((env["event_id"], env["event_type"], logs._dossier.get(), logs.current_correlation_id()))
        TRANSACTIONS.setdefault(env["event_id"], []).append(work.session.info.setdefault("n", next(SESSIONS)))
        if env["dossier_code"] in SLOW:
            eventlet.sleep(0.5)
        if AWAY.get(env["dossier_code"]):
            AWAY[env["dossier_code"]] -= 1
            raise sa.exc.OperationalError("INSERT ...", {}, ConnectionError("server closed the connection"))
        work.session.execute(effects.insert().values(event_id=env["event_id"], dossier_code=env["dossier_code"]))
        work.track(Case(env["dossier_code"], env["correlation_id"])).reject(env["data"]["reason"])
        if env["dossier_code"] in FAIL_ONCE:
            FAIL_ONCE.discard(env["dossier_code"])
            raise RuntimeError("department system down")
        if env["dossier_code"] in FAIL_TWICE:
            FAIL_TWICE.remove(env["dossier_code"])
            FAIL_ONCE.add(env["dossier_code"])
            raise RuntimeError("department system down")
        return lambda: AFTER.append((env["event_id"], committed(env["event_id"])))


URLS = {}


@pytest.fixture(scope="module")
def database(database_server):
    server, prefix = database_server
    URLS["consumer"] = fresh_database(server, prefix + SERVICE, reliability.metadata, effects_metadata)
    engine = make_engine(URLS["consumer"])
    yield engine
    engine.dispose()


@pytest.fixture
def consumer(container_factory, amqp_uri, database):
    # one worker: deliveries are handled in the order they were published
    container = container_factory(
        HandlesConsumer,
        {
            "AMQP_URI": amqp_uri,
            "SERVICE": SERVICE,
            "DATABASE_URL": URLS["consumer"],
            "RETRY_DELAYS_MS": [100, 200],
            "max_workers": 1,
        },
    )
    container.start()
    return container


def new_code():
    return f"000.00.06.H56-261126-{uuid.uuid4().hex[:6]}"


def publish(amqp_uri, *envs):
    publisher = ConfirmingPublisher(amqp_uri)
    publisher.publish_batch(
        [(event_exchange("intake"), env["event_type"], json.dumps(env).encode(), {}) for env in envs]
    )
    publisher.close()


def outbox_of(engine, code):
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(reliability.outbox.c.event_type, reliability.outbox.c.payload).where(
                reliability.outbox.c.dossier_code == code
            )
        ).all()
    return [(event_type, json.loads(payload)) for event_type, payload in rows]


def inbox_consumers(engine, event_id):
    with engine.connect() as conn:
        return conn.scalars(
            sa.select(reliability.inbox.c.consumer).where(reliability.inbox.c.event_id == event_id)
        ).all()


def test_one_method_on_two_event_types_handles_a_redelivery_once(consumer, database, amqp_uri):
    refused_code, withdrawn_code = new_code(), new_code()
    refused = events.envelope("dossier_refused", refused_code, {"reason": "thiếu tờ khai"}, "corr-r", "intake")
    withdrawn = events.envelope("dossier_withdrawn", withdrawn_code, {"reason": "công dân rút"}, "corr-w", "intake")
    sentinel = events.envelope("dossier_refused", new_code(), {"reason": "sau cùng"}, source="intake")
    publish(amqp_uri, refused, refused, withdrawn, sentinel)  # the first one delivered twice

    # the sentinel follows the redelivery on the refused queue; the withdrawn one has a queue of its own
    wait_for(
        lambda: {sentinel["event_id"], withdrawn["event_id"]} <= {a[0] for a in AFTER},
        message="the last event of each queue handled",
    )
    handled = [c for c in CALLS if c[0] in (refused["event_id"], withdrawn["event_id"])]
    # each once, with the log context of its own dossier
    assert sorted(handled) == sorted(
        [
            (refused["event_id"], "dossier_refused", refused_code, "corr-r"),
            (withdrawn["event_id"], "dossier_withdrawn", withdrawn_code, "corr-w"),
        ]
    )
    assert inbox_consumers(database, refused["event_id"]) == [f"{SERVICE}.on_stopped"]
    assert inbox_consumers(database, withdrawn["event_id"]) == [f"{SERVICE}.on_stopped"]
    # the event the aggregate recorded is in the outbox, once, with the dossier's correlation id
    [(event_type, env)] = outbox_of(database, refused_code)
    assert (event_type, env["correlation_id"], env["data"]) == (
        "dossier_rejected",
        "corr-r",
        {"reason": "thiếu tờ khai"},
    )
    assert [t for t, _ in outbox_of(database, withdrawn_code)] == ["dossier_rejected"]
    # the returned callable ran once per event, after its effect was committed
    assert [a for a in AFTER if a[0] == refused["event_id"]] == [(refused["event_id"], True)]


def test_a_failed_handling_leaves_neither_its_events_nor_its_inbox_row(consumer, database, amqp_uri):
    code = new_code()
    FAIL_ONCE.add(code)
    env = events.envelope("dossier_refused", code, {"reason": "r"}, source="intake")
    publish(amqp_uri, env)
    wait_for(lambda: any(a[0] == env["event_id"] for a in AFTER), message="the retried event handled")
    assert [c[0] for c in CALLS].count(env["event_id"]) == 2  # failed, then retried
    # the failed try's event and effect were rolled back with it: one of each
    assert [t for t, _ in outbox_of(database, code)] == ["dossier_rejected"]
    assert inbox_consumers(database, env["event_id"]) == [f"{SERVICE}.on_stopped"]
    assert committed(env["event_id"])


def batches_of_three_to_five():
    """Batches of 3 to 5 deliveries the refusals' queue has seen (the batch size histogram)."""
    queue = consumer_queue_name("intake", "dossier_refused", SERVICE, "on_stopped")

    def up_to(le):
        return REGISTRY.get_sample_value("motcua_handler_batch_deliveries_bucket", {"queue": queue, "le": le}) or 0

    return up_to("5.0") - up_to("2.0")


def test_what_arrives_meanwhile_is_handled_in_one_transaction_and_a_failure_retries_alone(consumer, database, amqp_uri):
    seen_before = batches_of_three_to_five()
    blocker = events.envelope("dossier_refused", new_code(), {"reason": "chậm"}, source="intake")
    SLOW.add(blocker["dossier_code"])
    publish(amqp_uri, blocker)
    wait_for(lambda: blocker["event_id"] in TRANSACTIONS, message="the slow event taken")
    batch = [events.envelope("dossier_refused", new_code(), {"reason": f"r{i}"}, source="intake") for i in range(5)]
    failing = batch[2]
    FAIL_TWICE.add(failing["dossier_code"])
    publish(amqp_uri, *batch)  # arrives while the slow one is handled: the next batch
    wait_for(lambda: all(any(a[0] == env["event_id"] for a in AFTER) for env in batch), message="all handled")

    # the five came to the handler together, in one transaction, in the order published,
    # until the failure undid that transaction; then each ran alone: the four others
    # were handled there, the failing one went to its retry, which succeeded
    together = TRANSACTIONS[batch[0]["event_id"]][0]
    assert [c[0] for c in CALLS if c[0] in {e["event_id"] for e in batch}][:3] == [e["event_id"] for e in batch[:3]]
    for i, env in enumerate(batch):
        handled_in = TRANSACTIONS[env["event_id"]]
        assert (handled_in[0] == together) == (i <= 2)
        assert len(handled_in) == {0: 2, 1: 2, 2: 3}.get(i, 1)
        assert len(set(handled_in)) == len(handled_in)
    assert batches_of_three_to_five() == seen_before + 1  # and /metrics counted that batch
    # nothing twice: one effect, one outbox event, one inbox row, one run after the commit each
    for env in batch:
        assert committed(env["event_id"])
        assert [t for t, _ in outbox_of(database, env["dossier_code"])] == ["dossier_rejected"]
        assert inbox_consumers(database, env["event_id"]) == [f"{SERVICE}.on_stopped"]
        assert [a for a in AFTER if a[0] == env["event_id"]] == [(env["event_id"], True)]


def test_tries_that_find_the_database_away_are_not_counted(consumer, database, amqp_uri):
    """Two retries are configured; four tries in a row find the database away (a
    restart): the event is not parked, and is handled once the database is back."""
    env = events.envelope("dossier_refused", new_code(), {"reason": "r"}, source="intake")
    AWAY[env["dossier_code"]] = 4
    publish(amqp_uri, env)
    wait_for(lambda: any(a[0] == env["event_id"] for a in AFTER), timeout=30, message="handled after the outage")
    assert [c[0] for c in CALLS].count(env["event_id"]) == 5
    assert committed(env["event_id"])
    assert [t for t, _ in outbox_of(database, env["dossier_code"])] == ["dossier_rejected"]


def test_what_counts_as_the_database_away():
    def driver_error(pgcode):
        orig = Exception("x")
        orig.pgcode = pgcode
        return orig

    away = sa.exc.OperationalError("SELECT 1", {}, driver_error(None))
    deadlock = sa.exc.OperationalError("UPDATE ...", {}, driver_error("40P01"))
    dropped = sa.exc.DBAPIError("SELECT 1", {}, driver_error("57P01"), connection_invalidated=True)
    unique = sa.exc.IntegrityError("INSERT ...", {}, driver_error("23505"))
    assert database_away(away) and database_away(dropped)
    assert not database_away(deadlock) and not database_away(unique) and not database_away(RuntimeError("x"))


def test_the_broker_is_asked_how_many_consumers_each_queue_has(consumer):
    """What the queue consumer's watch reads to find a queue the broker left without
    its consumer (after a restart): here, a running consumer, one on each queue."""
    queue_consumer = next(ext for ext in consumer.extensions if isinstance(ext, ParkingQueueConsumer))
    counts = wait_for(lambda: queue_consumer.consumer_counts() or None, message="the consumer counts")
    assert set(counts) == {e.queue.name for e in consumer.entrypoints if hasattr(e, "queue")}
    assert set(counts.values()) == {1}
    assert not queue_consumer.check_consumers(counts)
