"""Operator access to the dead-letter queues: list what is parked, send it back."""
from datetime import datetime, timezone

import kombu

from shared import config, messaging


def _origin(message):
    headers = message.headers or {}
    if headers.get("x-motcua-queue"):
        return headers["x-motcua-queue"]
    deaths = headers.get("x-death") or []
    return deaths[0].get("queue") if deaths else headers.get("x-first-death-queue")


def _describe(service, message):
    headers = message.headers or {}
    try:
        env = messaging.parse_body(message.body)
    except ValueError:
        env = {}
    env = env if isinstance(env, dict) else {}
    error = headers.get("x-motcua-error")
    if not error and headers.get("x-death"):
        error = f"broker dead-lettered it ({headers['x-death'][0].get('reason')}): the consumer kept dying on it"
    return {
        "service": service, "queue": _origin(message), "event_id": env.get("event_id"),
        "event_type": env.get("event_type"), "dossier_code": env.get("dossier_code"),
        "attempts": headers.get("x-motcua-attempt"), "parked_at": headers.get("x-motcua-parked-at"),
        "error": error,
    }


def _drain(channel, queue_name):
    """Every message of the queue, unacknowledged (closing the channel puts them back)."""
    messages = []
    while True:
        message = channel.basic_get(queue_name, no_ack=False)
        if message is None:
            return messages
        messages.append(message)


def list_parked(amqp_uri, services=config.SERVICES):
    parked = []
    with kombu.Connection(amqp_uri) as conn:
        for service in services:
            channel = conn.channel()
            try:
                messaging.declare(conn, [kombu.Queue(messaging.dead_letter_queue_name(service), durable=True)])
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
            channel = conn.channel()
            try:
                for raw in _drain(channel, messaging.dead_letter_queue_name(service)):
                    info = _describe(service, raw)
                    if event_id and info["event_id"] != event_id:
                        continue
                    if act(raw, info) is False:
                        continue
                    channel.basic_ack(raw.delivery_tag)
                    taken.append(info)
            finally:
                channel.close()  # the others go back to the queue, in order
    return taken


def replay(amqp_uri, services=config.SERVICES, event_id=None):
    """Send parked messages back to the queue they came from (all, or one event).
    Each is removed from the dead-letter queue only after the broker confirmed the copy."""
    publisher = messaging.ConfirmingPublisher(amqp_uri)

    def send_back(raw, info):
        if not info["queue"]:
            return False
        headers = {k: v for k, v in (raw.headers or {}).items() if not k.startswith(_BROKER_DEATH_HEADERS)}
        headers.update({"x-motcua-attempt": 0, "x-motcua-replayed-at": datetime.now(timezone.utc).isoformat()})
        publisher.publish_batch([(None, info["queue"], raw.body, headers)])

    try:
        return _take(amqp_uri, services, event_id, send_back)
    finally:
        publisher.close()


def discard(amqp_uri, services=config.SERVICES, event_id=None):
    """Delete parked messages that can never succeed (after an operator read them)."""
    return _take(amqp_uri, services, event_id, lambda raw, info: None)


_BROKER_DEATH_HEADERS = ("x-death", "x-first-death", "x-last-death")
