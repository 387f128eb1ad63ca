"""The fees' pages' framework-free helpers: the counter's payment form, payments'
refusals beside its fields, the obligations with their paying order, the gateway's
outcome and origin, amounts in đồng."""

from services.web import words
from services.web.backends import ApiProblem
from services.web.pages import payments


def test_amounts_read_as_people_write_them_and_say_dong():
    assert payments.whole_dong("75.000") == 75000
    assert payments.whole_dong(" 1 250 000 ") == 1250000
    assert payments.whole_dong("75,000") == 75000
    assert payments.whole_dong("75.5k") is None
    assert payments.whole_dong("") is None
    assert payments.whole_dong("-5") is None
    assert words.dong(75000) == "75.000 đồng"
    assert words.dong(None) == ""


def test_the_counter_form_becomes_payments_body_or_says_what_is_wrong_beside_each_field():
    form = {"pay.stage": "before_processing", "pay.method": "cash", "pay.amount": "75.000", "pay.receipt_number": " 7 "}
    body, errors = payments.counter_payment(form, "X-1")
    assert errors == {}
    assert body == {
        "dossier_code": "X-1",
        "stage": "before_processing",
        "method": "cash",
        "amount": 75000,
        "receipt_number": "7",
    }
    _, errors = payments.counter_payment({"pay.method": "cheque", "pay.amount": "abc"}, "X-1")
    assert set(errors) == {"pay.method", "pay.amount", "pay.receipt_number"}


def test_payments_refusals_are_placed_beside_the_forms_fields():
    named = ApiProblem(422, "invalid_input", "Dữ liệu không hợp lệ", {"amount": ["Từ 1 đến 10 đồng"]})
    assert payments.payment_errors(named) == {"pay.amount": ["Từ 1 đến 10 đồng"]}
    mismatch = ApiProblem(422, "amount_mismatch", "Số tiền phải là 75.000 đồng")
    assert payments.payment_errors(mismatch) == {"pay.amount": ["Số tiền phải là 75.000 đồng"]}
    used = ApiProblem(409, "receipt_number_used", "Số biên lai đã dùng")
    assert payments.payment_errors(used) == {"pay.receipt_number": ["Số biên lai đã dùng"]}
    assert payments.payment_errors(ApiProblem(409, "already_paid", "Đã nộp")) == {}


def test_each_obligation_comes_with_the_order_that_paid_it():
    answer = {
        "obligations": [
            {"stage": "before_processing", "amount": 75000, "paid_by_order": "MC1"},
            {"stage": "before_return", "amount": 20000, "paid_by_order": None},
        ],
        "orders": [{"id": "MC0", "status": "failed"}, {"id": "MC1", "status": "paid"}],
    }
    rows = payments.fee_rows(answer)
    assert [r["order"]["id"] if r["order"] else None for r in rows] == ["MC1", None]


def test_the_gateways_answer_and_where_it_sends_the_citizen_back():
    assert payments.outcome({"response_code": "00"}) == "paid"
    assert payments.outcome({"response_code": "24"}) == "failed"
    assert payments.outcome({}) is None
    assert payments.return_url("https://motcua.example.vn/", "A B") == (
        "https://motcua.example.vn/thanh-toan/ket-qua?ma=A+B"
    )
    assert payments.origin("http://127.0.0.1:8011/pay") == "http://127.0.0.1:8011"
    assert payments.origin("javascript:alert(1)") is None
