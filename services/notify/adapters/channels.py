"""Channels: how a message reaches the citizen, one class per (channel, backend).

A channel class is registered under its channel name and backend; configuration
picks the backend per channel (SMS_BACKEND: local|http, EMAIL_BACKEND: local|smtp).
A third channel (a chat app such as Zalo) is one more registered class naming the
contact it sends to; nothing else changes.

`send` answers an Outcome (services.notify.domain.model): delivered, accepted (the
provider took it and a delivery receipt will follow), temporary (retry later),
permanent (never retry) or technical (our side is misconfigured). It never raises
for a provider's answer.
"""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from services.notify.domain.model import Outcome
from shared import clock, outbound

log = logging.getLogger(__name__)

REGISTRY: dict[str, dict[str, type["Channel"]]] = {}  # channel -> backend -> class


def register(channel, backend):
    def decorate(cls):
        cls.channel, cls.backend = channel, backend
        REGISTRY.setdefault(channel, {})[backend] = cls
        return cls

    return decorate


def contacts_of_channels():
    """{channel: the contact of dossier_received it sends to}, e.g. {"sms": "phone"}."""
    return {channel: next(iter(backends.values())).contact for channel, backends in REGISTRY.items()}


class Channel:
    channel: str | None = None
    backend: str | None = None
    contact: str | None = None  # which contact of dossier_received the channel sends to
    in_transaction = False  # True: sending is a row in our own database, written with the status
    idempotent = False  # True: the provider drops a second send with the same key
    is_sms = False  # SMS: the diacritics option and segment counts apply

    def __init__(self, config):
        self.config = config

    def send(self, message, work=None):
        """`work`: the unit of work of a channel that sends in the transaction (in_transaction)."""
        raise NotImplementedError


class LocalChannel(Channel):
    """No network: the delivery is a row in local_deliveries, written in the same
    transaction as `delivered`, so it happens exactly once (quick start, tests)."""

    in_transaction = True
    idempotent = True

    def send(self, message, work=None):
        work.deliveries.add(message.id, self.channel, message.address, message.body, clock.now())
        return Outcome("delivered")


@register("sms", "local")
class LocalSms(LocalChannel):
    contact = "phone"
    is_sms = True


@register("email", "local")
class LocalEmail(LocalChannel):
    contact = "email"


def subject_and_text(body):
    """E-mail templates put the subject on their first line."""
    subject, _, text = body.partition("\n")
    return subject.strip(), text.lstrip("\n")


@register("email", "smtp")
class SmtpEmail(Channel):
    """E-mail over SMTP. SMTP has no idempotency key: the Message-ID carries the
    message id so that mail clients can fold a duplicate, but a send cut off after
    the server accepted it cannot be told from one that never arrived."""

    contact = "email"

    def send(self, message, work=None):
        cfg = self.config
        mail = EmailMessage()
        subject, text = subject_and_text(message.body)
        mail["Subject"], mail["From"], mail["To"] = subject, cfg["EMAIL_FROM"], message.address
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = f"<{message.id}@{cfg['EMAIL_FROM'].rpartition('@')[2] or 'motcua'}>"
        mail.set_content(text)
        try:
            with smtplib.SMTP(
                cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=float(cfg.get("SMTP_TIMEOUT_SECONDS", 10))
            ) as smtp:
                if truthy(cfg.get("SMTP_STARTTLS")):
                    # verify the server's certificate (SMTP_CA_FILE: a private CA)
                    smtp.starttls(context=ssl.create_default_context(cafile=cfg.get("SMTP_CA_FILE") or None))
                if cfg.get("SMTP_USER"):
                    smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPNotSupportedError as exc:  # no STARTTLS or AUTH offered: configuration
            return Outcome("technical", f"SMTP server does not support it: {exc}")
        except smtplib.SMTPAuthenticationError as exc:
            return Outcome("technical", f"SMTP login refused: {exc.smtp_code}")
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return _smtp_outcome(code, text)
        except smtplib.SMTPResponseException as exc:
            return _smtp_outcome(exc.smtp_code, exc.smtp_error)
        except ssl.SSLError as exc:
            return Outcome("technical", f"SMTP STARTTLS failed: {exc}")
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return Outcome("temporary", f"SMTP unreachable: {exc.__class__.__name__}: {exc}")
        if refused:
            code, text = next(iter(refused.values()))
            return _smtp_outcome(code, text)
        return Outcome("delivered")


def _smtp_outcome(code, text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    # 4xx: try again later; 5xx: the server will never take it
    return Outcome("temporary" if 400 <= int(code) < 500 else "permanent", f"SMTP {code} {text}")


@register("sms", "http")
class HttpSmsGateway(Channel):
    """An HTTP SMS gateway: POST {SMS_GATEWAY_URL}/messages with the API key, the
    sender name and the message id as Idempotency-Key, so a resend after a timeout
    or a restart is dropped by the gateway. 2xx: accepted (a receipt follows) or
    delivered; 429 and 5xx, timeouts: temporary; 401/403: our key (technical); other
    4xx: permanent (a wrong number)."""

    contact = "phone"
    idempotent = True
    is_sms = True

    def __init__(self, config):
        super().__init__(config)
        self.gateway = outbound.Client(config["SMS_GATEWAY_URL"], float(config.get("SMS_TIMEOUT_SECONDS", 10)))

    def send(self, message, work=None):
        cfg = self.config
        try:
            answer = self.gateway.request(
                "POST",
                "/messages",
                headers={"Authorization": f"Bearer {cfg.get('SMS_GATEWAY_KEY') or ''}", "Idempotency-Key": message.id},
                json={
                    "to": message.address,
                    "from": cfg.get("SMS_SENDER") or "MOTCUA",
                    "text": message.body,
                    "reference": message.id,
                },
            )
        except outbound.OutboundError as exc:
            return Outcome("temporary", "SMS gateway timed out" if exc.timed_out else f"SMS gateway {exc}")
        reason = f"SMS gateway {answer.status}: {answer.text[:200]}"
        if answer.status in (401, 403):
            return Outcome("technical", reason)
        if answer.status == 429 or answer.status >= 500:
            return Outcome("temporary", reason)
        if answer.status >= 400:
            return Outcome("permanent", reason)
        if answer.redirect is not None:  # SMS_GATEWAY_URL points at the wrong place: a setting to fix
            return Outcome("technical", f"{reason} (redirected to {answer.redirect})")
        try:
            body = answer.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        status = "delivered" if body.get("status") == "delivered" else "accepted"
        return Outcome(status, provider_ref=str(body.get("id") or "") or None)


def truthy(value):
    """A yes/no setting, whether YAML gave a bool or the environment a string."""
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def build(config):
    """The configured channels: {channel: instance}. An unknown backend is a
    configuration error, said at start-up."""
    channels = {}
    for channel, backends in REGISTRY.items():
        backend = str(config.get(f"{channel.upper()}_BACKEND") or "local").strip()
        if backend not in backends:
            raise ValueError(f"{channel.upper()}_BACKEND={backend!r}: one of {', '.join(sorted(backends))}")
        channels[channel] = backends[backend](config)
    return channels
