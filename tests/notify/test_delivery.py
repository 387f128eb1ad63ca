"""notify end to end in one process: every citizen event on SMS (HTTP gateway) and
e-mail (SMTP), retries, failures, receipts, exactly once, quiet hours, rate limit,
templates, and the staff listing."""

import json
import shutil
import time
import uuid
from datetime import timedelta

import requests
import sqlalchemy as sa

from services.notify.adapters.orm import messages
from services.notify.adapters.templates import DEFAULT_TEMPLATES
from services.notify.domain import sms_text
from shared import auth, clock
from shared.signing import sign
from tests.helpers import wait_for
from tests.notify.conftest import messages_of, outcomes_of, wait_messages
from tests.notify.samples import SAMPLES, received


def new_code():
    return f"000.00.06.H56-261126-{uuid.uuid4().hex[:6]}"


def new_phone():
    return "09" + str(uuid.uuid4().int)[:8]


def sms_to(gateway, phone):
    return [s for s in gateway.sent if s["to"] == phone]


def requests_to(gateway, phone):
    return [key for to, key in gateway.requests if to == phone]


def all_delivered(count):
    return lambda rows: len(rows) == count and all(r["status"] == "delivered" for r in rows)


def test_every_citizen_event_reaches_sms_and_email(start_notify, publish, engine, gateway, smtp):
    start_notify()
    code, phone, email = new_code(), new_phone(), f"{uuid.uuid4().hex[:8]}@example.vn"
    publish("dossier_received", code, received(phone, email))
    wait_messages(engine, code, all_delivered(2), "the reception messages")
    for event_type, data in SAMPLES.items():
        if event_type != "dossier_received":
            publish(event_type, code, data)

    rows = wait_messages(engine, code, all_delivered(2 * len(SAMPLES)), "every message delivered", timeout=30)
    assert {(r["event_type"], r["channel"]) for r in rows} == {(e, c) for e in SAMPLES for c in ("sms", "email")}

    texts = sms_to(gateway, phone)
    assert len(texts) == len(SAMPLES)
    for sms in texts:
        assert sms["text"].startswith(code) and sms["from"] == "UBND-HP"
        assert sms_text.encoding(sms["text"]) == "gsm7"  # no diacritics: readable on a basic phone
    assert any("Can bo sung: Ban sao CCCD" in s["text"] for s in texts)
    for row in rows:
        if row["channel"] == "sms":
            assert (row["encoding"], row["segments"]) == sms_text.segments(row["body"])
            assert row["provider_ref"].startswith("gw-")
        assert row["template"] == f"{row['event_type']}.{row['channel']}.j2" and len(row["template_version"]) == 12
        assert row["attempts"] == 1

    mails = smtp.received(email)
    assert len(mails) == len(SAMPLES)
    subjects = {m["subject"] for m in mails}
    assert f"Hồ sơ {code} đã được tiếp nhận" in subjects
    assert f"Thư xin lỗi: hồ sơ {code} có ngày hẹn mới" in subjects
    apology = next(m for m in mails if m["subject"].startswith("Thư xin lỗi"))
    assert "Ngày hẹn trả kết quả mới: 16:00 01/12/2026." in apology["body"]
    assert all(m["from"] == "motcua@haiphong.gov.vn" and code in m["body"] for m in mails)
    assert {m["message_id"] for m in mails} == {f"<{r['id']}@haiphong.gov.vn>" for r in rows if r["channel"] == "email"}

    sent = wait_for(
        lambda: (
            [d for t, d in outcomes_of(engine, code) if t == "notification_sent"]
            if len(outcomes_of(engine, code)) == 2 * len(SAMPLES)
            else None
        ),
        message="a notification_sent event per message",
    )
    assert {(d["channel"], d["template"]) for d in sent} == {(r["channel"], r["template"]) for r in rows}


def test_a_redelivered_event_sends_nothing_twice(start_notify, publish, engine, gateway, smtp):
    start_notify()
    code, phone, email = new_code(), new_phone(), f"{uuid.uuid4().hex[:8]}@example.vn"
    env = publish("dossier_received", code, received(phone, email))
    publish(env=env)
    publish(env=env)
    wait_messages(engine, code, all_delivered(2), "two messages")
    publish(env=env)  # once more after delivery
    ready = publish("result_ready", code, SAMPLES["result_ready"])
    wait_messages(engine, code, all_delivered(4), "the result messages")
    publish(env=ready)
    wait_for(lambda: len(smtp.received(email)) == 2, message="two e-mails")
    assert len(messages_of(engine, code)) == 4
    assert len(sms_to(gateway, phone)) == 2 and len(requests_to(gateway, phone)) == 2
    assert len(smtp.received(email)) == 2


