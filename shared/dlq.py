"""Operator access to the dead-letter queues: list what is parked, send it back.

A message parked as malformed or refused (forged, misrouted) can never succeed as
it is: `replay` leaves it where it is unless asked (include_rejected), and a
message that fails again is parked again but never re-read in the same pass
(each pass reads at most what the queue held when it started).
"""

import hashlib
from datetime import UTC, datetime

import kombu

from shared import config, events, messaging


def _origin(message):
    headers = message.headers or {}
    if headers.get("x-motcua-queue"):
        return headers["x-motcua-queue"]
    deaths = headers.get("x-death") or []
    return deaths[0].get("queue") if deaths else headers.get("x-first-death-queue")


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else value


def _describe(service, message):
    delivery = getattr(message, "delivery_info", None) or {}
    # Only the service's own park path (its dead-letters exchange, which the broker's
    # dead-lettering also uses) writes the x-motcua headers that replay trusts. A
    # message that came straight from the service's events exchange (the binding for
    # event types it does not own) is a stranger's: its headers say nothing, and it
    # has no queue to go back to.
    from_events = delivery.get("exchange") == messaging.event_exchange(service).name
    headers = {} if from_events else (message.headers or {})
    try:
        env = messaging.parse_body(message.body)
    except ValueError:
        env = {}
    env = env if isinstance(env, dict) else {}
    error = headers.get("x-motcua-error")
    rejected = headers.get("x-motcua-rejected") or None
    if not error and headers.get("x-death"):
        error = f"broker dead-lettered it ({headers['x-death'][0].get('reason')}): the consumer kept dying on it"
    if from_events:
        key = delivery.get("routing_key")
        owner = events.EVENTS.get(key, ("another service",))[0]  # type: ignore[arg-type]  # a str finds its StrEnum
        error = (
            f"refused event: {key} published on {delivery['exchange']}, but {owner} publishes {key}: "
            "forged or misrouted, never delivered to a consumer"
        )
        rejected = messaging.REFUSED
    received_via = (
        headers.get("x-motcua-received-via")
        or f"{delivery.get('exchange') or '(default)'} {delivery.get('routing_key')}"
    )
    return {
        "service": service,
        "queue": None if from_events else _origin(message),
        "event_id": _text(env.get("event_id")),
        "event_type": env.get("event_type"),
        "dossier_code": env.get("dossier_code"),
        "attempts": headers.get("x-motcua-attempt"),
        "parked_at": headers.get("x-motcua-parked-at"),
        "parked_id": headers.get("x-motcua-parked-id") or _fallback_id(message),
        "rejected": rejected,
        "received_via": received_via,
        "content_type": headers.get("x-motcua-content-type") or getattr(message, "content_type", None),
        "error": error,
    }


def _fallback_id(message):
    """A stable id for a message parked without one (by the broker, or by a binding)."""
    body = message.body.encode() if isinstance(message.body, str) else bytes(message.body or b"")
    return "sha1-" + hashlib.sha1(body).hexdigest()[:16]


def _drain(channel, queue_name):
    """The messages the queue holds now, unacknowledged (closing the channel puts them
    back); at most as many as it held at the start, so what comes back meanwhile is
    not read twice."""
    _, depth, _ = channel.queue_declare(queue=queue_name, passive=True)
    messages: list = []
    while len(messages) < depth:
        message = channel.basic_get(queue_name, no_ack=False)
        if message is None:
            break
        messages.append(message)
    return messages


def _matches(info, event_id):
    return not event_id or event_id in (info["event_id"], info["parked_id"])


def list_parked(amqp_uri, services=config.SERVICES):
    parked = []
    with kombu.Connection(amqp_uri) as conn:
        for service in services:
            # as far as this broker user may: an operator with one service's user sees that service's
            messaging.declare(conn, [messaging.dead_letter_queue(service)], may_skip=True)
            channel = conn.channel()
            try:
                for raw in _drain(channel, messaging.dead_letter_queue_name(service)):
                    parked.append(_describe(service, raw))
            finally:
                channel.close()  # unacked messages go back to the queue, in order
    return parked


def _take(amqp_uri, services, event_id, act):
    """Apply act(service, raw message, description) to each parked message (or the
    one of event_id) and remove it from the dead-letter queue once act returns."""
    taken = []
    with kombu.Connection(amqp_uri) as conn:
        for service in services:
            messaging.declare(conn, [messaging.dead_letter_queue(service)], may_skip=True)
            channel = conn.channel()
            try:
                for raw in _drain(channel, messaging.dead_letter_queue_name(service)):
                    info = _describe(service, raw)
                    if not _matches(info, event_id):
                        continue
                    if act(raw, info) is False:
                        continue
                    channel.basic_ack(raw.delivery_tag)
                    taken.append(info)
            finally:
                channel.close()  # the others go back to the queue, in order
    return taken


def replay(amqp_uri, services=config.SERVICES, event_id=None, include_rejected=False, skipped=None):
    """Send parked messages back to the queue they came from (all, or one event:
    event_id is an event's id or a parked message's parked_id), through the service's
    own redeliver exchange. Each is removed from the dead-letter queue only after the
    broker confirmed the copy. Malformed and refused messages stay parked unless
    include_rejected; the list `skipped` (if given) receives what stayed."""
    publisher = messaging.ConfirmingPublisher(amqp_uri)

    def send_back(raw, info):
        if not info["queue"] or (info["rejected"] and not include_rejected):
            if skipped is not None:
                skipped.append(info)
            return False
        headers = {k: v for k, v in (raw.headers or {}).items() if not k.startswith(_BROKER_DEATH_HEADERS)}
        headers.update({"x-motcua-attempt": 0, "x-motcua-replayed-at": datetime.now(UTC).isoformat()})
        publisher.publish_batch([(messaging.redeliver_exchange(info["service"]), info["queue"], raw.body, headers)])

    try:
        return _take(amqp_uri, services, event_id, send_back)
    finally:
        publisher.close()


def discard(amqp_uri, services=config.SERVICES, event_id=None):
    """Delete parked messages that can never succeed (after an operator read them)."""
    return _take(amqp_uri, services, event_id, lambda raw, info: None)


_BROKER_DEATH_HEADERS = ("x-death", "x-first-death", "x-last-death")
