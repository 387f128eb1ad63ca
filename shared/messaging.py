"""RabbitMQ topology and the reliable event handler.

Every handler consumes a durable quorum queue. A handler that raises is retried
after a delay (the message waits in a TTL queue of the service that dead-letters it
back), and after the last attempt it is parked in the service's dead-letter queue
with the error, where `motcua dlq list|replay` finds it. A try that found the
database away (restarting, failing over) is retried without counting as an attempt:
an outage longer than the retry delays parks nothing. The quorum queue's
delivery limit is the backstop for a process that dies on a message every time.

Nothing goes through the default exchange (write access to it would let a service
drop messages into any queue): a service publishes its events to `<service>.events`,
sends retries back through its own `<service>.redeliver` (a direct exchange to which
each of its consumer queues is bound under its own name) and parks through its own
`<service>.dead-letters` exchange. A consumer applies an event only when it arrived
through its source's exchange under its own type (or through the service's own
redelivery path) and its envelope and data satisfy the contract; anything else,
including a body that does not even decode, is parked with the reason.
"""

import functools
import inspect
import json
import logging
import socket
import sys
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import amqp
import eventlet
import eventlet.event
import eventlet.semaphore
import kombu
from eventlet.queue import LightQueue
from kombu import Exchange, Queue
from marshmallow import ValidationError
from nameko.events import EventHandler
from nameko.extensions import register_entrypoint
from nameko.messaging import QueueConsumer
from nameko.rpc import Rpc
from sqlalchemy import exc as sa_exc

from shared import events, logs, metrics
from shared.reliability import first_times

log = logging.getLogger(__name__)

JSON = "application/json"
DELIVERY_LIMIT = 20  # backstop only: crashes mid-handler, not handler errors
DEFAULT_RETRY_DELAYS_MS = (1000, 5000, 30000)
PERSISTENT = 2
# What a broker going away looks like from a channel call.
BROKER_GONE = (OSError, amqp.exceptions.AMQPError, kombu.exceptions.KombuError)


def event_exchange(source):
    # Same declaration as nameko's own, so both sides agree on the exchange.
    return Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=PERSISTENT)


def dead_letter_queue_name(service):
    return f"{service}.dead-letters"


def dead_letter_exchange(service):
    # same name as the queue it feeds
    return Exchange(dead_letter_queue_name(service), type="fanout", durable=True, delivery_mode=PERSISTENT)


def redeliver_exchange_name(service):
    return f"{service}.redeliver"


def redeliver_exchange(service):
    return Exchange(redeliver_exchange_name(service), type="direct", durable=True, delivery_mode=PERSISTENT)


def retry_exchange_name(service, delay_ms):
    return f"{service}.retry.{delay_ms}ms"


def consumer_queue_name(source, event_type, service, method):
    # nameko's naming for service-pool handlers, so operators recognise it
    return f"evt-{source}-{event_type}--{service}.{method}"


def consumer_queue(source, event_type, service, method):
    name = consumer_queue_name(source, event_type, service, method)
    queue = Queue(
        name,
        exchange=event_exchange(source),
        routing_key=event_type,
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": dead_letter_queue_name(service),
            "x-dead-letter-routing-key": dead_letter_queue_name(service),
        },
    )
    # retries and replays come back through the service's own exchange, under the queue's name
    # (set after: kombu drops the main exchange of a queue created with bindings)
    queue.bindings = {kombu.binding(redeliver_exchange(service), routing_key=name)}
    return queue


def service_consumer_queues(service_cls, service):
    """The handler queues of a service class's `@handles` entrypoints."""
    return [
        consumer_queue(entrypoint.source_service, entrypoint.event_type, service, method_name)
        for method_name, method in inspect.getmembers(service_cls, inspect.isfunction)
        for entrypoint in getattr(method, "nameko_entrypoints", ())
        if isinstance(entrypoint, ReliableEventHandler)
    ]


def foreign_event_types(service):
    """Event types another service owns: published on this service's exchange they
    are forged or misrouted."""
    return sorted(str(t) for t, (owner, _) in events.EVENTS.items() if owner != service)


