"""The fees' screens in the browser: a procedure whose fees are due before processing,
a dossier of it waiting for the payment; the counter records a cash payment and prints
its receipt, and the dossier is then received; the citizen's lookup shows what is owed
and the online button takes the browser to the payment gateway (the simulator) and
back; the counter exempts an applicant from the lệ phí; the administrator refunds a
paid order once."""

import random
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.helpers import wait_for
from tests.system import ADMIN, AGENCY, COUNTER, dossier_body, submit
from tests.web.conftest import PHONE_SCREEN, check_accessible

ID_NUMBER = dossier_body()["applicant"]["id_number"]
CITIZEN_ADDRESS = "203.0.113.91"  # the lookups of this file count against an address of their own


@pytest.fixture(scope="module")
def gateway(system):
    """The payment gateway simulator of the installation, paying whatever it is asked."""
    if "payment-gateway-sim" not in system.processes:
        system.start("payment-gateway-sim")
        system.wait_healthy(["payment-gateway-sim"])
    url = f"http://127.0.0.1:{system.gateway_port}"
    answer = requests.post(f"{url}/control/mode", json={"mode": "success"}, timeout=5)
    assert answer.status_code == 200, answer.text
    return url


def imported(system, fees, exemptions=()):
    """A procedure offered online with this fee schedule, imported; its code."""
    code = f"9.{random.randint(100000, 999999)}"
    body = {
        "code": code,
        "name": f"Thủ tục có lệ phí {code}",
        "field": "Thử nghiệm",
        "online_service": "partial",
        "agency_code": AGENCY,
        "duration_days": 3,
        "route": [{"department": "TCKH", "days": 3}],
        "fees": fees,
        "fee_exemptions": list(exemptions),
        "documents": ["Đơn đề nghị"],
        "return_methods": ["counter"],
        "supplement_clock": "restart",
        "cutoff": "23:59",
        "effective_from": "2026-01-01",
        "effective_to": None,
        "legal_basis": "thử",
    }
    answer = requests.post(
        system.url("intake", "/api/procedures/import"), json={"procedures": [body]}, headers=ADMIN, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return code


@pytest.fixture(scope="module")
def procedure(system):
    """A procedure offered online whose 75.000 đồng are due before processing."""
    return imported(
        system,
        [
            {"name": "Lệ phí", "amount": 50000, "kind": "le_phi", "when": "before_processing"},
            {"name": "Phí thẩm định", "amount": 25000, "kind": "phi", "when": "before_processing"},
        ],
    )


@pytest.fixture(scope="module")
def exempt_procedure(system):
    """Only a lệ phí due before processing, which the poor are exempted from."""
    fees = [{"name": "Lệ phí", "amount": 50000, "kind": "le_phi", "when": "before_processing"}]
    return imported(system, fees, [{"code": "ho_ngheo", "name": "Hộ nghèo"}])


def waiting_dossier(system, procedure):
    """A dossier received at the counter, awaiting its payment, once payments knows the obligation."""
    code = submit(system, dossier_body(procedure=procedure, documents=[{"name": "Đơn đề nghị", "copies": 1}]))
    assert status_of(system, code) == "awaiting_payment"
    wait_for(
        lambda: (
            requests.get(
                system.url("payments", "/api/payments"), params={"dossier_code": code}, headers=COUNTER, timeout=5
            ).status_code
            == 200
        ),
        timeout=20,
        message=f"the obligation of {code} at payments",
    )
    return code


def received(system, code):
    """Received once paid (and perhaps already taken up by its department)."""
    return status_of(system, code) in ("received", "in_progress")


def status_of(system, code):
    return requests.get(system.url("intake", f"/api/dossiers/{code}"), headers=COUNTER, timeout=10).json()["status"]


def test_the_counter_records_a_cash_payment_prints_its_receipt_and_the_dossier_is_received(
    system, procedure, signed_in
):
    code = waiting_dossier(system, procedure)
    page = signed_in("quay.test")
    page.goto(f"/quay/ho-so/{code}")
    fees = page.locator("section.fees")
    assert "Chờ thực hiện nghĩa vụ tài chính" in page.locator("h1").inner_text()
    assert "75.000 đồng" in fees.inner_text() and "Chưa nộp" in fees.inner_text()
    assert "trước khi giải quyết hồ sơ" in fees.inner_text()
    check_accessible(page, "quay-ho-so-phi")

    receipt_number = f"BL-{random.randint(100000, 999999)}"
    page.get_by_label("Số tiền (đồng)").fill("70.000")  # not what is owed: payments refuses it
    page.get_by_label("Số biên lai").fill(receipt_number)
    page.get_by_role("button", name="Ghi nhận thanh toán").click()
    page.wait_for_load_state()
    assert page.locator("#pay-amount").get_attribute("aria-invalid") == "true"
    assert page.locator("#pay-amount-loi").inner_text().strip()
    assert page.get_by_label("Số biên lai").input_value() == receipt_number  # kept for the second try

    page.get_by_label("Hình thức").select_option(label="Tiền mặt")
    page.get_by_label("Số tiền (đồng)").fill("75.000")
    page.get_by_role("button", name="Ghi nhận thanh toán").click()
    page.wait_for_load_state()
    assert f"biên lai số {receipt_number}" in page.locator(".flash").inner_text()
    assert "Đã nộp" in fees.inner_text() and "Tiền mặt" in fees.inner_text()

    href = page.get_by_role("link", name=re.compile("In biên lai")).get_attribute("href")
    page.goto(href)
    sheet = page.locator(".receipt-sheet").inner_text()
    for expected in (receipt_number, code, "Nguyễn Thị Hoa", "Lệ phí", "Phí thẩm định", "75.000", "Tiền mặt"):
        assert expected in sheet, expected
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()
    page.emulate_media(media="screen")
    check_accessible(page, "bien-lai")

    wait_for(lambda: received(system, code), timeout=15, message=f"{code} received once paid")
    page.goto(f"/quay/ho-so/{code}")
    assert "Chờ thực hiện nghĩa vụ tài chính" not in page.locator("h1").inner_text()


def test_the_citizen_pays_online_from_the_lookup_page(system, procedure, gateway, new_page):
    code = waiting_dossier(system, procedure)
    page = new_page(PHONE_SCREEN)
    page.set_extra_http_headers({"X-Forwarded-For": CITIZEN_ADDRESS})
    page.goto("/tra-cuu")
    page.get_by_label("Mã hồ sơ hoặc số đăng ký trực tuyến").fill(code)
    page.locator("#identifier").fill(ID_NUMBER)
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_load_state()
    due = page.locator("section.fee-due").inner_text()
    assert "75.000 đồng" in due and "trước khi giải quyết hồ sơ" in due
    assert re.search(r"\d\d/\d\d/\d{4}", due)
    check_accessible(page, "tra-cuu-phi")

    page.locator("#pay-identifier").fill(ID_NUMBER)
    page.get_by_role("button", name="Thanh toán trực tuyến").click()
    page.wait_for_url(re.compile(re.escape(gateway) + r"/pay\?"))
    assert "75.000" in page.locator(".amount").inner_text()

    page.get_by_role("button", name="Thanh toán", exact=True).click()
    page.wait_for_url(re.compile(r"/thanh-toan/ket-qua"))
    assert page.get_by_role("heading", level=1).inner_text() == "Đã nhận thanh toán"  # the gateway's verdict
    assert page.get_by_role("link", name="Tra cứu hồ sơ").last.get_attribute("href") == f"/tra-cuu?code={code}"
    check_accessible(page, "thanh-toan-ket-qua")
    wait_for(lambda: received(system, code), timeout=15, message=f"{code} received once paid online")


def test_the_admin_sees_the_days_payments_and_downloads_them(system, procedure, signed_in):
    code = waiting_dossier(system, procedure)
    receipt_number = f"BL-{random.randint(100000, 999999)}"
    paid = requests.post(
        system.url("payments", "/api/payments/counter"),
        json={
            "dossier_code": code,
            "stage": "before_processing",
            "method": "card",
            "amount": 75000,
            "receipt_number": receipt_number,
        },
        headers=COUNTER,
        timeout=10,
    )
    assert paid.status_code == 201, paid.text
    page = signed_in("quantri.test")
    page.get_by_role("link", name="Thanh toán trong ngày").click()
    expect(page.locator("h1")).to_have_text("Thanh toán trong ngày")
    amounts = [
        int(cell.replace(".", "")) for cell in page.locator("table.payments-day tbody td.amount").all_inner_texts()
    ]
    total = int(page.locator("table.payments-day tfoot td.amount").inner_text().replace(".", ""))
    assert total == sum(amounts)
    row = page.locator("table.payments-day tbody tr", has_text=receipt_number)
    assert code in row.inner_text() and "Thẻ" in row.inner_text() and "75.000" in row.inner_text()
    check_accessible(page, "quan-tri-thanh-toan")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Tải CSV")).click()
    assert download.value.suggested_filename.endswith(".csv")
    page.goto("/quan-tri/thanh-toan?date=2026-02-30")
    assert page.locator("#date").get_attribute("aria-invalid") == "true"


def test_the_counter_exempts_the_applicant_from_the_le_phi_with_a_reason(system, exempt_procedure, signed_in):
    page = signed_in("quay.test")
    page.goto(f"/quay/nop/{exempt_procedure}")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Hoa")
    page.get_by_label("Số CCCD (12 chữ số)").fill(ID_NUMBER)
    page.get_by_label("Đối tượng được miễn").select_option(label="Hộ nghèo")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_load_state()
    assert page.locator("#fee_exemption-reason").get_attribute("aria-invalid") == "true"  # no reason: not sent
    assert "Nhập lý do" in page.locator("#fee_exemption-reason-loi").inner_text()
    check_accessible(page, "quay-nop-mien-le-phi")

    page.get_by_label("Lý do / giấy tờ chứng minh").fill("Sổ hộ nghèo số 12/2026")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(re.compile(r"/quay/ho-so/"))
    code = page.url.rsplit("/", 1)[-1]
    assert received(system, code)  # nothing owed after the exemption: received at once, not awaiting payment
    fees = page.locator("section.fees").inner_text()
    assert "Miễn lệ phí: Hộ nghèo" in fees and "Sổ hộ nghèo số 12/2026" in fees
    assert "0 đồng (miễn 50.000 đồng)" in fees


def test_the_admin_refunds_a_paid_order_once(system, procedure, signed_in):
    code = waiting_dossier(system, procedure)
    receipt_number = f"BL-{random.randint(100000, 999999)}"
    body = {"dossier_code": code, "stage": "before_processing", "method": "cash", "amount": 75000}
    paid = requests.post(
        system.url("payments", "/api/payments/counter"),
        json={**body, "receipt_number": receipt_number},
        headers=COUNTER,
        timeout=10,
    )
    assert paid.status_code == 201, paid.text
    page, stale = signed_in("quantri.test"), signed_in("quantri.test")
    for each in (page, stale):
        each.goto("/quan-tri/thanh-toan")
    row = page.locator("table.payments-day tbody tr", has_text=receipt_number)
    row.get_by_role("button", name="Hoàn tiền").click()
    page.wait_for_load_state()
    assert "Nhập lý do hoàn tiền" in row.inner_text()  # required: nothing asked of payments

    row.get_by_label(re.compile("Lý do hoàn tiền")).fill("Nộp nhầm hồ sơ")
    row.get_by_role("button", name="Hoàn tiền").click()
    expect(page.locator(".flash")).to_contain_text(f"Đã hoàn tiền giao dịch {receipt_number}")
    assert "Đã hoàn tiền" in row.inner_text()
    expect(row.get_by_role("button", name="Hoàn tiền")).to_have_count(0)
    check_accessible(page, "quan-tri-hoan-tien")

    old_row = stale.locator("table.payments-day tbody tr", has_text=receipt_number)  # a page opened before
    old_row.get_by_label(re.compile("Lý do hoàn tiền")).fill("Lần nữa")
    old_row.get_by_role("button", name="Hoàn tiền").click()
    # payments' refusal on the day's page, not an error page; the order no longer offers a refund
    expect(stale.locator(".problem")).to_contain_text("đã được hoàn tiền")
    assert stale.locator("h1").inner_text() == "Thanh toán trong ngày"
    expect(old_row.get_by_role("button", name="Hoàn tiền")).to_have_count(0)
