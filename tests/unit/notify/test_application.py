"""notify's use cases on fakes (no broker, no database): what each citizen event
makes, retries and failures, receipts, restarts, quiet hours, refusals."""

import uuid
from datetime import datetime, time, timedelta

import pytest

from services.notify import application
from services.notify.domain import sms_text
from services.notify.domain.errors import RecipientNotKnownYet, UnknownMessage
from services.notify.domain.model import MessageStatus, Outcome
from shared import events
from shared.errors import http_error
from tests.notify.samples import SAMPLES, received
from tests.unit.notify.fakes import TZ, FakeDispatch, Notify, ScriptedChannel

CODE = "000.00.06.H56-261126-0001"


def envelope(event_type, data, code=CODE):
    env = events.envelope(event_type, code, data)
    return events.load(env)  # as a handler receives it: moments parsed


def handle(notify, env):
    """What `@handles` does around tell_citizen (the inbox aside): one unit of work,
    then the sends it left for after the commit."""
    with notify.work() as work:
        pending = application.tell_citizen(work, notify.dispatch, env, notify.clock())
    if pending is not None:
        application.send_pending(notify.work, notify.dispatch, [pending], notify.clock)


def test_what_several_events_left_to_send_is_sent_and_recorded_in_one_transaction():
    sms, email = providers()
    notify = Notify(FakeDispatch({"sms": sms, "email": email}))
    codes = [f"000.00.06.H56-261126-000{i}" for i in range(1, 4)]
    pendings = []
    for code in codes:
        with notify.work() as work:
            pendings.append(
                application.tell_citizen(
                    work,
                    notify.dispatch,
                    envelope("dossier_received", SAMPLES["dossier_received"], code),
                    notify.clock(),
                )
            )
    before = notify.transactions
    application.send_pending(notify.work, notify.dispatch, pendings, notify.clock)
    # SMS (idempotent, claimed with the event) recorded together; e-mail claimed and sent one by one
    assert notify.transactions - before == 1 + 2 * len(codes)
    for code in codes:
        assert notify.statuses(code) == [("email", MessageStatus.DELIVERED), ("sms", MessageStatus.DELIVERED)]
        assert all(m.attempts == 1 for m in notify.messages(code))


def sweep(notify):
    application.sweep(notify.work, notify.dispatch, notify.clock)


def providers(sms_default="delivered", email_default="delivered"):
    """An SMS gateway (drops duplicates) and an SMTP server (cannot)."""
    sms = ScriptedChannel("sms", idempotent=True, is_sms=True, default=sms_default)
    email = ScriptedChannel("email", idempotent=False, is_sms=False, default=email_default)
    return sms, email


def test_every_citizen_event_reaches_sms_and_email():
    notify = Notify()
    for event_type, data in SAMPLES.items():
        handle(notify, envelope(event_type, data))
    messages = notify.messages()
    assert len(messages) == 2 * len(SAMPLES)
    assert all(m.status == MessageStatus.DELIVERED and m.attempts == 1 for m in messages)
    assert {(m.event_type, m.channel) for m in messages} == {(e, c) for e in SAMPLES for c in ("sms", "email")}
    for m in messages:
        assert m.template == f"{m.event_type}.{m.channel}.j2" and len(m.template_version) == 12
        if m.channel == "sms":
            assert m.body.startswith(CODE) and sms_text.encoding(m.body) == "gsm7"  # no diacritics
            assert (m.encoding, m.segments) == sms_text.segments(m.body) and m.address == "0912345678"
        else:
            assert m.segments is None and m.address == "hoa@example.vn"
    assert any("Can bo sung: Ban sao CCCD" in m.body for m in messages if m.channel == "sms")
    apology = next(m.body for m in messages if m.channel == "email" and m.event_type == "deadline_extended")
    assert apology.startswith(f"Thư xin lỗi: hồ sơ {CODE} có ngày hẹn mới")
    assert "Ngày hẹn trả kết quả mới: 16:00 01/12/2026." in apology
    # the local channels deliver each message once, in its own transaction
    assert sorted((d[1], d[2]) for d in notify.store.deliveries) == sorted(
        [("sms", "0912345678"), ("email", "hoa@example.vn")] * len(SAMPLES)
    )
    sent = notify.outcomes()
    assert [kind for kind, _ in sent] == ["notification_sent"] * 2 * len(SAMPLES)
    assert {(d["channel"], d["template"]) for _, d in sent} == {(m.channel, m.template) for m in messages}