def dead_letter_queue(service):
    queue = Queue(dead_letter_queue_name(service), exchange=dead_letter_exchange(service), durable=True)
    # an event type this service does not own, published on its exchange, has no
    # consumer: it lands here instead of vanishing, for an operator to see
    queue.bindings = {kombu.binding(event_exchange(service), routing_key=t) for t in foreign_event_types(service)}
    return queue


def service_queues(service, retry_delays_ms):
    """The dead-letter queue and the retry queues of a service (declaring them
    declares its events and dead-letters exchanges; its consumer queues, its
    redeliver exchange)."""
    queues = [dead_letter_queue(service)]
    for delay in retry_delays_ms:
        name = retry_exchange_name(service, delay)
        # Fanout: the routing key (the consumer queue's name) survives, and the
        # service's redeliver exchange uses it to send the expired message back to its queue.
        queues.append(
            Queue(
                name,
                exchange=Exchange(name, type="fanout", durable=True),
                durable=True,
                queue_arguments={
                    "x-message-ttl": int(delay),
                    "x-dead-letter-exchange": redeliver_exchange_name(service),
                },
            )
        )
    return queues


class TopologyConflict(RuntimeError):
    """A queue or exchange exists with other arguments (an older topology)."""


def _declaration_steps(entity):
    """(what, callable(channel)) for each broker call that declares an entity:
    its exchanges, the queue, its bindings."""

    def exchange_step(exchange):
        return (
            f"exchange {exchange.name}",
            lambda ch: ch.exchange_declare(
                exchange=exchange.name,
                type=exchange.type,
                durable=exchange.durable,
                auto_delete=exchange.auto_delete,
                arguments=exchange.arguments,
            ),
        )

    if isinstance(entity, Exchange):
        return [exchange_step(entity)] if entity.name else []
    steps = []
    bindings = []
    if entity.exchange is not None and entity.exchange.name:
        bindings.append((entity.exchange, entity.routing_key))
    bindings += [(b.exchange, b.routing_key) for b in entity.bindings]
    for exchange in {exchange.name: exchange for exchange, _ in bindings}.values():
        steps.append(exchange_step(exchange))
    steps.append(
        (
            f"queue {entity.name}",
            lambda ch: ch.queue_declare(
                queue=entity.name,
                durable=entity.durable,
                exclusive=entity.exclusive,
                auto_delete=entity.auto_delete,
                arguments=entity.queue_arguments,
            ),
        )
    )
    for exchange, key in bindings:
        steps.append(
            (
                f"binding {exchange.name} -[{key}]-> {entity.name}",
                lambda ch, exchange=exchange, key=key: ch.queue_bind(
                    queue=entity.name, exchange=exchange.name, routing_key=key or ""
                ),
            )
        )
    return steps


def declare(connection, entities, may_skip=False):
    """Declare exchanges and queues with their bindings. With may_skip, what the
    broker user may not configure (another service's queues and exchanges, under
    per-service broker users) is skipped, logged in one line: `motcua broker setup`
    declares those. Returns the descriptions of what was skipped."""
    skipped = []
    channel = connection.channel()
    try:
        for entity in entities:
            for what, step in _declaration_steps(entity):
                if what in skipped:
                    continue  # an exchange shared by several queues, already refused
                try:
                    step(channel)
                except amqp.exceptions.AccessRefused:
                    if not may_skip:
                        raise
                    skipped.append(what)
                    channel = connection.channel()  # the refusal closed the channel
                    if what.startswith("queue "):
                        break  # not this user's queue: its bindings are not either
                except amqp.exceptions.PreconditionFailed as exc:
                    raise TopologyConflict(
                        f"{what} exists on the broker with other arguments ({exc}); this version's topology "
                        "differs: drain and delete it, or use a new virtual host (see the upgrade notes)"
                    ) from exc
    finally:
        try:
            channel.close()
        except BROKER_GONE:
            pass
    if skipped:
        skipped = list(dict.fromkeys(skipped))
        # another service's exchange alone is the everyday case of a handler: not worth a line each
        level = logging.DEBUG if all(s.startswith("exchange ") for s in skipped) else logging.INFO
        log.log(
            level,
            "left %d declaration(s) this broker user may not make to `motcua broker setup` (e.g. %s)",
            len(skipped),
            skipped[0],
        )
    return skipped


