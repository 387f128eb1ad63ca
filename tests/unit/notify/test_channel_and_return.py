"""What the citizen is told about where to act, with the real templates (issue 13):
the supplement by the dossier's channel, the way a refusal notice comes back, the
shipment of a rejection, and messages about a submission known by its reference."""

import pytest

from services.notify.domain import sms_text
from services.notify.domain.model import Recipient
from tests.notify.samples import SAMPLES, received
from tests.unit.notify.fakes import Notify
from tests.unit.notify.test_application import CODE, envelope, handle

REFERENCE = "TN-261126-KQXBRTMA"  # an online submission's reference, before reception
PORTAL = "Cổng Dịch vụ công"
COUNTER = "Bộ phận Một cửa"


def bodies(notify, event_type, code=CODE):
    """{channel: body} of the messages the event made."""
    return {m.channel: m.body for m in notify.messages(code) if m.event_type == event_type}


def told(notify, event_type, data, code=CODE):
    handle(notify, envelope(event_type, data, code))
    return bodies(notify, event_type, code)


def a_dossier(channel):
    notify = Notify()
    handle(notify, envelope("dossier_received", received("0912345678", "hoa@example.vn", channel=channel)))
    return notify


def test_an_online_dossier_is_supplemented_on_the_portal():
    """Decree 61/2018/NĐ-CP Art. 17 (an online dossier is handled online) and Art. 19
    (the supplement request): the SMS and the e-mail send an online applicant to the
    public service portal, not to the counter."""
    notify = a_dossier("online")
    sent = told(notify, "supplement_requested", SAMPLES["supplement_requested"])
    assert "nop bo sung truc tuyen tren Cong Dich vu cong" in sent["sms"] and "Mot cua" not in sent["sms"]
    assert PORTAL in sent["email"] and f"tại {COUNTER}" not in sent["email"]
    assert "- Bản sao CCCD: mờ" in sent["email"]
    assert sent["sms"].startswith(CODE) and sms_text.segments(sent["sms"])[1] <= 2


@pytest.mark.parametrize("channel", ["counter", "postal"])
def test_a_counter_or_postal_dossier_is_supplemented_at_the_counter(channel):
    """Decree 61/2018/NĐ-CP Art. 19: a paper dossier (handed in at the counter or
    collected by post) is supplemented at the one-stop counter."""
    notify = a_dossier(channel)
    sent = told(notify, "supplement_requested", SAMPLES["supplement_requested"])
    assert "Moi Ong/Ba nop tai Bo phan Mot cua" in sent["sms"] and "Cong Dich vu cong" not in sent["sms"]
    assert f"nộp giấy tờ bổ sung tại {COUNTER}" in sent["email"] and PORTAL not in sent["email"]


def test_the_channel_is_learnt_from_dossier_received_and_kept_with_the_contacts():
    notify = a_dossier("online")
    recipient = notify.store.recipients[CODE]
    assert recipient.channel == "online" and recipient.addresses == {"sms": "0912345678", "email": "hoa@example.vn"}


def test_a_recipient_known_before_the_channel_was_kept_is_sent_to_the_counter():
    notify = Notify()
    notify.store.recipients[CODE] = Recipient(CODE, {"sms": "0912345678"}, "c-1", full_name="Nguyễn Thị Hoa")
    sent = told(notify, "supplement_requested", SAMPLES["supplement_requested"])
    assert "Bo phan Mot cua" in sent["sms"]


