"""The messaging spine against a real RabbitMQ and PostgreSQL: outbox, inbox,
retries and dead letters, with nameko containers running in this process."""

import json
import uuid

import pytest
import sqlalchemy as sa

from shared import dlq, events, reliability
from shared.db import Database, Sessions, make_engine
from shared.messaging import ConfirmingPublisher, event_exchange, handles
from shared.relay import OutboxRelay, relay_once
from tests.helpers import fresh_database, wait_for

effects_metadata = sa.MetaData()
effects = sa.Table(
    "effects",
    effects_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36)),
    sa.Column("dossier_code", sa.String(40)),
)

SEEN = []  # every delivery the consumer's handler was called with (event ids)
DONE = []  # every delivery whose handling committed
FAILING = set()  # dossier codes whose handling raises, as if a dependency were down


class SpineConsumer:
    name = "spine_consumer"
    db = Database()

    @handles("intake", "dossier_refused")
    def on_refused(self, env):
        SEEN.append(env["event_id"])
        if env["dossier_code"] in FAILING:
            raise RuntimeError("department system down")
        with self.db.transaction() as session:
            if reliability.first_time(session, "spine_consumer.on_refused", env):
                session.execute(effects.insert().values(event_id=env["event_id"], dossier_code=env["dossier_code"]))
        DONE.append(env["event_id"])


class SpineProducer:
    name = "spine_producer"
    db = Database()
    relay = OutboxRelay()


@pytest.fixture(scope="module")
def databases(database_server):
    server, prefix = database_server
    return {
        "producer": fresh_database(server, prefix + "spine_producer", reliability.metadata),
        "consumer": fresh_database(server, prefix + "spine_consumer", reliability.metadata, effects_metadata),
    }


def config(amqp_uri, service, url):
    return {
        "AMQP_URI": amqp_uri,
        "SERVICE": service,
        "DATABASE_URL": url,
        "RETRY_DELAYS_MS": [100, 200],
        "OUTBOX_POLL_SECONDS": 0.2,
        "max_workers": 4,
    }


@pytest.fixture
def consumer(container_factory, amqp_uri, databases):
    container = container_factory(SpineConsumer, config(amqp_uri, "spine_consumer", databases["consumer"]))
    container.start()
    return container


@pytest.fixture
def producer_uow(databases):
    uow = Sessions(make_engine(databases["producer"]))
    yield uow
    uow.engine.dispose()


@pytest.fixture
def consumer_engine(databases):
    engine = make_engine(databases["consumer"])
    yield engine
    engine.dispose()


def new_code():
    return f"000.00.06.H56-261126-{uuid.uuid4().hex[:6]}"


def effect_count(engine, code):
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(effects).where(effects.c.dossier_code == code))


def pending_count(uow):
    with uow.transaction() as session:
        return reliability.lag(session)[0]


def refuse(uow, code):
    with uow.transaction() as session:
        return reliability.emit(session, "intake", "dossier_refused", code, {"reason": "thiếu tờ khai"})


class PublishesThenDies(ConfirmingPublisher):
    """A relay process that dies after the broker confirmed, before marking the rows."""

    def publish_batch(self, messages):
        super().publish_batch(messages)
        raise RuntimeError("relay killed after publishing")


def test_relay_stopped_between_commit_and_publish_loses_nothing(
    consumer, producer_uow, consumer_engine, container_factory, amqp_uri, databases
):
    code = new_code()
    env = refuse(producer_uow, code)
    # committed, but no relay runs: the event waits in the outbox
    assert pending_count(producer_uow) >= 1
    assert effect_count(consumer_engine, code) == 0

    # the relay publishes, then dies before marking the row published
    dying = PublishesThenDies(amqp_uri)
    with pytest.raises(RuntimeError, match="relay killed"):
        relay_once(producer_uow, dying)
    dying.close()
    assert pending_count(producer_uow) >= 1

    # restarted, the relay publishes it again; the consumer's inbox keeps one effect
    producer = container_factory(SpineProducer, config(amqp_uri, "spine_producer", databases["producer"]))
    producer.start()
    wait_for(lambda: DONE.count(env["event_id"]) == 2, message="both deliveries handled")
    wait_for(lambda: pending_count(producer_uow) == 0, message="outbox drained")
    assert effect_count(consumer_engine, code) == 1
    with consumer_engine.connect() as conn:
        handled = conn.scalar(
            sa.select(sa.func.count())
            .select_from(reliability.inbox)
            .where(reliability.inbox.c.event_id == env["event_id"])
        )
    assert handled == 1