def declare_patiently(amqp_uri, entities, give_up_after=120, may_skip=False):
    """Declare at start-up, waiting for a broker that is still coming up (just
    restarted, quorum queues recovering) instead of failing the service."""
    deadline = time.monotonic() + give_up_after
    delay = 0.5
    while True:
        try:
            with kombu.Connection(amqp_uri, connect_timeout=5) as conn:
                declare(conn, entities, may_skip=may_skip)
            return
        except BROKER_GONE as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("broker not ready to declare queues (%s); trying again in %.1fs", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 10)


class ConfirmingPublisher:
    """Publishes persistent JSON messages and waits for the broker's confirms of a
    whole batch at once (pipelined), which is several times faster than waiting for
    each message."""

    def __init__(self, amqp_uri, confirm_timeout=30):
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self.connection = None
        self.channel = None
        self.declared = set()
        self._lock = eventlet.semaphore.Semaphore(1)  # one batch at a time on the channel

    def _open(self):
        if self.channel is not None:
            return
        self.connection = kombu.Connection(self.amqp_uri, heartbeat=0)
        self.connection.ensure_connection(max_retries=1)
        self.channel = self.connection.channel()
        self.channel.confirm_select()
        self._next_tag = 1
        self._acked = 0
        self._nacked = []
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.declared = set()

    def _on_ack(self, tag, multiple):
        self._acked = max(self._acked, tag)

    def _on_nack(self, tag, multiple):
        self._nacked.append(tag)
        self._acked = max(self._acked, tag)

    def close(self):
        try:
            if self.connection is not None:
                self.connection.release()
        except Exception:  # closing a dead connection
            pass
        self.connection = self.channel = None

    def publish_batch(self, messages):
        """messages: iterable of (exchange, routing_key, body: bytes, headers).
        Returns when every message is confirmed; raises if any was refused or the
        connection failed (then nothing is known to be published: retry the batch)."""
        with self._lock:
            self._publish_batch(messages)

    def _publish_batch(self, messages):
        try:
            self._open()
            first = self._next_tag
            for exchange, routing_key, body, headers in messages:
                if exchange and exchange.name not in self.declared:
                    exchange.maybe_bind(self.channel)
                    exchange.declare()
                    self.declared.add(exchange.name)
                msg = amqp.Message(
                    body,
                    content_type=JSON,
                    content_encoding="utf-8",
                    delivery_mode=PERSISTENT,
                    application_headers=headers or {},
                )
                self.channel.basic_publish(msg, exchange=exchange.name if exchange else "", routing_key=routing_key)
                self._next_tag += 1
            last = self._next_tag - 1
            while self._acked < last:
                self.connection.drain_events(timeout=self.confirm_timeout)
            refused = [t for t in self._nacked if first <= t <= last]
            self._nacked.clear()
            if refused:
                raise RuntimeError(f"broker refused {len(refused)} message(s)")
        except (TimeoutError, OSError, amqp.exceptions.AMQPError, kombu.exceptions.KombuError, RuntimeError):
            self.close()
            raise


def parse_body(body):
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    return json.loads(body) if isinstance(body, str) else body


# x-motcua-rejected on a parked message: it can never succeed as it is (dlq replay leaves it)
MALFORMED, REFUSED = "malformed", "refused"


def cut(connection):
    """Shut a kombu connection's socket down: whatever waits on it gets a connection
    error (and kombu's consumer loop connects again)."""
    raw = getattr(connection, "_connection", None)  # not `.connection`: that would connect
    try:
        raw.transport.sock.shutdown(socket.SHUT_RDWR)
    except (AttributeError, OSError):
        pass  # not connected yet, or already gone: nothing to cut


class ParkingQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that a message kombu cannot decode (bad JSON,
    a content type it does not accept) goes to its handler's park path: kombu's
    default logs and acks it, and the message is gone. Acks and requeues stay nameko's.

    And it checks that the broker really has its consumers: a broker just restarted can
    take a connection and answer "consume ok" for a quorum queue that is still
    recovering, then never deliver to it, which would leave the service alive with no
    consumer at all. A few seconds after each (re)connection, and every
    RECHECK_SECONDS after, a separate connection asks each queue how many consumers it
    has (a passive declare); a queue with none, or a set-up still not finished after
    SETUP_TIMEOUT_SECONDS, gets the consumer's connection cut, and kombu connects again."""

    SETUP_TIMEOUT_SECONDS = 30
    VERIFY_AFTER_SECONDS = 5
    RECHECK_SECONDS = 30
    WATCH_SECONDS = 2

    def __init__(self):
        super().__init__()
        self._live = None  # the connection being set up or consumed on
        self._setting_up_since = None  # monotonic time of the (re)connection still setting up
        self._verify_at = None  # when to ask the broker for the queues' consumers next

    @property
    def prefetch_count(self):
        # a batched handler takes what has arrived: enough for the next batch to be waiting
        return int(self.container.config.get("EVENT_PREFETCH", 2 * event_batch_size(self.container.config)))

    def start(self):
        self.container.spawn_managed_thread(self._watch, identifier="ParkingQueueConsumer.watch")
        super().start()

    def create_connection(self):
        self._live = super().create_connection()
        self._setting_up_since, self._verify_at = time.monotonic(), None
        return self._live

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self._setting_up_since, self._verify_at = None, time.monotonic() + self.VERIFY_AFTER_SECONDS
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def _watch(self):
        while not self.should_stop:
            eventlet.sleep(self.WATCH_SECONDS)
            now = time.monotonic()
            if self.check_setup(now):
                continue
            if self._verify_at is not None and now >= self._verify_at:
                self._verify_at = now + self.RECHECK_SECONDS
                self.check_consumers(self.consumer_counts())

    def check_setup(self, now):
        """Cut the connection when its set-up has taken too long (True when it did)."""
        since = self._setting_up_since
        if since is None or now - since < self.SETUP_TIMEOUT_SECONDS:
            return False
        log.warning(
            "consumers not set up %.0f s after connecting to the broker: cutting the connection to try again",
            now - since,
        )
        self._setting_up_since = now
        cut(self._live)
        return True

    def consumer_counts(self):
        """{queue name: consumers the broker has on it}, from a connection of its own
        (empty when the broker cannot say now: asked again later)."""
        names = [provider.queue.name for provider in list(self._consumers)]
        counts = {}
        try:
            with kombu.Connection(self.amqp_uri, connect_timeout=5) as conn:
                channel = conn.default_channel
                for name in names:
                    counts[name] = channel.queue_declare(queue=name, passive=True).consumer_count
        except BROKER_GONE as exc:
            log.info("could not count the consumers of this service's queues (%s); asking again later", exc)
            return {}
        return counts

    def check_consumers(self, counts):
        """Cut the connection when a queue it consumes has no consumer at the broker
        (True when it did)."""
        orphans = sorted(name for name, count in counts.items() if count == 0)
        if not orphans or self.should_stop or self._setting_up_since is not None:
            return False
        log.warning(
            "the broker has no consumer on %s though this service consumes it: cutting the connection to consume again",
            ", ".join(orphans),
        )
        cut(self._live)
        return True

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            if hasattr(provider, "handle_undecodable"):
                consumer.on_decode_error = functools.partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider, message, exc):
        # parking publishes and waits for the confirm: not on the consumer thread
        self.container.spawn_managed_thread(
            functools.partial(provider.handle_undecodable, message, exc),
            identifier=f"{type(provider).__name__}.handle_undecodable",
        )


