"""notify's unit tier: a fake database (messages, recipients, local deliveries and the
outbox in memory), units of work over it, scripted channels and a settable clock."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.notify.adapters.channels import LocalEmail, LocalSms
from services.notify.adapters.templates import Templates
from services.notify.domain.model import MessageStatus, Outcome
from services.notify.domain.policies import Settings
from shared import clock
from tests.unit.fakes import FakeWork

TZ = clock.TZ
MORNING = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)  # a working morning, outside the SMS quiet hours


@dataclass
class Store:
    """What the database would hold."""

    messages: dict = field(default_factory=dict)
    recipients: dict = field(default_factory=dict)
    deliveries: list = field(default_factory=list)
    outbox: list = field(default_factory=list)


class FakeMessages:
    def __init__(self, store, work):
        self.store, self.work = store, work

    def add(self, message):
        assert not any(
            m.event_id == message.event_id and m.channel == message.channel for m in self.store.messages.values()
        ), "unique (event_id, channel)"
        self.store.messages[message.id] = message
        return self.work.track(message)

    def get(self, message_id, for_update=False):
        message = self.store.messages.get(message_id)
        return self.work.track(message) if message is not None else None

    def get_many(self, message_ids, for_update=False):
        found = {i: self.store.messages[i] for i in sorted(message_ids) if i in self.store.messages}
        return {i: self.work.track(message) for i, message in found.items()}

    def by_provider_ref(self, provider_ref, for_update=False):
        message = next((m for m in self.store.messages.values() if m.provider_ref == provider_ref), None)
        return self.work.track(message) if message is not None else None

    def event_has_messages(self, event_id):
        return any(m.event_id == event_id for m in self.store.messages.values())

    def due(self, now, created_grace_seconds, limit):
        found = sorted(
            (m for m in self.store.messages.values() if m.is_due(now, created_grace_seconds)),
            key=lambda m: m.created_at,
        )
        return [(m.id, m.channel) for m in found[:limit]]

    def interrupted(self, now, sending_timeout_seconds, limit):
        found = sorted(
            (m for m in self.store.messages.values() if m.is_interrupted(now, sending_timeout_seconds)),
            key=lambda m: m.sending_at,
        )
        return [self.work.track(m) for m in found[:limit]]


class FakeRecipients:
    def __init__(self, store):
        self.store = store

    def get(self, dossier_code):
        return self.store.recipients.get(dossier_code)

    def add(self, recipient):
        self.store.recipients[recipient.dossier_code] = recipient
        return recipient


class FakeDeliveries:
    def __init__(self, store):
        self.store = store

    def add(self, message_id, channel, address, body, delivered_at):
        self.store.deliveries.append((message_id, channel, address, body))


class FakeNotifyWork(FakeWork):
    source = "notify"

    def __init__(self, store):
        super().__init__()
        self.messages = FakeMessages(store, self)
        self.recipients = FakeRecipients(store)
        self.deliveries = FakeDeliveries(store)


class ScriptedChannel:
    """A provider answering from a script per address (then `default`), recording
    what it was asked to send."""

    def __init__(self, channel, idempotent, is_sms, default="delivered"):
        self.channel, self.idempotent, self.is_sms = channel, idempotent, is_sms
        self.in_transaction = False
        self.default = default
        self.scripts = {}
        self.sent = []

    def script(self, address, answers):
        self.scripts[address] = list(answers)

    def send(self, message, work=None):
        self.sent.append(message)
        answers = self.scripts.get(message.address)
        answer = answers.pop(0) if answers else self.default
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, Outcome):
            return answer
        return Outcome(
            answer,
            None if answer in ("delivered", "accepted") else f"{answer} for {message.address}",
            provider_ref=f"gw-{len(self.sent)}" if self.idempotent else None,
        )


class Clock:
    def __init__(self, now=MORNING):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


class FakeDispatch:
    """Real templates; channels given, or the local ones; no rate limit."""

    def __init__(self, channels=None, **settings):
        self.templates = Templates()
        self.channels = channels or {"sms": LocalSms({}), "email": LocalEmail({})}
        self.contacts = {"sms": "phone", "email": "email"}
        quiet = settings.pop("quiet_hours", {})
        self.settings = Settings(
            quiet_hours={name: quiet.get(name) for name in self.channels},
            idempotent={name: c.idempotent for name, c in self.channels.items()},
            **{"max_attempts": 3, "retry_base_seconds": 30, **settings},
        )
        self.rate_limited = []

    def rate_limit(self, channel):
        self.rate_limited.append(channel)


class Notify:
    """notify in memory: a store, a clock, a dispatch and the use cases' unit-of-work
    factory (commit: the recorded events go to the store's outbox; an error: nothing
    is published)."""

    def __init__(self, dispatch=None, now=MORNING):
        self.store = Store()
        self.clock = Clock(now)
        self.dispatch = dispatch or FakeDispatch()
        self.transactions = 0

    @contextmanager
    def work(self):
        self.transactions += 1
        work = FakeNotifyWork(self.store)
        yield work
        self.store.outbox.extend(work.commit())

    def messages(self, code=None):
        return sorted(
            (m for m in self.store.messages.values() if code is None or m.dossier_code == code),
            key=lambda m: (m.created_at, m.channel),
        )

    def outcomes(self, code=None):
        return [(e.event_type, e.data()) for e in self.store.outbox if code is None or e.dossier_code == code]

    def statuses(self, code=None):
        return [(m.channel, m.status) for m in self.messages(code)]


DELIVERED = MessageStatus.DELIVERED
