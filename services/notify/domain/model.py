"""The citizen message (tin nhắn gửi công dân) and who it goes to.

A message is one (event, channel): created when the event is handled, then moved on
by its delivery:

    created -> sending -> delivered
                       -> temporary-failure -> sending ... (backoff, up to a limit)
                       -> permanent-failure | technical-failure

`sending` is committed before a provider is called, so a restart finds it: a
channel whose provider drops repeated sends (the SMS gateway, keyed by the message
id) is sent again; one that cannot (SMTP) is marked technical-failure rather than
risk a second e-mail. Every final verdict records notification_sent or
notification_failed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from services.notify.domain import policies, sms_text
from services.notify.domain.events import NotificationFailed, NotificationSent
from shared.domain import Aggregate


class MessageStatus(StrEnum):
    CREATED = "created"
    SENDING = "sending"
    DELIVERED = "delivered"
    TEMPORARY_FAILURE = "temporary-failure"
    PERMANENT_FAILURE = "permanent-failure"
    TECHNICAL_FAILURE = "technical-failure"


# waiting for a send: new, or a temporary failure whose retry is due
RETRYABLE = (MessageStatus.CREATED, MessageStatus.TEMPORARY_FAILURE)

INTERRUPTED_ERROR = (
    "sending was interrupted; not sent again because this provider cannot "
    "drop a duplicate: check whether the citizen received it"
)


class OutcomeStatus(StrEnum):
    """A provider's answer to one send."""

    DELIVERED = "delivered"
    ACCEPTED = "accepted"  # taken; a delivery receipt will follow
    TEMPORARY = "temporary"  # try again later
    PERMANENT = "permanent"  # never retry (a wrong number, a refused mailbox)
    TECHNICAL = "technical"  # our side is at fault (configuration, credentials, a bug)


@dataclass(frozen=True)
class Outcome:
    status: str  # an OutcomeStatus
    reason: str | None = None
    provider_ref: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """What a channel needs of a message (read before the provider is called)."""

    id: str
    channel: str
    dossier_code: str
    address: str
    body: str


class Recipient:
    """A dossier's contacts and chosen channels (kênh nhận thông báo), known from
    dossier_received (or from a refusal that carries its own)."""

    def __init__(
        self,
        dossier_code: str,
        addresses: dict[str, str],
        correlation_id: str,
        full_name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        procedure_name: str | None = None,
        channel: str | None = None,
    ) -> None:
        self.dossier_code = dossier_code
        self.full_name = full_name
        self.phone = phone
        self.email = email
        self.addresses = addresses  # the chosen channels and the address on each: {"sms": "0912..."}
        self.procedure_name = procedure_name
        # how the dossier came in (counter | online | postal): where the citizen supplements
        # [Decree 61/2018/NĐ-CP Art. 17]; None for recipients known before issue 13
        self.channel = channel
        self.correlation_id = correlation_id

    @classmethod
    def from_event(
        cls, dossier_code: str, data: Mapping[str, Any], contact_of: Mapping[str, str], correlation_id: str
    ) -> "Recipient":
        """The citizen chooses the channels per dossier: a channel is used when chosen
        and its contact (`contact_of`: channel -> contact field) was given."""
        contacts, chosen = data.get("contacts") or {}, data.get("notify") or {}
        addresses = {
            channel: contacts[contact]
            for channel, contact in contact_of.items()
            if chosen.get(channel) and contacts.get(contact)
        }
        return cls(
            dossier_code=dossier_code,
            full_name=contacts.get("full_name"),
            phone=contacts.get("phone"),
            email=contacts.get("email"),
            addresses=addresses,
            procedure_name=data.get("procedure_name"),
            channel=data.get("channel"),
            correlation_id=correlation_id,
        )


