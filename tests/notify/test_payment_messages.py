"""notify tells the citizen what to pay (payment_requested): the amount in đồng, how to
pay (the counter, or online at the lookup page), by when; the contacts come with the
request, and the dossier_received that follows the payment is told too."""

from datetime import date, datetime

from services.notify import application
from shared import clock, events
from tests.notify.samples import SAMPLES
from tests.unit.notify.fakes import Notify

CODE = "000.00.06.H56-261126-0001"
CONTACTS = {"full_name": "Nguyễn Thị Hoa", "phone": "0912345678", "email": "hoa@example.vn"}


def requested(online=True, stage="before_processing", amount=75000):
    return {
        "stage": stage,
        "amount": amount,
        "items": [{"name": "Lệ phí cấp giấy phép xây dựng", "amount": amount, "kind": "le_phi"}],
        "pay_by": date(2026, 12, 11),
        "agency_code": "000.00.06.H56",
        "procedure_code": "1.001776",
        "procedure_name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "online": online,
        "contacts": CONTACTS,
        "notify": {"sms": True, "email": True},
    }


def handle(notify, event_type, data):
    env = events.load(events.envelope(event_type, CODE, data, source="intake"))
    with notify.work() as work:
        pending = application.tell_citizen(work, notify.dispatch, env, notify.clock())
    if pending is not None:
        application.send_pending(notify.work, notify.dispatch, [pending], notify.clock)


def bodies(notify, event_type):
    return {m.channel: m.body for m in notify.messages(CODE) if m.event_type == event_type}


def test_a_payment_request_says_the_amount_how_to_pay_and_by_when():
    notify = Notify()
    handle(notify, "payment_requested", requested(online=True))
    sent = bodies(notify, "payment_requested")
    assert set(sent) == {"sms", "email"}
    email, sms = sent["email"], sent["sms"]
    assert "75.000 đồng" in email and "11/12/2026" in email and "Bộ phận Một cửa" in email
    assert "/tra-cuu" in email and "thanh toán trực tuyến" in email
    assert "nghĩa vụ tài chính" in email  # the processing time counts from the payment
    # the SMS is short, without diacritics by default
    assert sms.startswith(CODE) and "75.000 dong" in sms and "11/12/2026" in sms and "/tra-cuu" in sms
    assert len(sms) <= 320
    addresses = {m.channel: m.address for m in notify.messages(CODE)}
    assert addresses == {"sms": "0912345678", "email": "hoa@example.vn"}


def test_a_procedure_not_offered_online_is_paid_at_the_counter_only():
    notify = Notify()
    handle(notify, "payment_requested", requested(online=False, amount=1250000))
    sent = bodies(notify, "payment_requested")
    assert "1.250.000 đồng" in sent["email"] and "/tra-cuu" not in sent["email"]
    assert "truc tuyen" not in sent["sms"] and "Bo phan Mot cua" in sent["sms"]


def test_the_reception_announced_after_the_payment_is_told_too():
    notify = Notify()
    handle(notify, "payment_requested", requested())
    received = {
        **SAMPLES["dossier_received"],
        "received_at": datetime(2026, 11, 26, 8, tzinfo=clock.TZ),
        "due_at": datetime(2026, 12, 3, 16, tzinfo=clock.TZ),
    }
    handle(notify, "dossier_received", received)
    sent = bodies(notify, "dossier_received")
    assert set(sent) == {"sms", "email"} and "03/12/2026" in sent["email"]
    assert len(notify.messages(CODE)) == 4


def test_the_request_before_return_asks_for_payment_before_the_result():
    notify = Notify()
    handle(notify, "payment_requested", requested(stage="before_return", amount=150000))
    sent = bodies(notify, "payment_requested")
    assert "150.000 đồng" in sent["email"] and "trước khi nhận kết quả" in sent["email"]
    assert "truoc khi nhan ket qua" in sent["sms"]
