"""notify's use cases: tell the citizen about an event, send what is due, apply a
delivery receipt.

Framework-free: a use case gets the unit of work (`work`, its repositories), the
dispatch (templates, channels, settings, rate limits) and the time, calls the
domain, and returns. A message is created in the same transaction that records the
event in the inbox, so a redelivered event never makes a second one; providers are
called outside any transaction (an external effect), between a transaction that
commits `sending` and one that records the answer.
"""

import logging
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from services.notify.domain import policies
from services.notify.domain.errors import RecipientNotKnownYet, UnknownMessage
from services.notify.domain.model import Message, MessageStatus, Outcome, OutcomeStatus, Outgoing, Recipient
from services.notify.domain.policies import Settings
from shared import logs
from shared.events import EventType

log = logging.getLogger(__name__)


class Channel(Protocol):
    channel: str
    in_transaction: bool  # sending is a row of our own database, written with the status
    idempotent: bool  # the provider drops a second send with the same key
    is_sms: bool

    def send(self, message: Outgoing, work: Any = None) -> Outcome: ...


class Templates(Protocol):
    def render(self, event_type: str, channel: str, context: Mapping[str, Any]) -> tuple[str, str, str]: ...


class Dispatch(Protocol):
    templates: Templates
    channels: Mapping[str, Channel]
    contacts: Mapping[str, str]  # channel -> the contact it sends to
    settings: Settings

    def rate_limit(self, channel: str) -> None: ...


StartWork = Callable[[], AbstractContextManager[Any]]  # opens a unit of work: commit at the end
Clock = Callable[[], datetime]


@dataclass
class Pending:
    """Sends an event's handling leaves for after its commit."""

    outgoing: list[Outgoing] = field(default_factory=list)  # claimed: call the provider
    separately: list[tuple[str, str]] = field(default_factory=list)  # (id, channel): claim in a transaction first


def recipient_for(work: Any, dispatch: Dispatch, env: Mapping[str, Any]) -> Recipient | None:
    """Who to tell about this event. Contacts come from dossier_received; a dossier
    refused before it was received may carry its own. None: nobody to tell."""
    code, data = env["dossier_code"], env["data"]
    recipient: Recipient | None = work.recipients.get(code)
    if recipient is not None:
        return recipient
    if env["event_type"] == EventType.DOSSIER_RECEIVED or data.get("contacts"):
        return work.recipients.add(Recipient.from_event(code, data, dispatch.contacts, env["correlation_id"]))
    if env["event_type"] == EventType.DOSSIER_REFUSED:
        return None  # refused before reception and no contacts given: no one to tell
    # dossier_received not handled yet: fail so the event is retried after a delay
    raise RecipientNotKnownYet(code)


def compose(work: Any, dispatch: Dispatch, env: Mapping[str, Any], now: datetime) -> list[Message]:
    """Create the messages an event owes (one per chosen channel that is configured)."""
    recipient = recipient_for(work, dispatch, env)
    if recipient is None or not policies.worth_telling(env["event_type"], env["data"]):
        return []
    context = policies.template_context(
        env["dossier_code"], recipient.full_name, recipient.procedure_name, env["data"], recipient.channel
    )
    created = []
    for channel_name, address in sorted(recipient.addresses.items()):
        channel = dispatch.channels.get(channel_name)
        if channel is None or not address:
            continue
        template, version, text = dispatch.templates.render(env["event_type"], channel_name, context)
        message = Message.compose(
            id=str(uuid.uuid4()),
            recipient=recipient,
            event_id=env["event_id"],
            event_type=env["event_type"],
            channel=channel_name,
            template=template,
            template_version=version,
            text=text,
            is_sms=channel.is_sms,
            sms_without_diacritics=dispatch.settings.sms_without_diacritics,
            correlation_id=env.get("correlation_id"),
            now=now,
        )
        created.append(work.messages.add(message))
    return created


def tell_citizen(work: Any, dispatch: Dispatch, env: Mapping[str, Any], now: datetime) -> Pending | None:
    """An event's messages and their first send (the inbox already made sure this is
    the event's first handling). A provider that drops duplicates (and the local
    channel) is claimed in this transaction; SMTP is claimed on its own after the
    commit, so a crash before the call leaves it `created` for the sweeper rather
    than in doubt. Returns what to send once this transaction is committed."""
    if work.messages.event_has_messages(env["event_id"]):
        return None  # handled before, under another consumer name
    pending = Pending()
    for message in compose(work, dispatch, env, now):
        if dispatch.channels[message.channel].idempotent:
            # claimed before its first flush: one INSERT, already `sending`
            outgoing = start(work, dispatch, message, now)
            if outgoing is not None:
                pending.outgoing.append(outgoing)
        else:
            pending.separately.append((message.id, message.channel))
    return pending if pending.outgoing or pending.separately else None


Each = Callable[[Callable[[Outgoing], Outcome], list[Outgoing]], Any]  # map, or one running calls side by side