DEFAULT_EVENT_BATCH = 50
AFTER_COMMIT_CONCURRENCY = 10


def event_batch_size(config):
    """Deliveries a batched handler takes into one transaction at most (EVENT_BATCH)."""
    return max(1, int(config.get("EVENT_BATCH", DEFAULT_EVENT_BATCH)))


def take_waiting(queue, limit):
    """The next item of `queue` (waiting for one), with what else is already there, up to `limit`."""
    taken = [queue.get()]
    while len(taken) < limit and queue.qsize():
        taken.append(queue.get())
    return taken


@dataclass
class Delivery:
    """A validated event waiting for its handler, with what settling it needs."""

    env: dict[str, Any]
    message: Any
    started: float


class Batch(list):
    """Envelopes handed to a handler together (one transaction)."""


class ReliableEventHandler(EventHandler):
    """One event type's entrypoint of `@handles`: a nameko event handler on a quorum
    queue, with the envelope validated before the method sees it, delayed retries and
    a dead-letter queue. The method receives the loaded envelope.

    A method in the unit of work is batched: a dispatcher hands it what has arrived
    meanwhile (up to EVENT_BATCH deliveries, in queue order) as one worker and one
    transaction, and starts the next batch once this one is settled, so a queue's
    events are handled one batch after the other, in order. Each delivery is then
    acked, retried or parked on its own."""

    queue_consumer = ParkingQueueConsumer()

    def __init__(self, source_service, event_type, **kwargs):
        super().__init__(source_service, event_type, requeue_on_error=True, **kwargs)

    def setup(self):
        super().setup()
        service = self.container.service_name
        method = getattr(self.container.service_cls, self.method_name)
        if getattr(method, IN_UNIT_OF_WORK, False) and not hasattr(self.container.service_cls, "work"):
            raise TypeError(
                f"{service}.{self.method_name} takes `work`: the service class needs a `work` "
                "attribute (its shared.uow.UnitOfWork subclass)"
            )
        queue = consumer_queue(self.source_service, self.event_type, service, self.method_name)
        self.retry_delays = [int(d) for d in self.container.config.get("RETRY_DELAYS_MS", DEFAULT_RETRY_DELAYS_MS)]
        self.publisher = ConfirmingPublisher(self.container.config["AMQP_URI"])
        # another service's exchange may be the setup command's to declare (per-service users)
        declare_patiently(
            self.container.config["AMQP_URI"], [queue] + service_queues(service, self.retry_delays), may_skip=True
        )
        # declared above: the consumer only consumes (re-declaring the source's exchange needs rights it may lack)
        self.queue = queue
        self.queue.no_declare = True
        self.source_exchange = event_exchange(self.source_service).name
        self.redeliver_exchange = redeliver_exchange_name(service)
        self.batched = getattr(method, IN_UNIT_OF_WORK, False)
        self.batch_size = event_batch_size(self.container.config)
        self.waiting = LightQueue()
        self.stopping = False

    def start(self):
        super().start()
        if self.batched:
            self.container.spawn_managed_thread(self._dispatch, identifier=f"{self.queue.name}.dispatch")

    def stop(self):
        self.stopping = True
        self.waiting.put(None)  # wakes the dispatcher to end
        super().stop()
        self.publisher.close()

    def _dispatch(self):
        while not self.stopping:
            batch = [delivery for delivery in take_waiting(self.waiting, self.batch_size) if delivery is not None]
            if self.stopping:  # the broker has them again when the consumer goes
                for delivery in batch:
                    settle(self.queue_consumer.requeue_message, delivery.message)
                return
            if batch:
                self._run_batch(batch)

    def _run_batch(self, batch):
        metrics.HANDLER_BATCH.labels(self.queue.name).observe(len(batch))
        settled = eventlet.event.Event()

        def handle_result(worker_ctx, result=None, exc_info=None):
            try:
                outcomes = result if exc_info is None else [exc_info] * len(batch)
                for delivery, outcome in zip(batch, outcomes, strict=True):
                    env = delivery.env
                    self._settle(
                        delivery.message, outcome, env["dossier_code"], env.get("correlation_id"), delivery.started
                    )
            finally:
                settled.send()
            return result, exc_info

        first = batch[0].env
        context_data = self.unpack_message_headers(batch[0].message)
        context_data.update(dossier_code=first["dossier_code"], correlation_id=first.get("correlation_id"))
        try:
            self.container.spawn_worker(
                self, (Batch(d.env for d in batch),), {}, context_data=context_data, handle_result=handle_result
            )
        except Exception:  # container being killed: leave the messages to the broker
            for delivery in batch:
                settle(self.queue_consumer.requeue_message, delivery.message)
            return
        settled.wait()

    def handle_undecodable(self, message, exc):
        metrics.HANDLER_FAILURES.labels(self.queue.name, MALFORMED).inc()
        self._park(
            message,
            f"malformed event: undecodable body (content type {message.content_type!r}): {exc}",
            attempt=0,
            rejected=MALFORMED,
        )

    def provenance_problem(self, env, message):
        """Why this delivery must not be applied, or None: it came through neither the
        source's exchange nor the service's own redelivery path, or carries another type."""
        info = message.delivery_info or {}
        exchange, key = info.get("exchange"), info.get("routing_key")
        if exchange == self.source_exchange:
            if key != self.event_type:
                return f"routing key {key!r} on {exchange} is not {self.event_type}"
            if env["event_type"] != key:
                return f"event_type {env['event_type']!r} does not match the routing key {key!r} on {exchange}"
            return None
        if exchange == self.redeliver_exchange and key == self.queue.name:
            if env["event_type"] != self.event_type:
                return f"event_type {env['event_type']!r} redelivered to the queue of {self.event_type}"
            return None
        return (
            f"arrived through exchange {exchange or '(default)'!r} with routing key {key!r}; "
            f"{self.event_type} is taken only from {self.source_exchange} or {self.redeliver_exchange}"
        )

    def handle_message(self, body, message):
        if message.content_type != JSON:
            # kombu hands over some content types undecoded (e.g. none at all)
            metrics.HANDLER_FAILURES.labels(self.queue.name, MALFORMED).inc()
            self._park(
                message,
                f"malformed event: content type {message.content_type!r}, not {JSON}",
                attempt=0,
                rejected=MALFORMED,
            )
            return
        try:
            env = events.load(parse_body(body))
        except (ValidationError, ValueError, TypeError) as exc:
            # a malformed event can never succeed: park it at once
            metrics.HANDLER_FAILURES.labels(self.queue.name, MALFORMED).inc()
            self._park(message, f"malformed event: {exc}", attempt=0, rejected=MALFORMED)
            return
        problem = self.provenance_problem(env, message)
        if problem:
            # forged or misrouted: never applied, kept for an operator to look at
            metrics.HANDLER_FAILURES.labels(self.queue.name, REFUSED).inc()
            with logs.about(env.get("dossier_code"), env.get("correlation_id")):
                log.warning("%s refused event %s: %s", self.queue.name, env["event_id"], problem)
            self._park(message, f"refused event: {problem}", attempt=0, rejected=REFUSED)
            return
        started = time.monotonic()
        if self.batched:
            self.waiting.put(Delivery(env, message, started))
            return
        args = (env,)
        context_data = self.unpack_message_headers(message)
        context_data.update(dossier_code=env["dossier_code"], correlation_id=env.get("correlation_id"))
        handle_result = lambda worker_ctx, result=None, exc_info=None: self.handle_result(  # noqa: E731
            message, worker_ctx, result, exc_info, started
        )
        try:
            self.container.spawn_worker(self, args, {}, context_data=context_data, handle_result=handle_result)
        except Exception:  # container being killed: leave the message to the broker
            settle(self.queue_consumer.requeue_message, message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None, started=None):
        self._settle(
            message, exc_info, worker_ctx.data.get("dossier_code"), worker_ctx.data.get("correlation_id"), started
        )
        return result, exc_info

    def _settle(self, message, exc_info, dossier_code, correlation_id, started=None):
        """Ack a handled delivery; send a failed one to its next attempt, or park it."""
        if started is not None:
            metrics.HANDLER_SECONDS.labels(self.queue.name).observe(time.monotonic() - started)
        if exc_info is None:
            settle(self.queue_consumer.ack_message, message)
            return
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        attempt = int((message.headers or {}).get("x-motcua-attempt", 0))
        away = database_away(exc_info[1])
        if not away:  # the database away is not the event's fault: that try is not counted
            attempt += 1
        parked = attempt > len(self.retry_delays)
        metrics.HANDLER_FAILURES.labels(self.queue.name, "parked" if parked else "retry").inc()
        with logs.about(dossier_code, correlation_id):
            if parked:
                log.error(
                    "%s failed %d times, parked in %s: %s",
                    self.queue.name,
                    attempt,
                    dead_letter_queue_name(self.container.service_name),
                    error,
                )
                self._park(message, error, attempt)
            else:
                delay = self.retry_delays[max(attempt, 1) - 1]
                log.warning(
                    "%s failed (%s), retrying in %d ms: %s",
                    self.queue.name,
                    "database unavailable, not counted" if away else f"attempt {attempt}",
                    delay,
                    error,
                )
                self._forward(
                    message,
                    Exchange(retry_exchange_name(self.container.service_name, delay), type="fanout", durable=True),
                    self.queue.name,
                    {"x-motcua-attempt": attempt, "x-motcua-error": error[:2000]},
                )

    def _park(self, message, error, attempt, rejected=None):
        service = self.container.service_name
        info = message.delivery_info or {}
        headers = {
            "x-motcua-attempt": attempt,
            "x-motcua-error": error[:2000],
            "x-motcua-queue": self.queue.name,
            "x-motcua-parked-at": datetime.now(UTC).isoformat(),
            # an id for `motcua dlq discard|replay --parked-id` when the body has no event_id
            "x-motcua-parked-id": str(uuid.uuid4()),
            "x-motcua-received-via": f"{info.get('exchange') or '(default)'} {info.get('routing_key')}",
            "x-motcua-content-type": str(message.content_type),
            "x-motcua-rejected": rejected or "",
        }  # never the sender's own
        self._forward(message, dead_letter_exchange(service), dead_letter_queue_name(service), headers)

    def _forward(self, message, exchange, routing_key, extra_headers):
        """Move a message on, acking the original only once the copy is confirmed."""
        headers = dict(message.headers or {})
        headers.pop("x-death", None)
        headers.update(extra_headers)
        try:
            self.publisher.publish_batch([(exchange, routing_key, message.body, headers)])
        except Exception:
            log.exception("could not move a failed message on; the broker will redeliver it")
            settle(self.queue_consumer.requeue_message, message)
            return
        settle(self.queue_consumer.ack_message, message)


