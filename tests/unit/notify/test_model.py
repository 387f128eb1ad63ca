"""The message aggregate alone: claims, verdicts and what the sweeper looks for."""

from datetime import datetime, time, timedelta

from services.notify.domain.events import NotificationFailed, NotificationSent
from services.notify.domain.model import Message, MessageStatus, Outcome, Recipient
from tests.unit.notify.fakes import TZ

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
QUIET = (time(21, 0), time(7, 0))


def message(**values):
    fields = {
        "id": "m-1",
        "dossier_code": "X",
        "event_id": "e-1",
        "event_type": "result_ready",
        "channel": "sms",
        "address": "0912345678",
        "template": "result_ready.sms.j2",
        "body": "X: Da co ket qua.",
        "created_at": NOW,
        **values,
    }
    return Message(**fields)


def test_a_claim_sends_once_and_counts_the_attempt():
    m = message()
    assert m.claim(NOW, QUIET) and (m.status, m.attempts, m.sending_at) == (MessageStatus.SENDING, 1, NOW)
    assert not m.claim(NOW, QUIET)  # already sending: another worker has it


def test_a_retry_is_claimed_only_when_due():
    m = message(status=MessageStatus.TEMPORARY_FAILURE, attempts=1, next_attempt_at=NOW + timedelta(seconds=30))
    assert not m.claim(NOW, None) and m.attempts == 1
    assert m.claim(NOW + timedelta(seconds=30), None) and m.attempts == 2


def test_quiet_hours_put_an_interrupted_send_back_to_wait():
    night = datetime(2026, 11, 26, 23, 0, tzinfo=TZ)
    m = message(status=MessageStatus.SENDING, attempts=1, sending_at=night - timedelta(minutes=5))
    assert not m.claim(night, QUIET, resume=True)
    assert (m.status, m.next_attempt_at) == (MessageStatus.CREATED, datetime(2026, 11, 27, 7, 0, tzinfo=TZ))


def test_resume_only_a_send_the_provider_never_answered():
    answered = message(status=MessageStatus.SENDING, sent_at=NOW)
    assert not answered.claim(NOW, None, resume=True)
    cut = message(status=MessageStatus.SENDING, attempts=1, sending_at=NOW - timedelta(minutes=2))
    assert cut.is_interrupted(NOW, 60) and not cut.is_interrupted(NOW, 180)
    assert cut.claim(NOW, None, resume=True) and cut.attempts == 2


def test_what_the_sweeper_takes():
    assert not message().is_due(NOW, 5)  # just created: its handler sends it
    assert message(created_at=NOW - timedelta(seconds=5)).is_due(NOW, 5)  # left by a crash
    assert message(next_attempt_at=NOW).is_due(NOW, 5)  # held by quiet hours that ended
    assert not message(status=MessageStatus.DELIVERED, created_at=NOW - timedelta(days=1)).is_due(NOW, 5)


def test_verdicts_record_their_event_once():
    m = message(status=MessageStatus.SENDING, attempts=1)
    m.record_outcome(Outcome("delivered"), NOW, 5, 30)
    [sent] = m.events
    assert isinstance(sent, NotificationSent) and sent.data()["event_type"] == "result_ready"
    m.record_outcome(Outcome("delivered", provider_ref="late"), NOW, 5, 30)  # not sending any more
    assert len(m.events) == 1 and m.provider_ref == "late"
    assert not m.apply_receipt(False, None, "late", NOW) and m.status == MessageStatus.DELIVERED


def test_an_interrupted_send_that_cannot_be_repeated_is_given_up():
    m = message(channel="email", address="hoa@example.vn", status=MessageStatus.SENDING, attempts=1)
    m.give_up_interrupted()
    [failed] = m.events
    assert m.status == MessageStatus.TECHNICAL_FAILURE and isinstance(failed, NotificationFailed)
    assert failed.reason == m.last_error and "not sent again" in failed.reason


def test_a_recipient_gets_the_channels_chosen_with_a_contact():
    data = {
        "contacts": {"full_name": "Hoa", "phone": "0912345678", "email": None},
        "notify": {"sms": True, "email": True},
        "procedure_name": "Chứng thực",
    }
    r = Recipient.from_event("X", data, {"sms": "phone", "email": "email"}, "c-1")
    assert (r.addresses, r.full_name, r.procedure_name) == ({"sms": "0912345678"}, "Hoa", "Chứng thực")