def test_outcome_events_carry_the_contracts_data():
    notify = Notify()
    handle(notify, envelope("dossier_received", received("0912345678")))
    [(kind, data)] = notify.outcomes()
    [message] = notify.messages()
    assert data == {
        "channel": "sms",
        "template": "dossier_received.sms.j2",
        "reason": None,
        "template_version": message.template_version,
        "message_id": message.id,
        "event_type": "dossier_received",
        "attempts": 1,
    }
    [event] = notify.store.outbox
    assert event.correlation_id == message.correlation_id and event.dossier_code == CODE
    events.envelope(kind, CODE, event.data(), event.correlation_id, source="notify")  # valid for the contract


def test_an_event_handled_again_makes_no_second_message():
    notify = Notify()
    env = envelope("dossier_received", received("0912345678", "hoa@example.vn"))
    handle(notify, env)
    handle(notify, env)  # e.g. redelivered under another consumer name
    assert len(notify.messages()) == 2 and len(notify.store.deliveries) == 2 and len(notify.outcomes()) == 2


def test_a_provider_that_drops_duplicates_is_claimed_with_the_message_and_smtp_after_the_commit():
    sms, email = providers()
    notify = Notify(FakeDispatch({"sms": sms, "email": email}))
    with notify.work() as work:
        pending = application.tell_citizen(
            work,
            notify.dispatch,
            envelope("dossier_received", received("0912345678", "hoa@example.vn")),
            notify.clock(),
        )
    # committed: the SMS already `sending` (a restart resends it, the gateway drops the repeat),
    # the e-mail still `created` (a crash before the SMTP call leaves it to the sweeper)
    assert notify.statuses() == [("email", "created"), ("sms", "sending")]
    assert [o.channel for o in pending.outgoing] == ["sms"] and [c for _, c in pending.separately] == ["email"]
    application.send_pending(notify.work, notify.dispatch, [pending], notify.clock)
    assert notify.statuses() == [("email", "delivered"), ("sms", "delivered")]
    assert notify.dispatch.rate_limited == ["sms", "email"]  # every provider call waits for the rate limit


def test_temporary_failures_are_retried_with_backoff():
    sms, email = providers()
    sms.script("0912345678", ["temporary", "temporary", "delivered"])
    notify = Notify(FakeDispatch({"sms": sms, "email": email}))
    handle(notify, envelope("dossier_received", received("0912345678")))
    [m] = notify.messages()
    assert (m.status, m.attempts, m.next_attempt_at) == ("temporary-failure", 1, notify.clock() + timedelta(seconds=30))
    notify.clock.advance(29)
    sweep(notify)
    assert m.attempts == 1  # not yet
    notify.clock.advance(1)
    sweep(notify)
    assert (m.status, m.attempts) == ("temporary-failure", 2)
    assert m.next_attempt_at == notify.clock() + timedelta(seconds=60)  # doubled
    notify.clock.advance(60)
    sweep(notify)
    assert (m.status, m.attempts, m.last_error) == ("delivered", 3, None)
    assert [kind for kind, _ in notify.outcomes()] == ["notification_sent"]
    assert len(sms.sent) == 3 and len({o.id for o in sms.sent}) == 1  # one key: the gateway keeps one SMS


def test_a_permanent_failure_is_not_retried_and_the_address_stays_masked():
    sms, email = providers(sms_default="permanent")
    notify = Notify(FakeDispatch({"sms": sms, "email": email}))
    handle(notify, envelope("dossier_received", received("0912345678")))
    notify.clock.advance(3600)
    sweep(notify)
    [m] = notify.messages()
    assert (m.status, m.attempts, m.last_error) == ("permanent-failure", 1, "permanent for 091*****78")
    [(kind, data)] = notify.outcomes()
    assert kind == "notification_failed" and data["reason"] == "permanent for 091*****78" and len(sms.sent) == 1


def test_temporary_failures_give_up_after_the_last_attempt():
    sms, email = providers(email_default="temporary")
    notify = Notify(FakeDispatch({"sms": sms, "email": email}, max_attempts=3, retry_base_seconds=1))
    handle(notify, envelope("dossier_received", received(email="busy@example.vn")))
    for _ in range(5):
        notify.clock.advance(10)
        sweep(notify)
    [m] = notify.messages()
    assert (m.status, m.attempts) == ("permanent-failure", 3) and len(email.sent) == 3
    assert m.last_error == "gave up after 3 attempts: temporary for b***@example.vn"
    assert [kind for kind, _ in notify.outcomes()] == ["notification_failed"]


