"""GET /metrics: what an operator watches, in the Prometheus text format.

Two kinds of series. Handler and HTTP latencies are counted in the process as work
happens (prometheus_client's default registry, with the process's own RSS and
CPU). Everything else is read at scrape time with cheap queries: the outbox lag,
the depth of the service's queues (a passive declare each, so a scrape creates
nothing) and the service's own gauges from `services/<service>/metrics.py`:

    def collect(session):            # required: the service's gauges
        return [gauge("motcua_x", "what it counts", {("label value",): 3}, ["label"])]

    def queues(session):             # optional: more queues to watch, {name: kind}
        return {"processing.tasks.QLDT": "department"}

Labels stay bounded: statuses, channels, departments, queue names; never a dossier.
"""

import importlib
import logging

import kombu
from prometheus_client import REGISTRY, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from werkzeug.wrappers import Response

from shared import messaging, reliability

log = logging.getLogger(__name__)

disable_created_metrics()  # no *_created series: half the lines, nothing an operator reads

HANDLER_SECONDS = Histogram("motcua_handler_seconds", "Time an event handler took, by its queue", ["queue"])
HANDLER_BATCH = Histogram(
    "motcua_handler_batch_deliveries",
    "Deliveries a batched event handler took into one transaction, by its queue",
    ["queue"],
    buckets=(1, 2, 5, 10, 20, 50, 100),
)
HANDLER_FAILURES = Counter(
    "motcua_handler_failures",
    "Event handler failures by queue and what became of the message (retry, parked, malformed, refused)",
    ["queue", "outcome"],
)
HTTP_SECONDS = Histogram(
    "motcua_http_request_seconds", "Time an HTTP request took, by route and status", ["method", "route", "status"]
)


def gauge(name, documentation, samples, labels=()):
    """A gauge family: samples is {tuple of label values: value}, or one number."""
    family = GaugeMetricFamily(name, documentation, labels=list(labels) or None)
    if not labels:
        family.add_metric([], samples)
        return family
    for values, value in sorted(samples.items()):
        family.add_metric([str(v) for v in values], value)
    return family


def service_module(service):
    try:
        return importlib.import_module(f"services.{service}.metrics")
    except ModuleNotFoundError as exc:
        if exc.name != f"services.{service}.metrics":
            raise
        return None


def watched_queues(service, service_cls, retry_delays_ms):
    """{queue name: kind} of a service: its handler queues, retry queues and dead letters."""
    queues = {q.name: "handler" for q in messaging.service_consumer_queues(service_cls, service)}
    queues.update({messaging.retry_exchange_name(service, d): "retry" for d in retry_delays_ms})
    queues[messaging.dead_letter_queue_name(service)] = "dead_letter"
    return queues


def queue_depths(amqp_uri, queues):
    """{name: (messages, consumers)} by passive declares; a missing queue is left out."""
    depths = {}
    with kombu.Connection(amqp_uri, connect_timeout=2) as conn:
        channel = conn.channel()
        for name in queues:
            try:
                _, messages, consumers = channel.queue_declare(queue=name, passive=True)
                depths[name] = (messages, consumers)
            except conn.channel_errors:  # not declared yet: the broker closed the channel
                channel = conn.channel()
        channel.close()
    return depths


def scrape_families(service, service_cls, uow, config):
    """The scrape-time families of one service (never raises: a backend that does
    not answer shows as `motcua_backend_up{backend=...} 0`)."""
    module = service_module(service)
    families, up = [], {"database": 1, "broker": 1}
    queues = watched_queues(service, service_cls, config.get("RETRY_DELAYS_MS", messaging.DEFAULT_RETRY_DELAYS_MS))
    try:
        with uow.transaction() as session:
            pending, oldest = reliability.lag(session)
            families.append(gauge("motcua_outbox_pending_events", "Events committed but not yet published", pending))
            families.append(
                gauge(
                    "motcua_outbox_oldest_pending_seconds", "Age of the oldest unpublished event (0 when none)", oldest
                )
            )
            if module is not None:
                families.extend(module.collect(session))
                if hasattr(module, "queues"):
                    queues.update(module.queues(session))
    except Exception as exc:
        log.warning("metrics: database did not answer (%s)", exc.__class__.__name__)
        up["database"] = 0
    try:
        depths = queue_depths(config["AMQP_URI"], queues)
        messages = gauge("motcua_queue_messages", "Messages waiting in a queue", {}, ["queue", "kind"])
        consumers = gauge("motcua_queue_consumers", "Consumers of a queue", {}, ["queue", "kind"])
        for name, (count, consumer_count) in sorted(depths.items()):
            messages.add_metric([name, queues[name]], count)
            consumers.add_metric([name, queues[name]], consumer_count)
        families += [messages, consumers]
    except Exception as exc:
        log.warning("metrics: broker did not answer (%s)", exc.__class__.__name__)
        up["broker"] = 0
    families.append(
        gauge(
            "motcua_backend_up",
            "1 when the backend answered this scrape",
            {(name,): value for name, value in up.items()},
            ["backend"],
        )
    )
    return families


class _Scrape:
    """The process's registry plus this scrape's families, as one collector."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        yield from REGISTRY.collect()
        yield from self.families


def response(request, service, service_cls, uow, config):
    return process_response(request, scrape_families(service, service_cls, uow, config))


def process_response(request, families=()):
    """The process's own metrics (HTTP timings, CPU, memory) and any scrape-time families."""
    encoder, content_type = choose_encoder(request.headers.get("Accept"))
    return Response(encoder(_Scrape(list(families))), status=200, headers={"Content-Type": content_type})