def test_temporary_failures_are_retried_and_permanent_ones_are_not(start_notify, publish, engine, gateway, smtp):
    start_notify()
    retried, refused = new_phone(), new_phone()
    gateway.script(retried, ["temporary", "temporary", "delivered"])
    gateway.script(refused, ["permanent"])
    codes = {"retried": new_code(), "refused": new_code(), "busy": new_code(), "nobody": new_code()}
    publish("dossier_received", codes["retried"], received(retried))
    publish("dossier_received", codes["refused"], received(refused))
    publish("dossier_received", codes["busy"], received(email=f"busy-{uuid.uuid4().hex[:6]}@example.vn"))
    publish("dossier_received", codes["nobody"], received(email=f"nobody-{uuid.uuid4().hex[:6]}@example.vn"))

    [ok] = wait_messages(engine, codes["retried"], all_delivered(1), "delivered on the third try")
    assert ok["attempts"] == 3 and len(sms_to(gateway, retried)) == 1
    [busy] = wait_messages(
        engine, codes["busy"], lambda r: r and r[0]["status"] == "permanent-failure", "the busy mailbox given up"
    )
    assert busy["attempts"] == 3 and busy["last_error"].startswith("gave up after 3 attempts: SMTP 450")
    [nobody] = messages_of(engine, codes["nobody"])
    assert nobody["status"] == "permanent-failure" and nobody["attempts"] == 1 and "SMTP 550" in nobody["last_error"]
    [bad] = messages_of(engine, codes["refused"])
    assert bad["status"] == "permanent-failure" and bad["attempts"] == 1
    assert "invalid destination number" in bad["last_error"]
    # while the busy mailbox was retried, the refused number was never tried again
    assert len(requests_to(gateway, refused)) == 1 and sms_to(gateway, refused) == []

    [(kind, data)] = outcomes_of(engine, codes["refused"])
    assert kind == "notification_failed" and data["channel"] == "sms" and "invalid" in data["reason"]
    assert [k for k, _ in outcomes_of(engine, codes["retried"])] == ["notification_sent"]


def test_a_slow_gateway_times_out_and_the_resend_is_not_a_second_sms(start_notify, publish, engine, gateway):
    start_notify(SMS_TIMEOUT_SECONDS=0.5)
    code, phone = new_code(), new_phone()
    gateway.script(phone, ["slow"])
    publish("dossier_received", code, received(phone))
    [row] = wait_messages(engine, code, all_delivered(1), "delivered after the slow answer")
    assert row["attempts"] >= 2
    assert len(requests_to(gateway, phone)) >= 2 and len(set(requests_to(gateway, phone))) == 1  # one key
    assert len(sms_to(gateway, phone)) == 1