# marks a method wrapped by `handles` to run in the service's unit of work
IN_UNIT_OF_WORK = "motcua_in_unit_of_work"


def handles(source, *event_types, **kwargs):
    """`@handles("processing", "processing_started", "dossier_rejected")`: one reliable
    entrypoint (its own durable queue `evt-<source>-<type>--<service>.<method>`) per
    event type, all on the same method. Stack it for events of several sources.

    A method that takes `work` (`def on_progress(self, env, work)`) is wired once:
    its handling opens `self.db.work(self.work)`, records the event in the inbox
    under the consumer `<service>.<method>` (a redelivery is skipped), sets the log
    context (dossier code, correlation id) and calls the method only the first
    time; the events recorded by what the method changed reach the outbox in the
    same commit. A callable it returns runs after the commit (outside I/O: a
    carrier order, an SMS); its failure is logged, not retried: the event is
    already handled, so a timer must pick the work up again from what was stored.

    A method taking only `env` is called with the envelope and does all that itself."""
    if not event_types:
        raise TypeError("handles() needs at least one event type")

    def decorate(fn):
        method = fn
        if "work" in inspect.signature(fn).parameters and not getattr(fn, IN_UNIT_OF_WORK, False):
            method = _in_unit_of_work(fn)
        for event_type in event_types:
            register_entrypoint(method, ReliableEventHandler(source, str(event_type), **kwargs))
        return method

    return decorate


