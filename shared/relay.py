"""The outbox relay: publishes what services committed to their outbox.

It wakes right after a commit that wrote events (when busy, a few milliseconds later,
so that the commits meanwhile share the round) and polls as a fallback; publishes
in outbox order (so per dossier in order) in batches whose confirms are awaited
together. The rows are marked published by the statement that reads them, in a
transaction committed once the broker has confirmed them: a crash between publish
and commit means the batch is published again, and consumers dedupe through their
inbox. On PostgreSQL an advisory lock keeps one relay of a service active at a time,
which keeps the order when several instances run.
"""

import logging

import eventlet
import kombu
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from shared import events, messaging, reliability
from shared.config import SERVICES
from shared.db import Database
from shared.runner import service_class

log = logging.getLogger(__name__)

RELAY_LOCK_KEY = 0x6D6F7463  # arbitrary constant: one relay per service database


LOCK_BUSY_SECONDS = 0.02  # another process's relay is publishing: look again soon, it may not wake for ours


def relay_once(uow, publisher, batch_size=200):
    """Publish up to batch_size pending events; returns how many were published
    (None when another process's relay holds the lock)."""
    with uow.transaction() as session:
        held, rows = reliability.take_pending(session, batch_size, RELAY_LOCK_KEY)
        if not held:
            return None
        if not rows:
            return 0
        publisher.publish_batch(
            [
                (
                    messaging.event_exchange(events.source_of(row.event_type)),
                    row.event_type,
                    row.payload.encode("utf-8"),
                    {"x-motcua-dossier-code": row.dossier_code},
                )
                for row in rows
            ]
        )
    return len(rows)


def system_consumer_queues():
    """Every handler queue of every service, so that an event published before its
    consumer ever started still has a queue to wait in."""
    return [
        queue for service in SERVICES for queue in messaging.service_consumer_queues(service_class(service), service)
    ]


class OutboxRelay(DependencyProvider):
    """Runs the relay inside a service container; the dependency (if injected) lets
    an entrypoint report the outbox lag."""

    def setup(self):
        config = self.container.config
        self.poll_seconds = float(config.get("OUTBOX_POLL_SECONDS", 1.0))
        self.batch_size = int(config.get("OUTBOX_BATCH", 200))
        self.gather_seconds = float(config.get("OUTBOX_GATHER_SECONDS", 0.005))
        self.publisher = messaging.ConfirmingPublisher(config["AMQP_URI"])
        self.wakeup = LightQueue(maxsize=1)
        self.running = False
        self.thread = None

    def _database(self):
        for provider in self.container.dependencies:
            if isinstance(provider, Database):
                return provider.uow
        raise RuntimeError("OutboxRelay needs a Database dependency in the same service")

    def start(self):
        self.uow = self._database()
        self.uow.on_commit.append(self.wake)
        self.running = True
        self.thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.running = False
        self.wake()
        if self.thread is not None:
            self.thread.wait()
        self.publisher.close()

    def kill(self):
        self.running = False
        if self.thread is not None:
            self.thread.kill()
        self.publisher.close()

    def wake(self):
        try:
            self.wakeup.put_nowait(True)
        except eventlet.queue.Full:
            pass

    def _declare_topology(self):
        # With per-service broker users the other services' queues are not this
        # user's to declare: skipped (one log line), `motcua broker setup` declares them.
        with kombu.Connection(self.container.config["AMQP_URI"]) as conn:
            messaging.declare(conn, system_consumer_queues(), may_skip=True)

    def _run(self):
        declared = False
        failures = 0
        while self.running:
            try:
                if not declared:
                    self._declare_topology()
                    declared = True
                published = relay_once(self.uow, self.publisher, self.batch_size)
                failures = 0
                if published is None:
                    eventlet.sleep(LOCK_BUSY_SECONDS)
                    continue
            except Exception as exc:  # broker or database away: keep the rows, try later
                failures += 1
                delay = min(0.2 * 2**failures, 10.0)
                log.warning("outbox relay could not publish (%s); retrying in %.1fs", exc, delay)
                eventlet.sleep(delay)
                continue
            if published < self.batch_size:
                try:
                    self.wakeup.get(timeout=self.poll_seconds)
                except Empty:
                    continue
                if published:
                    # busy (the last round had events): let the commits of the next few
                    # milliseconds join this round, one transaction and one confirm for them all
                    eventlet.sleep(self.gather_seconds)

    def get_dependency(self, worker_ctx):
        return self