def test_relay_wakes_on_commit(consumer, producer_uow, consumer_engine, container_factory, amqp_uri, databases):
    producer = container_factory(SpineProducer, config(amqp_uri, "spine_producer", databases["producer"]))
    producer.start()
    relay = next(d for d in producer.dependencies if isinstance(d, OutboxRelay))
    codes = [new_code() for _ in range(20)]
    with relay.uow.transaction() as session:  # the container's own unit of work wakes its relay
        for code in codes:
            reliability.emit(session, "intake", "dossier_refused", code, {"reason": "r"})
    wait_for(lambda: all(effect_count(consumer_engine, c) == 1 for c in codes), message="all 20 effects")


def test_same_event_delivered_twice_has_one_effect(consumer, consumer_engine, amqp_uri):
    code = new_code()
    env = events.envelope("dossier_refused", code, {"reason": "trùng"}, source="intake")
    body = json.dumps(env).encode()
    publisher = ConfirmingPublisher(amqp_uri)
    publisher.publish_batch([(event_exchange("intake"), "dossier_refused", body, {})] * 2)
    publisher.close()
    wait_for(lambda: DONE.count(env["event_id"]) == 2, message="two deliveries handled")
    assert effect_count(consumer_engine, code) == 1


def test_failing_handler_is_retried_parked_and_replayed(
    consumer, producer_uow, consumer_engine, container_factory, amqp_uri, databases
):
    producer = container_factory(SpineProducer, config(amqp_uri, "spine_producer", databases["producer"]))
    producer.start()
    poison = new_code()
    FAILING.add(poison)
    poison_env = refuse(producer_uow, poison)
    healthy = [new_code() for _ in range(5)]
    for code in healthy:
        refuse(producer_uow, code)

    # other messages flow while the poison one is retried
    wait_for(lambda: all(effect_count(consumer_engine, c) == 1 for c in healthy), message="healthy events")
    parked = wait_for(
        lambda: [p for p in dlq.list_parked(amqp_uri, ["spine_consumer"]) if p["event_id"] == poison_env["event_id"]],
        message="the poison event parked",
    )
    assert SEEN.count(poison_env["event_id"]) == 3  # first try and two delayed retries
    assert parked[0]["attempts"] == 3
    assert "department system down" in parked[0]["error"]
    assert parked[0]["queue"] == "evt-intake-dossier_refused--spine_consumer.on_refused"
    assert effect_count(consumer_engine, poison) == 0
    # listing leaves the message parked
    assert len(dlq.list_parked(amqp_uri, ["spine_consumer"])) == 1

    FAILING.discard(poison)
    replayed = dlq.replay(amqp_uri, ["spine_consumer"])
    assert [r["event_id"] for r in replayed] == [poison_env["event_id"]]
    wait_for(lambda: effect_count(consumer_engine, poison) == 1, message="the replayed event handled")
    assert dlq.list_parked(amqp_uri, ["spine_consumer"]) == []


def test_malformed_event_is_parked_at_once(consumer, amqp_uri):
    publisher = ConfirmingPublisher(amqp_uri)
    publisher.publish_batch([(event_exchange("intake"), "dossier_refused", b'{"event_type": "dossier_refused"}', {})])
    publisher.close()
    parked = wait_for(lambda: dlq.list_parked(amqp_uri, ["spine_consumer"]), message="malformed event parked")
    assert len(parked) == 1 and "malformed event" in parked[0]["error"]
    assert len(dlq.discard(amqp_uri, ["spine_consumer"])) == 1
    assert dlq.list_parked(amqp_uri, ["spine_consumer"]) == []