def _in_unit_of_work(fn):
    @functools.wraps(fn)
    def handle(self, env):
        if isinstance(env, Batch):
            return _handle_batch(self, fn, env)
        _handle_together(self, fn, [env])
        return None

    setattr(handle, IN_UNIT_OF_WORK, True)
    return handle


def _handle_batch(service, fn, batch):
    """One transaction for the whole batch; should any of it fail, nothing of it is
    kept and each envelope is handled again in a transaction of its own, so that
    only the failing one goes to its retry. The outcome of each: None (handled) or
    the exc_info of its failure."""
    try:
        _handle_together(service, fn, batch)
        return [None] * len(batch)
    except Exception:
        if len(batch) == 1:
            return [sys.exc_info()]
        log.info("%s.%s: a batch of %d failed; handling each alone", service.name, fn.__name__, len(batch))
    outcomes: list[Any] = []
    for env in batch:
        try:
            _handle_together(service, fn, [env])
            outcomes.append(None)
        except Exception:
            outcomes.append(sys.exc_info())
    return outcomes


def _handle_together(service, fn, envs):
    """Handle envelopes in one unit of work: one inbox insert skips those already
    handled (and an event twice in the batch), the method runs for the others in
    order, their events reach the outbox in one insert, one commit; then what the
    method returned to run after the commit."""
    consumer = f"{service.name}.{fn.__name__}"
    afters = []
    with service.db.work(service.work) as work:
        fresh = first_times(work.session, consumer, envs)
        work.expect([env for env in envs if env["event_id"] in fresh])
        for env in envs:
            if env["event_id"] not in fresh:
                continue
            fresh.discard(env["event_id"])
            with logs.about(env["dossier_code"], env.get("correlation_id")):
                after = fn(service, env, work)
            if callable(after):
                afters.append((env, after))

    def run(env, after):
        with logs.about(env["dossier_code"], env.get("correlation_id")):
            try:
                after()
            except Exception:
                log.exception("%s: the work after the commit failed; the event stays handled", consumer)

    if len(afters) == 1:
        run(*afters[0])
        return
    # outside I/O (an SMS, a carrier order): side by side, so a batch waits for its slowest only
    pool = eventlet.GreenPool(AFTER_COMMIT_CONCURRENCY)
    for env, after in afters:
        pool.spawn_n(run, env, after)
    pool.waitall()