def test_a_delivery_receipt_completes_an_accepted_sms(start_notify, publish, engine, gateway):
    notify = start_notify()
    code, phone = new_code(), new_phone()
    gateway.script(phone, ["accepted"])
    publish("dossier_received", code, received(phone))
    [row] = wait_messages(engine, code, all_delivered(1), "delivered by receipt")
    assert row["provider_ref"] == sms_to(gateway, phone)[0]["id"] and row["delivered_at"] is not None
    assert [k for k, _ in outcomes_of(engine, code)] == ["notification_sent"]

    url = f"http://127.0.0.1:{notify.port}/api/sms/receipts"

    def post(body, secret="receipt-secret"):
        raw = json.dumps({"timestamp": int(time.time()), **body}).encode()
        return requests.post(url, data=raw, headers={"X-Signature": sign(secret, raw)}, timeout=10)

    again = post({"id": row["provider_ref"], "status": "failed", "reason": "late"})
    assert again.status_code == 200 and again.json() == {
        "message_id": row["id"],
        "status": "delivered",
        "changed": False,
    }
    assert post({"reference": row["id"], "status": "delivered"}, secret="wrong").status_code == 401
    unknown = post({"reference": str(uuid.uuid4()), "status": "delivered"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_message"
    bad = post({"reference": row["id"], "status": "read"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
    assert messages_of(engine, code)[0]["status"] == "delivered"

    # a gateway that reports the SMS undeliverable: sending -> permanent-failure, no resend
    lost, unreachable = new_code(), new_phone()
    gateway.script(unreachable, ["accepted"])
    gateway.receipt_url = None  # this time the test plays the gateway's receipt
    publish("dossier_received", lost, received(unreachable))
    [waiting] = wait_messages(engine, lost, lambda r: r and r[0]["sent_at"] is not None, "accepted by the gateway")
    assert waiting["status"] == "sending"
    failed = post({"id": waiting["provider_ref"], "status": "failed", "reason": "thuê bao không liên lạc được"})
    assert failed.json() == {"message_id": waiting["id"], "status": "permanent-failure", "changed": True}
    [(kind, data)] = outcomes_of(engine, lost)
    assert kind == "notification_failed" and data["reason"] == "receipt: thuê bao không liên lạc được"
    assert len(requests_to(gateway, unreachable)) == 1


def test_a_restart_mid_send_does_not_send_twice(start_notify, publish, engine, gateway):
    first = start_notify(SENDING_TIMEOUT_SECONDS=1)
    code, phone = new_code(), new_phone()
    gateway.script(phone, ["slow"])
    publish("dossier_received", code, received(phone))
    wait_for(lambda: requests_to(gateway, phone), message="the send in flight")
    first.kill()  # the process dies while the gateway is still sending
    wait_for(lambda: sms_to(gateway, phone), message="the gateway sent it anyway")
    [cut] = messages_of(engine, code)
    assert cut["status"] == "sending" and cut["provider_ref"] is None

    start_notify(SENDING_TIMEOUT_SECONDS=1)
    [row] = wait_messages(engine, code, all_delivered(1), "the interrupted send completed")
    assert row["attempts"] == 2 and len(requests_to(gateway, phone)) == 2
    assert len(sms_to(gateway, phone)) == 1  # the gateway dropped the repeat: one SMS on the phone


def insert_message(engine, code, channel, address, **values):
    """A message row as a crash would leave it (the handler's transaction committed)."""
    message_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            sa.insert(messages).values(
                id=message_id,
                dossier_code=code,
                event_id=str(uuid.uuid4()),
                event_type="result_ready",
                channel=channel,
                address=address,
                template=f"result_ready.{channel}.j2",
                body=f"{code}: Da co ket qua.",
                **{"attempts": 0, **values},
            )
        )
    return message_id


def test_a_message_left_created_by_a_crash_is_swept_up(start_notify, engine, gateway):
    start_notify()
    code, phone = new_code(), new_phone()
    insert_message(engine, code, "sms", phone, status="created", created_at=clock.now() - timedelta(seconds=10))
    [row] = wait_messages(engine, code, all_delivered(1), "the sweeper to send it")
    assert row["attempts"] == 1 and [s["text"] for s in sms_to(gateway, phone)] == [f"{code}: Da co ket qua."]


def test_an_interrupted_email_is_not_sent_again(start_notify, publish, engine, smtp):
    start_notify(SENDING_TIMEOUT_SECONDS=1)
    code, email = new_code(), f"{uuid.uuid4().hex[:8]}@example.vn"
    # as a process killed during the SMTP conversation leaves it
    insert_message(
        engine,
        code,
        "email",
        email,
        status="sending",
        attempts=1,
        created_at=clock.now(),
        sending_at=clock.now() - timedelta(seconds=5),
    )
    [row] = wait_messages(engine, code, lambda r: r[0]["status"] == "technical-failure", "marked for a person")
    assert "not sent again" in row["last_error"] and row["attempts"] == 1
    assert smtp.received(email) == []
    assert [k for k, _ in outcomes_of(engine, code)] == ["notification_failed"]


def test_the_rate_limit_spaces_sms_to_the_provider(start_notify, publish, engine, gateway):
    start_notify(SMS_RATE_PER_SECOND=5)
    phone = new_phone()
    codes = [new_code() for _ in range(15)]
    for code in codes:
        publish("dossier_received", code, received(phone))
    wait_for(lambda: len(sms_to(gateway, phone)) == 15, timeout=30, message="15 SMS")
    times = sorted(s["at"] for s in sms_to(gateway, phone))
    assert times[-1] - times[0] >= 1.9  # 5 at once, then 5 a second: at least 2 s for the other 10


def test_a_template_edit_takes_effect_without_a_restart(start_notify, publish, engine, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, templates)
    start_notify(TEMPLATES_DIR=str(templates), SMS_WITHOUT_DIACRITICS=False)
    before, after = new_code(), new_code()
    publish("dossier_received", before, received(new_phone()))
    [old] = wait_messages(engine, before, all_delivered(1), "sent with the packaged wording")
    assert 'Hồ sơ "Chứng thực bản sao" đã được tiếp nhận' in old["body"] and old["encoding"] == "ucs2"

    (templates / "dossier_received.sms.j2").write_text("{{ code }}: Đã nhận hồ sơ, hẹn {{ due_at }}.", encoding="utf-8")
    publish("dossier_received", after, received(new_phone()))
    [new] = wait_messages(engine, after, all_delivered(1), "sent with the edited wording")
    assert new["body"] == f"{after}: Đã nhận hồ sơ, hẹn 16:00 27/11/2026."
    assert new["template_version"] != old["template_version"] and new["segments"] == 1


def test_an_event_before_reception_waits_for_the_contacts(start_notify, publish, engine, gateway):
    start_notify()
    code, phone = new_code(), new_phone()
    publish("result_ready", code, SAMPLES["result_ready"])
    publish("dossier_received", code, received(phone))
    rows = wait_messages(engine, code, all_delivered(2), "both messages once the contacts are known")
    assert {r["event_type"] for r in rows} == {"dossier_received", "result_ready"}


def test_staff_list_a_dossiers_messages(start_notify, publish, engine):
    notify = start_notify()
    code = new_code()
    publish("dossier_received", code, received("0912345678", "hoa@example.vn"))
    wait_messages(engine, code, all_delivered(2), "two messages")
    url = f"http://127.0.0.1:{notify.port}/api/notifications"
    counter = {"Authorization": "Bearer " + auth.issue("counter", agency="000.00.06.H56")}
    assert requests.get(url, params={"dossier_code": code}, timeout=10).status_code == 401
    portal = {"Authorization": "Bearer " + auth.issue("portal")}
    assert requests.get(url, params={"dossier_code": code}, headers=portal, timeout=10).status_code == 403
    missing = requests.get(url, headers=counter, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"]["fields"] == {"dossier_code": ["Bắt buộc"]}

    listing = requests.get(url, params={"dossier_code": code}, headers=counter, timeout=10).json()
    by_channel = {m["channel"]: m for m in listing["notifications"]}
    assert by_channel["sms"]["to"] == "091*****78" and by_channel["email"]["to"] == "h**@example.vn"
    assert "0912345678" not in json.dumps(listing) and "hoa@example.vn" not in json.dumps(listing)
    for m in by_channel.values():
        assert m["status"] == "delivered" and m["attempts"] == 1 and len(m["template_version"]) == 12
        assert m["created_at"].endswith("+07:00") and m["delivered_at"]
    assert by_channel["sms"]["segments"] == 1 and by_channel["email"]["segments"] is None


def test_email_over_starttls_with_a_login(start_notify, publish, engine, secure_smtp):
    secure = {
        "SMTP_PORT": secure_smtp.port,
        "SMTP_STARTTLS": True,
        "SMTP_CA_FILE": str(secure_smtp.cert),
        "SMTP_USER": "motcua",
    }
    start_notify(**secure, SMTP_PASSWORD="mat-khau-1")
    code, email = new_code(), f"{uuid.uuid4().hex[:8]}@example.vn"
    publish("dossier_received", code, received(email=email))
    wait_messages(engine, code, all_delivered(1), "the e-mail over TLS")
    [mail] = secure_smtp.received(email)
    assert mail["subject"] == f"Hồ sơ {code} đã được tiếp nhận"


def test_a_wrong_smtp_password_is_a_technical_failure(start_notify, publish, engine, secure_smtp):
    start_notify(
        SMTP_PORT=secure_smtp.port,
        SMTP_STARTTLS=True,
        SMTP_CA_FILE=str(secure_smtp.cert),
        SMTP_USER="motcua",
        SMTP_PASSWORD="sai",
    )
    code, email = new_code(), f"{uuid.uuid4().hex[:8]}@example.vn"
    publish("dossier_received", code, received(email=email))
    [row] = wait_messages(engine, code, lambda r: r and r[0]["status"] == "technical-failure", "our login refused")
    assert row["attempts"] == 1 and row["last_error"].startswith("SMTP login refused: 535")
    assert secure_smtp.received(email) == []


def test_the_local_channels_deliver_each_message_once_in_its_own_transaction(start_notify, publish, engine):
    start_notify(SMS_BACKEND="local", EMAIL_BACKEND="local")
    code, phone, email = new_code(), new_phone(), f"{uuid.uuid4().hex[:8]}@example.vn"
    env = publish("dossier_received", code, received(phone, email))
    publish("result_ready", code, SAMPLES["result_ready"])
    rows = wait_messages(engine, code, all_delivered(4), "four messages delivered locally")
    publish(env=env)  # a redelivery changes nothing
    with engine.connect() as conn:
        deliveries = conn.execute(
            sa.text("SELECT message_id, channel, address FROM local_deliveries WHERE message_id = ANY(:ids)"),
            {"ids": [r["id"] for r in rows]},
        ).all()
    assert sorted((d.channel, d.address) for d in deliveries) == sorted([("sms", phone), ("email", email)] * 2)
    assert all(r["attempts"] == 1 for r in rows)
