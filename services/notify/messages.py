"""Citizen messages: one per (event, channel), rendered from Jinja2 templates, and
their delivery.

A message is created in the same transaction that records the event in the inbox,
so a redelivered event never makes a second one. Delivering moves it on:

    created -> sending -> delivered
                       -> temporary-failure -> sending ... (backoff, up to a limit)
                       -> permanent-failure | technical-failure

`sending` is committed before a provider is called, so a restart finds it: a
channel whose provider drops repeated sends (the SMS gateway, keyed by the message
id) is sent again; one that cannot (SMTP) is marked technical-failure rather than
risk a second e-mail. The local channel writes its delivery row in the same
transaction as `delivered`, so it is exactly once outright.
"""
import hashlib
import logging
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from shared import clock
from shared.http import ApiError
from shared.reliability import emit, first_time
from services.notify import rules, sms_text
from services.notify.channels import REGISTRY, Outcome, Outgoing
from services.notify.models import Message, Recipient

log = logging.getLogger(__name__)

SOURCE = "notify"
DEFAULT_TEMPLATES = Path(__file__).parent / "templates"
RETRYABLE = ("created", "temporary-failure")


def moment_text(value):
    if isinstance(value, datetime):
        return clock.local(value).strftime("%H:%M %d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


class Templates:
    """Templates from a directory named in configuration, re-read when edited. A
    template's version is a digest of its text, so every message records exactly
    which wording it was sent with."""

    def __init__(self, directory=None):
        # Sandboxed: templates are edited by operators at run time (TEMPLATES_DIR) and a
        # template must not reach Python internals ({{ ''.__class__.__mro__ }}).
        self.env = SandboxedEnvironment(loader=FileSystemLoader(str(directory or DEFAULT_TEMPLATES)),
                               undefined=StrictUndefined, autoescape=False, auto_reload=True,
                               keep_trailing_newline=False)
        self.versions = {}  # id of a loaded template -> version

    def render(self, event_type, channel, context):
        """(template name, version, text)."""
        name = f"{event_type}.{channel}.j2"
        template = self.env.get_template(name)  # reloaded when the file changed
        version = self.versions.get(id(template))
        if version is None:
            source = Path(template.filename).read_bytes()
            version = self.versions[id(template)] = hashlib.sha256(source).hexdigest()[:12]
        return name, version, template.render(**context).strip()


def remember_recipient(session, env):
    """Store the contacts and chosen channels ({channel: address}) of a dossier
    (the caller knows none is stored yet)."""
    data = env["data"]
    contacts, chosen = data.get("contacts") or {}, data.get("notify") or {}
    addresses = {}
    for channel, backends in REGISTRY.items():
        contact = next(iter(backends.values())).contact
        if chosen.get(channel) and contacts.get(contact):
            addresses[channel] = contacts[contact]
    recipient = Recipient(dossier_code=env["dossier_code"], full_name=contacts.get("full_name"),
                          phone=contacts.get("phone"), email=contacts.get("email"), addresses=addresses,
                          procedure_name=data.get("procedure_name"), correlation_id=env["correlation_id"])
    session.add(recipient)
    return recipient


def recipient_for(session, env):
    """Who to tell about this event. Contacts come from dossier_received; a dossier
    refused before it was received may carry its own. None: nobody to tell."""
    recipient = session.get(Recipient, env["dossier_code"])
    if recipient is not None:
        return recipient
    if env["event_type"] == "dossier_received" or env["data"].get("contacts"):
        return remember_recipient(session, env)
    if env["event_type"] == "dossier_refused":
        return None  # refused before reception and no contacts given: no one to tell
    # dossier_received not handled yet: fail so the event is retried after a delay
    raise LookupError(f"no recipient known yet for {env['dossier_code']}")


def compose(session, env, dispatch):
    """Create the messages an event owes (the inbox already made sure it is the
    event's first handling); returns the new Message rows, not yet flushed."""
    recipient = recipient_for(session, env)
    if recipient is None or not rules.worth_telling(env):
        return []
    context = {"code": env["dossier_code"], "full_name": recipient.full_name or "",
               "procedure_name": recipient.procedure_name or "",
               **{k: moment_text(v) for k, v in env["data"].items() if k not in ("contacts", "notify")}}
    created = []
    for channel_name, address in sorted(recipient.addresses.items()):
        channel = dispatch.channels.get(channel_name)
        if channel is None or not address:
            continue
        template, version, body = dispatch.templates.render(env["event_type"], channel_name, context)
        encoding = segments = None
        if channel.is_sms:
            if dispatch.settings.sms_without_diacritics:
                body = sms_text.without_diacritics(body)
            encoding, segments = sms_text.segments(body)
        message = Message(
            id=str(uuid.uuid4()), dossier_code=env["dossier_code"], event_id=env["event_id"],
            event_type=env["event_type"], channel=channel_name, address=address, template=template,
            template_version=version, body=body, encoding=encoding, segments=segments, status="created",
            attempts=0, correlation_id=env.get("correlation_id"), created_at=clock.now())
        session.add(message)
        created.append(message)
    return created


def _locked(session, message_id):
    return session.scalars(sa.select(Message).where(Message.id == message_id).with_for_update()).first()


def claim(message, dispatch, resume=False):
    """Move a due message (locked by the caller, or just created) to `sending`,
    committed before the provider is called. None when it is not due, held by quiet
    hours, or taken by another worker. `resume`: take a message a restart left in
    `sending` (idempotent channels)."""
    if message is None:
        return None
    now = clock.now()
    if resume:
        if message.status != "sending" or message.sent_at is not None:
            return None  # the provider answered meanwhile
    elif message.status not in RETRYABLE or (message.next_attempt_at and message.next_attempt_at > now):
        return None
    morning = rules.quiet_until(now, dispatch.settings.quiet_hours.get(message.channel))
    if morning is not None:
        message.next_attempt_at = morning  # held until the quiet hours end
        if message.status == "sending":
            message.status = "created"
        return None
    message.status, message.sending_at, message.next_attempt_at = "sending", now, None
    message.attempts += 1
    return message


def record(session, message, outcome, settings):
    """Apply a provider's answer to a message in `sending`; emits the outcome event."""
    if message.status != "sending":
        # a delivery receipt got here first: keep its verdict, note the provider's id
        message.provider_ref = message.provider_ref or outcome.provider_ref
        return message
    now = clock.now()
    message.provider_ref = outcome.provider_ref or message.provider_ref
    if outcome.reason:  # providers quote the address back: keep it masked like the listing
        outcome = replace(outcome, reason=outcome.reason.replace(message.address, rules.mask_address(message.address)))
    log.info("%s message %s (%s, attempt %d): %s%s", message.channel, message.id, message.event_type,
             message.attempts, outcome.status, f" ({outcome.reason})" if outcome.reason else "")
    if outcome.status == "delivered":
        message.status, message.sent_at, message.delivered_at = "delivered", message.sent_at or now, now
        message.last_error = None
        _emit(session, message, "notification_sent")
    elif outcome.status == "accepted":
        message.sent_at = now  # stays `sending` until the provider's receipt
    elif outcome.status == "temporary" and message.attempts < settings.max_attempts:
        message.status, message.last_error = "temporary-failure", outcome.reason
        message.next_attempt_at = now + timedelta(seconds=rules.backoff(message.attempts,
                                                                        settings.retry_base_seconds))
    else:
        reason = outcome.reason
        if outcome.status == "temporary":
            reason = f"gave up after {message.attempts} attempts: {reason}"
        status = "technical-failure" if outcome.status == "technical" else "permanent-failure"
        message.status, message.last_error = status, reason
        _emit(session, message, "notification_failed", reason)
    return message


def _emit(session, message, event_type, reason=None):
    emit(session, SOURCE, event_type, message.dossier_code,
         {"channel": message.channel, "template": message.template, "reason": reason,
          "template_version": message.template_version, "message_id": message.id,
          "event_type": message.event_type, "attempts": message.attempts},
         correlation_id=message.correlation_id)


def start(session, dispatch, message, resume=False):
    """Claim a message in the caller's transaction. A channel that sends inside the
    database (local) is done at once; for a provider, the Outgoing to hand to
    `finish` once `sending` is committed. None: nothing to send now."""
    message = claim(message, dispatch, resume)
    if message is None:
        return None
    channel = dispatch.channels[message.channel]
    outgoing = Outgoing(message.id, message.channel, message.dossier_code, message.address, message.body)
    if channel.in_transaction:
        record(session, message, _send(channel, outgoing, session), dispatch.settings)
        return None
    return outgoing


def finish(uow, dispatch, outgoing):
    """Call the provider (outside any transaction: an external effect), then record
    its answer."""
    dispatch.rate_limit(outgoing.channel)
    outcome = _send(dispatch.channels[outgoing.channel], outgoing)
    with uow.transaction() as session:
        record(session, _locked(session, outgoing.id), outcome, dispatch.settings)


def deliver(uow, dispatch, message_id, channel_name, resume=False):
    """Send one message if it is due."""
    if channel_name not in dispatch.channels:
        return  # a channel no longer configured: the message waits
    with uow.transaction() as session:
        outgoing = start(session, dispatch, _locked(session, message_id), resume)
    if outgoing:
        finish(uow, dispatch, outgoing)


def handle(uow, dispatch, env, consumer):
    """An event in full: inbox, the messages it owes, and their first send. A
    provider that drops duplicates (and the local channel) is claimed in the same
    transaction as the message; SMTP is claimed on its own, so a crash before the
    call leaves it `created` for the sweeper rather than in doubt."""
    with uow.transaction() as session:
        if not first_time(session, consumer, env):
            return
        outgoing, separately = [], []
        for message in compose(session, env, dispatch):
            if dispatch.channels[message.channel].idempotent:
                # claimed before its first flush: one INSERT, already `sending`
                outgoing.append(start(session, dispatch, message))
            else:
                separately.append((message.id, message.channel))
    for out in filter(None, outgoing):
        finish(uow, dispatch, out)
    for message_id, channel in separately:
        deliver(uow, dispatch, message_id, channel)


def _send(channel, outgoing, session=None):
    try:
        return channel.send(outgoing, session)
    except Exception as exc:  # a fault of ours, not the provider's answer
        log.exception("%s channel failed on message %s", channel.channel, outgoing.id)
        return Outcome("technical", f"{exc.__class__.__name__}: {exc}")


def due(session, settings, limit=200):
    """Messages the sweeper should send now: [(id, channel, resume)]. Takes those
    stuck in `created` (a crash after compose), retries whose time has come, held
    ones whose quiet hours ended, and those a restart cut off in `sending`; an
    interrupted send on a channel that cannot dedupe becomes technical-failure."""
    now = clock.now()
    rows = session.scalars(sa.select(Message).where(
        Message.status.in_(RETRYABLE), sa.or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        sa.or_(Message.status != "created", Message.next_attempt_at.is_not(None),
               Message.created_at <= now - timedelta(seconds=settings.created_grace_seconds)))
        .order_by(Message.created_at).limit(limit)).all()
    found = [(m.id, m.channel, False) for m in rows]
    interrupted = session.scalars(sa.select(Message).where(
        Message.status == "sending", Message.sent_at.is_(None),
        Message.sending_at <= now - timedelta(seconds=settings.sending_timeout_seconds))
        .order_by(Message.sending_at).limit(limit).with_for_update(skip_locked=True)).all()
    for message in interrupted:
        if settings.idempotent.get(message.channel, False):
            found.append((message.id, message.channel, True))
        else:
            message.status = "technical-failure"
            message.last_error = ("sending was interrupted; not sent again because this provider cannot "
                                  "drop a duplicate: check whether the citizen received it")
            _emit(session, message, "notification_failed", message.last_error)
    return found


def apply_receipt(session, receipt):
    """A provider's delivery receipt: `sending` (or a retry pending) becomes
    delivered or permanent-failure. A repeated receipt changes nothing."""
    message = None
    if receipt.get("reference"):
        message = _locked(session, receipt["reference"])
    if message is None and receipt.get("id"):
        message = session.scalars(sa.select(Message).where(Message.provider_ref == receipt["id"])
                                  .with_for_update()).first()
    if message is None:
        raise ApiError(404, "unknown_message", "Không có tin nhắn này")
    if message.status not in ("sending", "temporary-failure"):
        return message, False
    now = clock.now()
    message.provider_ref = message.provider_ref or receipt.get("id")
    if receipt["status"] == "delivered":
        message.status, message.delivered_at, message.sent_at = "delivered", now, message.sent_at or now
        message.last_error = None
        _emit(session, message, "notification_sent")
    else:
        message.status = "permanent-failure"
        message.last_error = f"receipt: {receipt.get('reason') or 'not delivered'}"
        _emit(session, message, "notification_failed", message.last_error)
    return message, True


def listing(session, dossier_code):
    """What staff see: the message text the citizen got, the address masked."""
    rows = session.scalars(sa.select(Message).where(Message.dossier_code == dossier_code)
                           .order_by(Message.created_at, Message.channel)).all()
    return [{"id": m.id, "event_type": m.event_type, "channel": m.channel, "to": rules.mask_address(m.address),
             "template": m.template, "template_version": m.template_version, "status": m.status,
             "attempts": m.attempts, "segments": m.segments, "encoding": m.encoding, "body": m.body,
             "created_at": m.created_at, "sent_at": m.sent_at, "delivered_at": m.delivered_at,
             "next_attempt_at": m.next_attempt_at, "last_error": m.last_error} for m in rows]