def test_a_rejection_returned_by_post_says_the_notice_comes_by_post():
    """Decree 61/2018/NĐ-CP Art. 19-20: the refusal notice and the papers go back
    through the return step; by post when that was the chosen return method."""
    notify = a_dossier("counter")
    sent = told(notify, "dossier_rejected", {"reason": "Không thuộc thẩm quyền", "return_method": "postal"})
    assert "Ly do: Khong thuoc tham quyen" in sent["sms"] and "gui tra qua buu chinh" in sent["sms"]
    assert "Mot cua" not in sent["sms"] and sms_text.segments(sent["sms"])[1] <= 2
    assert "gửi trả qua bưu chính" in sent["email"] and f"đến {COUNTER}" not in sent["email"]


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "Không thuộc thẩm quyền", "return_method": "counter"},
        {"reason": "Không thuộc thẩm quyền"},  # an event from before the return method was sent
    ],
)
def test_a_rejection_collected_at_the_counter_says_so(data):
    """Decree 61/2018/NĐ-CP Art. 19-20: collected at the counter, the refusal notice
    with the papers (older events without a return method mean the counter)."""
    notify = a_dossier("counter")
    sent = told(notify, "dossier_rejected", data)
    assert "Moi Ong/Ba den Bo phan Mot cua nhan thong bao tu choi" in sent["sms"] and "buu chinh" not in sent["sms"]
    assert f"đến {COUNTER} để nhận văn bản thông báo từ chối" in sent["email"]


def test_the_shipment_of_a_rejection_is_named_as_such():
    """Decree 61/2018/NĐ-CP Art. 19-20: the citizen is told that the refusal notice,
    not a result, is on its way, delivered, or back at the counter."""
    notify = a_dossier("postal")
    created = told(notify, "shipment_created", {**SAMPLES["shipment_created"], "purpose": "rejection"})
    assert "Thong bao tu choi va ho so da gui qua buu chinh" in created["sms"]
    assert created["email"].startswith(f"Thông báo từ chối và hồ sơ {CODE} đã được gửi qua bưu chính")
    returned = told(notify, "shipment_returned", {**SAMPLES["shipment_returned"], "purpose": "rejection"})
    assert "khong phat duoc thong bao tu choi" in returned["sms"] and "ket qua" not in returned["sms"].lower()
    delivered = told(notify, "shipment_delivered", {**SAMPLES["shipment_delivered"], "purpose": "rejection"})
    assert "da phat thong bao tu choi" in delivered["sms"]


def test_a_result_shipment_still_speaks_of_the_result():
    notify = a_dossier("postal")
    created = told(notify, "shipment_created", SAMPLES["shipment_created"])  # no purpose: an older event
    assert "Ket qua da gui qua buu chinh" in created["sms"]


def test_a_rejection_handed_back_at_the_counter_is_not_called_a_result():
    notify = a_dossier("counter")
    sent = told(notify, "dossier_returned", {**SAMPLES["dossier_returned"], "outcome": "rejected"})
    assert "Thong bao tu choi va ho so da duoc tra tai Bo phan Mot cua" in sent["sms"]
    assert "Kết quả" not in sent["email"]


def test_a_submission_refused_before_reception_is_told_by_its_reference():
    """Circular 01/2018/TT-VPCP Art. 19 (the code is given at reception): a refused
    online submission never had a code, so its message names its reference."""
    notify = Notify()
    data = {**SAMPLES["dossier_refused"], "contacts": received("0912345678")["contacts"], "notify": {"sms": True}}
    sent = told(notify, "dossier_refused", data, code=REFERENCE)
    assert sent["sms"].startswith(f"{REFERENCE}: Ho so khong duoc tiep nhan. Ly do: Thieu to khai")
    assert notify.store.recipients[REFERENCE].dossier_code == REFERENCE


def test_an_accepted_submission_is_told_its_code_with_its_reference():
    """Circular 01/2018/TT-VPCP Art. 19: the code given at acceptance; the message ties
    it to the reference the applicant knew."""
    notify = Notify()
    data = received("0912345678", "hoa@example.vn", channel="online", reference=REFERENCE)
    handle(notify, envelope("dossier_received", data))
    sent = bodies(notify, "dossier_received")
    assert sent["sms"].startswith(CODE) and f"(so {REFERENCE})" in sent["sms"]
    assert sms_text.segments(sent["sms"])[1] <= 2
    assert f"với số {REFERENCE} nay có mã hồ sơ {CODE}" in sent["email"]
