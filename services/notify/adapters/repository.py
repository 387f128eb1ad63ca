"""notify's repositories over SQLAlchemy, and its unit of work."""

from datetime import timedelta

import sqlalchemy as sa

from services.notify.adapters.orm import LocalDelivery, messages, recipients
from services.notify.domain.model import RETRYABLE, Message, MessageStatus, Recipient
from shared.uow import UnitOfWork

# the messages table's columns (queried through the table: the domain class stays plain)
m = messages.c
# built once: each event asks it
EVENT_HAS_MESSAGES = sa.select(sa.literal(1)).where(m.event_id == sa.bindparam("event_id")).limit(1)


class MessageRepository:
    def __init__(self, session, work):
        self.session, self.work = session, work
        self.asked: set[str] = set()  # events whose messages were looked for at once (expect)
        self.with_messages: set[str] = set()  # those of them that have some

    def expect(self, event_ids):
        """Which of these events already made messages, in one statement."""
        self.asked = set(event_ids)
        found = self.session.scalars(sa.select(m.event_id).where(m.event_id.in_(sorted(self.asked))).distinct())
        self.with_messages = set(found)

    def add(self, message):
        self.session.add(message)
        return self.work.track(message)

    def get(self, message_id, for_update=False):
        query = sa.select(Message).where(m.id == message_id)
        return self._one(query.with_for_update() if for_update else query)

    def get_many(self, message_ids, for_update=False):
        """{id: message} of these messages, in one statement (locked in id order)."""
        query = sa.select(Message).where(m.id.in_(message_ids)).order_by(m.id)
        found = self.session.scalars(query.with_for_update() if for_update else query).all()
        return {message.id: self.work.track(message) for message in found}

    def by_provider_ref(self, provider_ref, for_update=False):
        query = sa.select(Message).where(m.provider_ref == provider_ref)
        return self._one(query.with_for_update() if for_update else query)

    def event_has_messages(self, event_id):
        """Whether an event already made its messages (under any consumer name)."""
        if event_id in self.asked:
            return event_id in self.with_messages
        return self.session.scalar(EVENT_HAS_MESSAGES, {"event_id": event_id}) is not None

    def due(self, now, created_grace_seconds, limit):
        """[(id, channel)] of the messages to send now (Message.is_due, in SQL)."""
        rows = self.session.execute(
            sa.select(m.id, m.channel)
            .where(
                m.status.in_([str(s) for s in RETRYABLE]),
                sa.or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now),
                sa.or_(
                    m.status != MessageStatus.CREATED.value,
                    m.next_attempt_at.is_not(None),
                    m.created_at <= now - timedelta(seconds=created_grace_seconds),
                ),
            )
            .order_by(m.created_at)
            .limit(limit)
        ).all()
        return [(row.id, row.channel) for row in rows]

    def interrupted(self, now, sending_timeout_seconds, limit):
        """Messages a restart cut off in `sending` (Message.is_interrupted, in SQL),
        locked; those another worker holds are skipped."""
        found = self.session.scalars(
            sa.select(Message)
            .where(
                m.status == MessageStatus.SENDING.value,
                m.sent_at.is_(None),
                m.sending_at <= now - timedelta(seconds=sending_timeout_seconds),
            )
            .order_by(m.sending_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [self.work.track(message) for message in found]

    def _one(self, query):
        message = self.session.scalars(query).first()
        return self.work.track(message) if message is not None else None


class RecipientRepository:
    def __init__(self, session):
        self.session = session
        self.expected = {}

    def get(self, dossier_code):
        return self.expected.get(dossier_code) or self.session.get(Recipient, dossier_code)

    def expect(self, dossier_codes):
        """These dossiers' recipients, in one statement (held here: the session keeps
        only weak references)."""
        found = self.session.scalars(sa.select(Recipient).where(recipients.c.dossier_code.in_(sorted(dossier_codes))))
        self.expected = {recipient.dossier_code: recipient for recipient in found}

    def add(self, recipient):
        self.session.add(recipient)
        self.expected[recipient.dossier_code] = recipient
        return recipient


class LocalDeliveryRepository:
    """What the local channel 'sends': a row written in the message's transaction."""

    def __init__(self, session):
        self.session = session

    def add(self, message_id, channel, address, body, delivered_at):
        self.session.flush()  # a message created in this transaction is written first: the delivery refers to it
        self.session.add(LocalDelivery(message_id, channel, address, body, delivered_at))


class NotifyWork(UnitOfWork):
    source = "notify"

    def __init__(self, session):
        super().__init__(session)
        self.messages = MessageRepository(session, self)
        self.recipients = RecipientRepository(session)
        self.deliveries = LocalDeliveryRepository(session)

    def expect(self, envelopes):
        """A batch of events reads its recipients and its duplicates check in two
        statements, instead of two for each event."""
        if envelopes:
            self.recipients.expect({env["dossier_code"] for env in envelopes})
            self.messages.expect([env["event_id"] for env in envelopes])
