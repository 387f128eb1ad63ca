"""Citizen messages: one per (event, channel), rendered from Jinja2 templates.

A message is created in the same transaction that records the event in the inbox,
so a redelivered event never makes a second one; delivering it then moves it from
`created` on, and a sweeper picks up any message a crash left behind.
"""
import uuid
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from shared import clock
from shared.db import dialect_insert
from shared.reliability import emit
from services.notify.models import LocalDelivery, Message, Recipient

SOURCE = "notify"
DEFAULT_TEMPLATES = Path(__file__).parent / "templates"


def moment_text(value):
    if isinstance(value, datetime):
        return clock.local(value).strftime("%H:%M %d/%m/%Y")
    return value


class Templates:
    """Templates from a directory named in configuration, re-read when edited."""

    def __init__(self, directory=None):
        self.env = Environment(loader=FileSystemLoader(str(directory or DEFAULT_TEMPLATES)),
                               undefined=StrictUndefined, autoescape=False, auto_reload=True,
                               keep_trailing_newline=False)

    def render(self, event_type, channel, context):
        name = f"{event_type}.{channel}.j2"
        return name, self.env.get_template(name).render(**context).strip()


def remember_recipient(session, env):
    data = env["data"]
    contacts, chosen = data["contacts"], data["notify"]
    if session.get(Recipient, env["dossier_code"]) is None:
        session.add(Recipient(dossier_code=env["dossier_code"], full_name=contacts.get("full_name"),
                              phone=contacts.get("phone"), email=contacts.get("email"),
                              sms=bool(chosen.get("sms") and contacts.get("phone")),
                              email_enabled=bool(chosen.get("email") and contacts.get("email")),
                              correlation_id=env["correlation_id"]))
        session.flush()


def compose(session, env, templates):
    """Create the messages an event owes; returns their ids."""
    recipient = session.get(Recipient, env["dossier_code"])
    if recipient is None:
        # dossier_received not seen yet: fail so the event is retried later
        raise LookupError(f"no recipient known yet for {env['dossier_code']}")
    context = {"code": env["dossier_code"], "full_name": recipient.full_name or "",
               **{k: moment_text(v) for k, v in env["data"].items()}}
    ids = []
    for channel, address in (("sms", recipient.phone if recipient.sms else None),
                             ("email", recipient.email if recipient.email_enabled else None)):
        if not address:
            continue
        template, body = templates.render(env["event_type"], channel, context)
        message_id = str(uuid.uuid4())
        inserted = session.execute(dialect_insert(session)(Message).values(
            id=message_id, dossier_code=env["dossier_code"], event_id=env["event_id"],
            event_type=env["event_type"], channel=channel, address=address, template=template, body=body,
            status="created", attempts=0, created_at=clock.now()
        ).on_conflict_do_nothing(index_elements=["event_id", "channel"])).rowcount
        if inserted:
            ids.append(message_id)
    return ids


def deliver_locally(session, message_id):
    """The local channel: 'sending' is writing the delivery record, in the same
    transaction as the status, so a message is never delivered twice."""
    message = session.scalars(sa.select(Message).where(Message.id == message_id).with_for_update()).first()
    if message is None or message.status != "created":
        return None
    now = clock.now()
    session.add(LocalDelivery(message_id=message.id, channel=message.channel, address=message.address,
                              body=message.body, delivered_at=now))
    message.status, message.sent_at, message.attempts = "delivered", now, message.attempts + 1
    emit(session, SOURCE, "notification_sent", message.dossier_code,
         {"channel": message.channel, "template": message.template})
    return message


def stuck(session, older_than_seconds=5, limit=100):
    cutoff = clock.now().timestamp() - older_than_seconds
    rows = session.scalars(sa.select(Message).where(Message.status == "created").order_by(Message.created_at)
                           .limit(limit)).all()
    return [m.id for m in rows if m.created_at.timestamp() <= cutoff]


def listing(session, dossier_code):
    rows = session.scalars(sa.select(Message).where(Message.dossier_code == dossier_code)
                           .order_by(Message.created_at, Message.channel)).all()
    return [{"id": m.id, "event_type": m.event_type, "channel": m.channel, "template": m.template,
             "status": m.status, "attempts": m.attempts, "created_at": m.created_at, "sent_at": m.sent_at,
             "body": m.body, "last_error": m.last_error} for m in rows]