def send_pending(
    start_work: StartWork, dispatch: Dispatch, pendings: list[Pending], clock: Clock, each: Each = map
) -> None:
    """What several handled events left to send: every claimed message through its
    provider, the answers recorded in one transaction; then the others one by one."""
    finish_all(start_work, dispatch, [o for pending in pendings for o in pending.outgoing], clock, each)
    for pending in pendings:
        for message_id, channel in pending.separately:
            deliver(start_work, dispatch, message_id, channel, clock)


def start(
    work: Any, dispatch: Dispatch, message: Message | None, now: datetime, resume: bool = False
) -> Outgoing | None:
    """Claim a message in the caller's transaction. A channel that sends inside the
    database (local) is done at once; for a provider, the Outgoing to hand to
    `finish` once `sending` is committed. None: nothing to send now."""
    if message is None or not message.claim(now, dispatch.settings.quiet_hours.get(message.channel), resume):
        return None
    channel = dispatch.channels[message.channel]
    outgoing = message.outgoing()
    if channel.in_transaction:
        record(message, send(channel, outgoing, work), now, dispatch.settings)
        return None
    return outgoing


def finish(start_work: StartWork, dispatch: Dispatch, outgoing: Outgoing, clock: Clock) -> None:
    """Call the provider (outside any transaction), then record its answer."""
    finish_all(start_work, dispatch, [outgoing], clock)


def finish_all(
    start_work: StartWork, dispatch: Dispatch, outgoing: list[Outgoing], clock: Clock, each: Each = map
) -> None:
    """Call the providers (outside any transaction), then record their answers in one
    transaction."""
    if not outgoing:
        return

    def call(message: Outgoing) -> Outcome:
        dispatch.rate_limit(message.channel)
        return send(dispatch.channels[message.channel], message)

    outcomes = list(each(call, outgoing))
    with start_work() as work:
        messages = work.messages.get_many([o.id for o in outgoing], for_update=True)
        for message, outcome in zip(outgoing, outcomes, strict=True):
            with logs.about(message.dossier_code):
                record(messages[message.id], outcome, clock(), dispatch.settings)


def deliver(
    start_work: StartWork, dispatch: Dispatch, message_id: str, channel_name: str, clock: Clock, resume: bool = False
) -> None:
    """Send one message if it is due."""
    if channel_name not in dispatch.channels:
        return  # a channel no longer configured: the message waits
    with start_work() as work:
        outgoing = start(work, dispatch, work.messages.get(message_id, for_update=True), clock(), resume)
    if outgoing is not None:
        finish(start_work, dispatch, outgoing, clock)


def record(message: Message, outcome: Outcome, now: datetime, settings: Settings) -> None:
    """Apply a provider's answer (the message records the outcome event)."""
    if message.status == MessageStatus.SENDING:
        reason = message.hide_address(outcome.reason)
        log.info(
            "%s message %s (%s, attempt %d): %s%s",
            message.channel,
            message.id,
            message.event_type,
            message.attempts,
            outcome.status,
            f" ({reason})" if reason else "",
        )
    message.record_outcome(outcome, now, settings.max_attempts, settings.retry_base_seconds)


def send(channel: Channel, outgoing: Outgoing, work: Any = None) -> Outcome:
    try:
        return channel.send(outgoing, work)
    except Exception as exc:  # a fault of ours, not the provider's answer
        log.exception("%s channel failed on message %s", channel.channel, outgoing.id)
        return Outcome(OutcomeStatus.TECHNICAL, f"{exc.__class__.__name__}: {exc}")


def due(work: Any, settings: Settings, now: datetime, limit: int = policies.SWEEP_BATCH) -> list[tuple[str, str, bool]]:
    """Messages the sweeper should send now: [(id, channel, resume)]. Takes those
    stuck in `created` (a crash after compose), retries whose time has come, held
    ones whose quiet hours ended, and those a restart cut off in `sending`; an
    interrupted send on a channel that cannot drop a duplicate becomes technical-failure."""
    found = [
        (message_id, channel, False)
        for message_id, channel in work.messages.due(now, settings.created_grace_seconds, limit)
    ]
    for message in work.messages.interrupted(now, settings.sending_timeout_seconds, limit):
        if settings.idempotent.get(message.channel, False):
            found.append((message.id, message.channel, True))
        else:
            message.give_up_interrupted()
    return found


def sweep(start_work: StartWork, dispatch: Dispatch, clock: Clock) -> None:
    """Send what is due: left in `created` by a crash, retries, held by quiet hours,
    or cut off in `sending` by a restart."""
    with start_work() as work:
        batch = due(work, dispatch.settings, clock())
    for message_id, channel, resume in batch:
        deliver(start_work, dispatch, message_id, channel, clock, resume)


def apply_receipt(work: Any, receipt: Mapping[str, Any], now: datetime) -> tuple[Message, bool]:
    """A provider's delivery receipt, found by our message id (`reference`) or the
    provider's (`id`); (the message, whether it changed)."""
    message = None
    if receipt.get("reference"):
        message = work.messages.get(receipt["reference"], for_update=True)
    if message is None and receipt.get("id"):
        message = work.messages.by_provider_ref(receipt["id"], for_update=True)
    if message is None:
        raise UnknownMessage()
    changed = message.apply_receipt(receipt["status"] == "delivered", receipt.get("id"), receipt.get("reason"), now)
    return message, changed
