"""Validation a counter officer finds helpful: each error names its field, in words."""

import pytest

from services.intake.schemas import Submission
from shared.http import ApiError, load
from shared.rate_limit import RateLimiter
from tests.unit.intake.test_reception import body


def errors(data):
    with pytest.raises(ApiError) as refused:
        load(Submission(), data)
    assert refused.value.status == 400 and refused.value.code == "invalid_input"
    return refused.value.fields


def applicant(**fields):
    return body(applicant={**body()["applicant"], **fields})


@pytest.mark.parametrize(
    "id_number,message",
    [
        ("03109000432", "12 chữ số"),
        ("0310900043210", "12 chữ số"),
        ("03109000432a", "12 chữ số"),
        ("003090004321", "mã tỉnh nơi đăng ký khai sinh 003"),
        ("099090004321", "mã tỉnh nơi đăng ký khai sinh 099"),
    ],
)
def test_citizen_id_needs_12_digits_and_a_real_province(id_number, message):
    assert message in errors(applicant(id_number=id_number))["applicant"]["id_number"][0]


@pytest.mark.parametrize("phone", ["0912345678", "+84912345678", "84 912 345 678", "0387654321"])
def test_vietnamese_phone_numbers_with_or_without_84(phone):
    assert load(Submission(), applicant(phone=phone))["applicant"]["phone"] == phone


@pytest.mark.parametrize("phone", ["12345", "0212345678", "+8491234567", "091234567890", "+1 415 555 0100"])
def test_other_phone_numbers_are_refused(phone):
    assert "định dạng Việt Nam" in errors(applicant(phone=phone))["applicant"]["phone"][0]


def test_every_problem_is_listed_with_its_field_at_once():
    data = body(
        procedure="1776",
        channel="fax",
        return_method="postal",
        delivery_address=" ",
        notify={"sms": True, "email": True},
        extra="?",
        applicant={
            "full_name": "A",
            "id_number": "031090004321",
            "phone": None,
            "email": "khong-phai-email",
            "address": "x" * 501,
            "nickname": "b",
        },
        documents=[{"name": "", "copies": 0}],
    )
    fields = errors(data)
    assert fields["procedure_code"] == ["Mã thủ tục có dạng 1.001776"]
    assert fields["channel"] == ["Kênh nộp phải là counter, online hoặc postal"]
    assert fields["extra"] == ["Trường này không có trong mẫu; hãy bỏ đi"]
    assert set(fields["applicant"]) == {"full_name", "email", "address", "nickname"}
    assert set(fields["documents"]["0"]) == {"name", "copies"}


def test_postal_return_needs_an_address_and_notifications_need_contacts():
    data = body(
        return_method="postal",
        delivery_address=None,
        notify={"sms": True, "email": True},
        applicant={**body()["applicant"], "phone": None, "email": None},
    )
    fields = errors(data)
    assert fields["delivery_address"] == ["Cần địa chỉ nhận kết quả khi trả qua bưu chính"]
    assert fields["notify"] == ["Cần số điện thoại để nhận tin nhắn SMS", "Cần email để nhận thông báo qua email"]


def test_rate_limiter_allows_a_burst_then_refills():
    limiter = RateLimiter(3, per=60)
    assert [limiter.allow("a", now=0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", now=0)  # per client
    assert not limiter.allow("a", now=10) and limiter.allow("a", now=20)  # one token per 20 s