def database_away(exc):
    """Whether a handler failed because the database could not be reached or dropped
    the connection (restarting, failing over), rather than because of its event: a
    connection SQLAlchemy found broken, or a driver error that came without a
    PostgreSQL error code (a refused or cut connection). A deadlock or a constraint
    carries its code, and counts."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    return bool(exc.connection_invalidated) or (
        isinstance(exc, sa_exc.OperationalError) and getattr(exc.orig, "pgcode", None) is None
    )


def settle(ack_or_requeue, message):
    """Ack or requeue, surviving a broker that went away meanwhile: the message was
    not settled, so the broker delivers it again and the inbox skips what was done.
    (Left to nameko, the error would kill the whole service.)"""
    try:
        ack_or_requeue(message)
    except BROKER_GONE as exc:
        log.warning("broker connection lost before the message was settled (%s); it will be redelivered", exc)


class ResilientRpc(Rpc):
    """nameko's RPC entrypoint, except that a reply lost with the broker connection
    does not kill the service: the request was not acked, so it comes again, and the
    caller times out and retries (decisions are idempotent: a repeat gets a 409)."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_GONE as exc:
            log.warning("RPC reply lost with the broker connection (%s); the request will be redelivered", exc)
            return result, exc_info


rpc = ResilientRpc.decorator
