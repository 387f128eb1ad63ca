"""A broker just restarted can take a connection and never finish the set-up of the
consumers, or answer "consume ok" and never deliver: the queue consumer cuts such a
connection so that kombu connects again, instead of leaving the service alive with
no consumer."""

from __future__ import annotations

import socket
from types import SimpleNamespace

from shared.messaging import ParkingQueueConsumer, cut


def connected_pair() -> tuple[socket.socket, socket.socket]:
    ours, broker = socket.socketpair()
    ours.settimeout(2)
    return ours, broker


def kombu_connection(sock: socket.socket) -> SimpleNamespace:
    """What `cut` reaches through: kombu's connection, py-amqp's, its transport's socket."""
    return SimpleNamespace(_connection=SimpleNamespace(transport=SimpleNamespace(sock=sock)))


def test_a_set_up_that_takes_too_long_is_cut_and_one_that_finished_is_left_alone() -> None:
    ours, broker = connected_pair()
    consumer = ParkingQueueConsumer()
    consumer._live = kombu_connection(ours)
    consumer._setting_up_since = 100.0
    limit = ParkingQueueConsumer.SETUP_TIMEOUT_SECONDS

    assert not consumer.check_setup(100.0 + limit - 1)  # still within its time
    assert consumer.check_setup(100.0 + limit + 1)
    assert ours.recv(1) == b""  # whatever waited on it sees the connection end
    assert consumer._setting_up_since == 100.0 + limit + 1  # the next try gets its own time

    consumer._consumers_ready.send(None)  # started before: nameko's own part does nothing more
    consumer.on_consume_ready(None, None, [])
    assert not consumer.check_setup(10_000.0)
    broker.close()


def test_cutting_a_connection_not_made_yet_or_gone_does_nothing() -> None:
    cut(SimpleNamespace(_connection=None))
    ours, broker = connected_pair()
    ours.close()
    cut(kombu_connection(ours))  # already closed: no error
    broker.close()


def test_a_queue_the_broker_has_no_consumer_on_gets_the_connection_cut() -> None:
    ours, broker = connected_pair()
    consumer = ParkingQueueConsumer()
    consumer._live = kombu_connection(ours)
    assert not consumer.check_consumers({})  # the broker could not say: asked again later
    assert not consumer.check_consumers({"evt-intake-dossier_received--notify.tell_citizen": 1})
    consumer._setting_up_since = 1.0
    assert not consumer.check_consumers({"evt-intake-dossier_received--notify.tell_citizen": 0})  # still setting up
    consumer._setting_up_since = None
    assert consumer.check_consumers(
        {"evt-intake-dossier_received--notify.tell_citizen": 1, "evt-processing-result_ready--notify.tell_citizen": 0}
    )
    assert ours.recv(1) == b""
    broker.close()