def test_a_fault_of_ours_is_a_technical_failure():
    sms, email = providers()
    email.script("hoa@example.vn", [RuntimeError("template server down")])
    notify = Notify(FakeDispatch({"sms": sms, "email": email}))
    handle(notify, envelope("dossier_received", received(email="hoa@example.vn")))
    [m] = notify.messages()
    assert (m.status, m.last_error) == ("technical-failure", "RuntimeError: template server down")
    sms.script("0912345678", [Outcome("technical", "SMS gateway 401: bad key")])
    handle(notify, envelope("dossier_received", received("0912345678"), code="X-2"))
    [m] = notify.messages("X-2")
    assert (m.status, m.attempts) == ("technical-failure", 1)
    assert [kind for kind, _ in notify.outcomes("X-2")] == ["notification_failed"]


def test_a_delivery_receipt_completes_an_accepted_sms():
    sms, email = providers(sms_default="accepted")
    notify = Notify(FakeDispatch({"sms": sms, "email": email}))
    handle(notify, envelope("dossier_received", received("0912345678")))
    [m] = notify.messages()
    assert m.status == "sending" and m.sent_at == notify.clock() and m.provider_ref == "gw-1"
    assert notify.outcomes() == []
    notify.clock.advance(5)
    with notify.work() as work:
        message, changed = application.apply_receipt(work, {"id": "gw-1", "status": "delivered"}, notify.clock())
    assert changed and message is m and (m.status, m.delivered_at) == ("delivered", notify.clock())
    assert [kind for kind, _ in notify.outcomes()] == ["notification_sent"]
    with notify.work() as work:  # a late, contradicting receipt changes nothing
        _, changed = application.apply_receipt(work, {"reference": m.id, "status": "failed"}, notify.clock())
    assert not changed and m.status == "delivered" and len(notify.outcomes()) == 1


def test_a_receipt_of_failure_is_final_and_an_unknown_one_is_404():
    sms, email = providers(sms_default="accepted")
    notify = Notify(FakeDispatch({"sms": sms, "email": email}))
    handle(notify, envelope("dossier_received", received("0912345678")))
    [m] = notify.messages()
    with notify.work() as work:
        application.apply_receipt(
            work, {"id": m.provider_ref, "status": "failed", "reason": "thuê bao không liên lạc được"}, notify.clock()
        )
    assert (m.status, m.last_error) == ("permanent-failure", "receipt: thuê bao không liên lạc được")
    [(kind, data)] = notify.outcomes()
    assert kind == "notification_failed" and data["reason"] == "receipt: thuê bao không liên lạc được"
    notify.clock.advance(3600)
    sweep(notify)
    assert len(sms.sent) == 1  # never sent again
    with pytest.raises(UnknownMessage) as refused, notify.work() as work:
        application.apply_receipt(work, {"reference": str(uuid.uuid4()), "status": "delivered"}, notify.clock())
    assert http_error(refused.value) == (404, "unknown_message", "Không có tin nhắn này", {})


def test_a_receipt_before_the_providers_answer_keeps_its_verdict():
    sms, email = providers()
    notify = Notify(FakeDispatch({"sms": sms, "email": email}))
    with notify.work() as work:
        pending = application.tell_citizen(
            work, notify.dispatch, envelope("dossier_received", received("0912345678")), notify.clock()
        )
    [m] = notify.messages()
    with notify.work() as work:
        application.apply_receipt(work, {"reference": m.id, "status": "delivered"}, notify.clock())
    sms.script("0912345678", [Outcome("accepted", provider_ref="gw-9")])
    application.send_pending(notify.work, notify.dispatch, [pending], notify.clock)
    assert (m.status, m.provider_ref) == ("delivered", "gw-9")
    assert [kind for kind, _ in notify.outcomes()] == ["notification_sent"]


def test_a_restart_mid_send_resends_only_where_the_provider_drops_duplicates():
    sms, email = providers()
    notify = Notify(FakeDispatch({"sms": sms, "email": email}, sending_timeout_seconds=60))
    with notify.work() as work:  # the handler committed `sending`, then the process died
        application.tell_citizen(
            work,
            notify.dispatch,
            envelope("dossier_received", received("0912345678", "hoa@example.vn")),
            notify.clock(),
        )
    [email_message] = [m for m in notify.messages() if m.channel == "email"]
    with notify.work() as work:  # the e-mail's own claim committed too, before the SMTP call
        application.start(work, notify.dispatch, work.messages.get(email_message.id), notify.clock())
    assert notify.statuses() == [("email", "sending"), ("sms", "sending")]
    notify.clock.advance(30)
    sweep(notify)
    assert notify.statuses() == [("email", "sending"), ("sms", "sending")]  # not yet given up
    notify.clock.advance(31)
    sweep(notify)
    sms_message = next(m for m in notify.messages() if m.channel == "sms")
    assert (sms_message.status, sms_message.attempts) == ("delivered", 2)
    assert (email_message.status, email_message.attempts) == ("technical-failure", 1)
    assert "not sent again" in email_message.last_error and email.sent == []
    assert sorted(kind for kind, _ in notify.outcomes()) == ["notification_failed", "notification_sent"]