class Message(Aggregate):
    """One message for one (event, channel), and its delivery."""

    def __init__(
        self,
        *,
        id: str,
        dossier_code: str,
        event_id: str,
        event_type: str,
        channel: str,
        address: str,
        template: str,
        body: str,
        created_at: datetime,
        template_version: str | None = None,
        encoding: str | None = None,
        segments: int | None = None,
        status: MessageStatus = MessageStatus.CREATED,
        attempts: int = 0,
        correlation_id: str | None = None,
        next_attempt_at: datetime | None = None,
        provider_ref: str | None = None,
        last_error: str | None = None,
        sending_at: datetime | None = None,
        sent_at: datetime | None = None,
        delivered_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.dossier_code = dossier_code
        self.event_id = event_id
        self.event_type = event_type  # the citizen event the message tells about
        self.channel = channel
        self.address = address
        self.template = template
        self.template_version = template_version
        self.body = body
        self.encoding = encoding  # gsm7 | ucs2 (SMS)
        self.segments = segments  # SMS parts the body costs
        self.status = status
        self.attempts = attempts
        self.correlation_id = correlation_id
        self.created_at = created_at
        self.next_attempt_at = next_attempt_at  # retry, or the end of quiet hours
        self.provider_ref = provider_ref  # the provider's id, once accepted
        self.last_error = last_error
        self.sending_at = sending_at
        self.sent_at = sent_at  # the provider took it
        self.delivered_at = delivered_at  # delivered (or its receipt came)

    @classmethod
    def compose(
        cls,
        *,
        id: str,
        recipient: Recipient,
        event_id: str,
        event_type: str,
        channel: str,
        template: str,
        template_version: str | None,
        text: str,
        is_sms: bool,
        sms_without_diacritics: bool,
        correlation_id: str | None,
        now: datetime,
    ) -> "Message":
        """A new message of an event on one of the recipient's channels. An SMS may be
        sent without diacritics (fewer parts, readable on a basic phone) and records
        the parts it costs."""
        encoding = segments = None
        if is_sms:
            text, encoding, segments = sms_text.sms_body(text, sms_without_diacritics)
        return cls(
            id=id,
            dossier_code=recipient.dossier_code,
            event_id=event_id,
            event_type=event_type,
            channel=channel,
            address=recipient.addresses[channel],
            template=template,
            template_version=template_version,
            body=text,
            encoding=encoding,
            segments=segments,
            correlation_id=correlation_id,
            created_at=now,
        )

    # -- what the sweeper looks for (the repositories' queries say the same in SQL)

    def is_due(self, now: datetime, created_grace_seconds: float) -> bool:
        """Waiting to be sent now: a retry whose time came, a message held by quiet
        hours that ended, or one left `created` by a crash (older than the grace a
        handler needs to send it itself)."""
        if self.status not in RETRYABLE or (self.next_attempt_at is not None and self.next_attempt_at > now):
            return False
        return (
            self.status != MessageStatus.CREATED
            or self.next_attempt_at is not None
            or self.created_at <= now - timedelta(seconds=created_grace_seconds)
        )

    def is_interrupted(self, now: datetime, sending_timeout_seconds: float) -> bool:
        """`sending` with no answer from the provider for too long: a restart cut it off."""
        return (
            self.status == MessageStatus.SENDING
            and self.sent_at is None
            and self.sending_at is not None
            and self.sending_at <= now - timedelta(seconds=sending_timeout_seconds)
        )

    # -- delivery

    def claim(self, now: datetime, quiet_hours: tuple[time, time] | None, resume: bool = False) -> bool:
        """Move a due message to `sending` (True). False when it is not due or held by
        quiet hours (then it waits until they end). `resume`: take a message a restart
        left in `sending` (for a provider that drops duplicates)."""
        if resume:
            if self.status != MessageStatus.SENDING or self.sent_at is not None:
                return False  # the provider answered meanwhile
        elif self.status not in RETRYABLE or (self.next_attempt_at is not None and self.next_attempt_at > now):
            return False
        morning = policies.quiet_until(now, quiet_hours)
        if morning is not None:
            self.next_attempt_at = morning  # held until the quiet hours end
            if self.status == MessageStatus.SENDING:
                self.status = MessageStatus.CREATED
            return False
        self.status, self.sending_at, self.next_attempt_at = MessageStatus.SENDING, now, None
        self.attempts += 1
        return True

    def outgoing(self) -> Outgoing:
        return Outgoing(self.id, self.channel, self.dossier_code, self.address, self.body)

    def hide_address(self, text: str | None) -> str | None:
        """Providers quote the address back: keep it masked like the listing."""
        if not text:
            return text
        return text.replace(self.address, policies.mask_address(self.address) or "")

    def record_outcome(self, outcome: Outcome, now: datetime, max_attempts: int, retry_base_seconds: float) -> None:
        """Apply a provider's answer to a message in `sending`. A temporary failure is
        retried with backoff until `max_attempts` sends; then, like a permanent or a
        technical failure, it is final."""
        if self.status != MessageStatus.SENDING:
            # a delivery receipt got here first: keep its verdict, note the provider's id
            self.provider_ref = self.provider_ref or outcome.provider_ref
            return
        self.provider_ref = outcome.provider_ref or self.provider_ref
        reason = self.hide_address(outcome.reason)
        if outcome.status == OutcomeStatus.DELIVERED:
            self._delivered(now)
        elif outcome.status == OutcomeStatus.ACCEPTED:
            self.sent_at = now  # stays `sending` until the provider's receipt
        elif outcome.status == OutcomeStatus.TEMPORARY and self.attempts < max_attempts:
            self.status, self.last_error = MessageStatus.TEMPORARY_FAILURE, reason
            self.next_attempt_at = now + timedelta(seconds=policies.backoff(self.attempts, retry_base_seconds))
        else:
            if outcome.status == OutcomeStatus.TEMPORARY:
                reason = f"gave up after {self.attempts} attempts: {reason}"
            technical = outcome.status == OutcomeStatus.TECHNICAL
            self._failed(MessageStatus.TECHNICAL_FAILURE if technical else MessageStatus.PERMANENT_FAILURE, reason)

    def apply_receipt(self, delivered: bool, provider_id: str | None, reason: str | None, now: datetime) -> bool:
        """A provider's delivery receipt: `sending` (or a retry pending) becomes
        delivered or permanent-failure. A repeated or late receipt changes nothing
        (False)."""
        if self.status not in (MessageStatus.SENDING, MessageStatus.TEMPORARY_FAILURE):
            return False
        self.provider_ref = self.provider_ref or provider_id
        if delivered:
            self._delivered(now)
        else:
            self._failed(MessageStatus.PERMANENT_FAILURE, f"receipt: {reason or 'not delivered'}")
        return True

    def give_up_interrupted(self) -> None:
        """An interrupted send on a channel that cannot drop a duplicate is not sent
        again: a person checks whether the citizen got it."""
        self._failed(MessageStatus.TECHNICAL_FAILURE, INTERRUPTED_ERROR)

    def _delivered(self, now: datetime) -> None:
        self.status, self.delivered_at, self.sent_at = MessageStatus.DELIVERED, now, self.sent_at or now
        self.last_error = None
        self.record(NotificationSent(**self._outcome_fields(None)))

    def _failed(self, status: MessageStatus, reason: str | None) -> None:
        self.status, self.last_error = status, reason
        self.record(NotificationFailed(**self._outcome_fields(reason)))

    def _outcome_fields(self, reason: str | None) -> dict[str, Any]:
        return {
            "dossier_code": self.dossier_code,
            "correlation_id": self.correlation_id,
            "channel": self.channel,
            "template": self.template,
            "reason": reason,
            "template_version": self.template_version,
            "message_id": self.id,
            "about": self.event_type,
            "attempts": self.attempts,
        }
