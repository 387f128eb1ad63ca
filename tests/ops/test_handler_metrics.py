"""Handler latency and failures, counted by the reliable event handler itself
(a nameko container in this process, on its own RabbitMQ virtual host)."""

import json

from prometheus_client import REGISTRY

from shared import events
from shared.messaging import ConfirmingPublisher, consumer_queue_name, event_exchange, handles
from tests.helpers import wait_for

FAILING = set()  # dossier codes whose handling raises
QUEUE = consumer_queue_name("intake", "dossier_refused", "ops_consumer", "on_refused")


class OpsConsumer:
    name = "ops_consumer"

    @handles("intake", "dossier_refused")
    def on_refused(self, env):
        if env["dossier_code"] in FAILING:
            raise RuntimeError("department system down")


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, {"queue": QUEUE, **labels}) or 0


def publish(amqp_uri, bodies):
    publisher = ConfirmingPublisher(amqp_uri)
    try:
        publisher.publish_batch([(event_exchange("intake"), "dossier_refused", body, {}) for body in bodies])
    finally:
        publisher.close()


def refused(code):
    return json.dumps(events.envelope("dossier_refused", code, {"reason": "thiếu tờ khai"})).encode()


def test_handler_timings_and_failures_by_outcome(container_factory, new_vhost):
    amqp_uri = new_vhost("ops_handlers")
    container = container_factory(
        OpsConsumer, {"AMQP_URI": amqp_uri, "SERVICE": "ops_consumer", "RETRY_DELAYS_MS": [50, 100]}
    )
    container.start()
    series = {
        "handled": ("motcua_handler_seconds_count", {}),
        **{
            outcome: ("motcua_handler_failures_total", {"outcome": outcome})
            for outcome in ("retry", "parked", "malformed")
        },
    }
    before = {key: sample(name, **labels) for key, (name, labels) in series.items()}
    FAILING.add("H56.99-261126-0001")
    publish(amqp_uri, [refused("H56.99-261126-0001"), refused("H56.99-261126-0002"), b'{"event_type": "x"}'])

    def grown(key):
        name, labels = series[key]
        return sample(name, **labels) - before[key]

    # the poison event: tried, retried twice, parked; the healthy one: once; the malformed one: never run
    wait_for(lambda: grown("parked") == 1, message="the poison event parked")
    assert grown("retry") == 2
    assert grown("malformed") == 1
    wait_for(lambda: grown("handled") == 4, message="four handler runs timed")
    assert sample("motcua_handler_seconds_sum") > 0