def test_a_message_left_created_by_a_crash_is_swept_up_after_the_grace():
    sms, email = providers()
    notify = Notify(FakeDispatch({"sms": sms, "email": email}, created_grace_seconds=5))
    with notify.work() as work:  # the handler committed; the process died before the SMTP claim
        application.tell_citizen(
            work, notify.dispatch, envelope("dossier_received", received(email="a@b.vn")), notify.clock()
        )
    notify.clock.advance(4)
    sweep(notify)
    assert notify.statuses() == [("email", "created")]  # the handler may still be sending it
    notify.clock.advance(1)
    sweep(notify)
    assert notify.statuses() == [("email", "delivered")] and len(email.sent) == 1


def test_quiet_hours_hold_sms_until_morning_but_not_email():
    quiet = {"sms": (time(21, 0), time(7, 0)), "email": None}
    notify = Notify(FakeDispatch(quiet_hours=quiet), now=datetime(2026, 11, 26, 22, 30, tzinfo=TZ))
    handle(notify, envelope("dossier_received", received("0912345678", "hoa@example.vn")))
    email_message, sms_message = notify.messages()
    assert email_message.status == "delivered"
    assert (sms_message.status, sms_message.attempts) == ("created", 0)
    assert sms_message.next_attempt_at == datetime(2026, 11, 27, 7, 0, tzinfo=TZ)
    notify.clock.now = datetime(2026, 11, 27, 6, 59, tzinfo=TZ)
    sweep(notify)
    assert sms_message.status == "created"
    notify.clock.now = datetime(2026, 11, 27, 7, 0, 1, tzinfo=TZ)
    sweep(notify)
    assert (sms_message.status, sms_message.attempts) == ("delivered", 1)
    assert [d[1] for d in notify.store.deliveries] == ["email", "sms"]


def test_an_event_before_reception_waits_for_the_contacts():
    notify = Notify()
    ready = envelope("result_ready", SAMPLES["result_ready"])
    with pytest.raises(RecipientNotKnownYet) as waiting:
        handle(notify, ready)
    assert http_error(waiting.value)[0] == 503 and notify.messages() == [] and notify.outcomes() == []
    handle(notify, envelope("dossier_received", received("0912345678")))
    handle(notify, ready)  # its retry, once the contacts are known
    assert {m.event_type for m in notify.messages()} == {"dossier_received", "result_ready"}


def test_a_refusal_before_reception_uses_its_own_contacts():
    notify = Notify()
    handle(
        notify,
        envelope(
            "dossier_refused",
            {
                "reason": "Hồ sơ không thuộc thẩm quyền",
                "contacts": {"phone": "0987654321", "full_name": "Trần Văn B"},
                "notify": {"sms": True},
            },
            code="TOLD",
        ),
    )
    handle(notify, envelope("dossier_refused", {"reason": "Thiếu tờ khai"}, code="SILENT"))
    [m] = notify.messages("TOLD")
    assert m.status == "delivered"
    assert m.body == "TOLD: Ho so khong duoc tiep nhan. Ly do: Ho so khong thuoc tham quyen."
    assert notify.messages("SILENT") == [] and "SILENT" not in notify.store.recipients


def test_only_chosen_channels_with_a_contact_and_configured_are_used():
    sms, _ = providers()
    notify = Notify(FakeDispatch({"sms": sms}))  # e-mail not configured
    handle(notify, envelope("dossier_received", received("0912345678", "hoa@example.vn"), code="A"))
    assert notify.statuses("A") == [("sms", "delivered")]
    data = received("0912345678", "hoa@example.vn")
    data["notify"] = {"sms": False, "email": True}  # SMS not chosen
    handle(notify, envelope("dossier_received", data, code="B"))
    assert notify.messages("B") == [] and notify.store.recipients["B"].addresses == {"email": "hoa@example.vn"}


def test_a_postal_return_is_not_told_twice():
    notify = Notify()
    handle(notify, envelope("dossier_received", received("0912345678")))
    handle(notify, envelope("shipment_delivered", SAMPLES["shipment_delivered"]))
    handle(notify, envelope("dossier_returned", {**SAMPLES["dossier_returned"], "where": "postal"}))
    assert [m.event_type for m in notify.messages()] == ["dossier_received", "shipment_delivered"]


def test_sms_keep_diacritics_when_configured():
    notify = Notify(FakeDispatch(sms_without_diacritics=False))
    handle(notify, envelope("dossier_received", received("0912345678")))
    [m] = notify.messages()
    assert 'Hồ sơ "Chứng thực bản sao" đã được tiếp nhận' in m.body and m.encoding == "ucs2"
