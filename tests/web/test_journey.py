"""One dossier from the counter's form to the citizen's lookup, only through the
screens: the counter receives it and prints Form 01, the department takes it and
approves, the counter hands the result back, and the citizen's phone shows it returned."""

import random
import re

from tests.helpers import wait_for
from tests.system import AGENCY, dossier, work_through
from tests.web.conftest import PHONE_SCREEN, check_accessible

EXTRACT = "2.000635"  # Cấp bản sao trích lục hộ tịch: one step, at TUPHAP
PRIVATE_PHONE, PRIVATE_ADDRESS = "0987654321", "27 Điện Biên Phủ, Hồng Bàng, Hải Phòng"


def test_one_dossier_from_the_counter_form_to_the_citizen_seeing_it_returned(system, web_url, signed_in, new_page):
    id_number = "031" + "".join(random.choice("0123456789") for _ in range(9))
    name = "Đỗ Thị " + random.choice(["Hằng", "Mai", "Thu", "Yến"]) + " " + str(random.randint(100, 999))
    work_through(system, "TUPHAP")  # "take the next one" must give this dossier

    counter = signed_in("quay.test")
    counter.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("trích lục")
    counter.get_by_role("button", name="Tìm thủ tục").click()
    counter.wait_for_url(re.compile(r".*/quay\?q="))  # the results replaced the page: a click before is lost
    counter.get_by_role("link", name="Nhận hồ sơ Cấp bản sao trích lục hộ tịch").click()
    counter.wait_for_url(f"{web_url}/quay/nop/{EXTRACT}")
    counter.get_by_label("Họ và tên").fill(name)
    counter.get_by_label("Số CCCD (12 chữ số)").fill(id_number)
    counter.get_by_label("Số điện thoại", exact=True).fill(PRIVATE_PHONE)
    counter.get_by_label("Địa chỉ liên hệ").fill(PRIVATE_ADDRESS)
    counter.get_by_label("Tin nhắn SMS (cần số điện thoại)").check()
    counter.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    counter.wait_for_url(re.compile(rf"{re.escape(web_url)}/quay/ho-so/{re.escape(AGENCY)}-\d{{6}}-\d{{4}}$"))
    code = counter.url.rsplit("/", 1)[1]
    with counter.context.expect_page() as opened:
        counter.get_by_role("link", name="In giấy tiếp nhận và hẹn trả kết quả (Mẫu 01)").click()
    receipt = opened.value
    receipt.wait_for_load_state()
    assert code in receipt.content() and receipt.locator("svg").count() >= 1  # Form 01 with its QR code
    receipt.close()

    officer = signed_in("tuphap.test")

    def in_the_queue():
        officer.reload()
        return officer.get_by_role("link", name=code).count() == 1

    wait_for(in_the_queue, timeout=30, message=f"{code} in TUPHAP's queue on screen")
    officer.get_by_role("button", name="Nhận hồ sơ tiếp theo").click()
    officer.wait_for_url(f"{web_url}/phong/TUPHAP/ho-so/{code}")
    officer.get_by_text("Đồng ý, chuyển bước tiếp theo", exact=True).click()
    officer.get_by_label("Ý kiến (không bắt buộc)").fill("Đủ điều kiện cấp bản sao")
    officer.get_by_role("button", name="Duyệt hồ sơ").click()
    officer.wait_for_url(f"{web_url}/phong/TUPHAP")
    assert f"Đã duyệt hồ sơ {code}" in officer.locator(".flash").inner_text()

    wait_for(lambda: dossier(system, code)["status"] == "result_ready", timeout=30, message="result ready")
    counter.goto(f"/quay/ho-so/{code}")
    counter.get_by_role("button", name="Xác nhận đã trả kết quả").click()
    counter.wait_for_url(f"{web_url}/quay/ho-so/{code}")
    assert f"Đã trả kết quả hồ sơ {code}" in counter.locator(".flash").inner_text()

    citizen = new_page(PHONE_SCREEN)
    citizen.goto("/tra-cuu")
    citizen.get_by_label("Mã hồ sơ hoặc số đăng ký trực tuyến").fill(code)
    citizen.get_by_label("Loại giấy tờ đã khai khi nộp").select_option("id_number")
    citizen.get_by_label("Số giấy tờ").fill(id_number)
    citizen.get_by_role("button", name="Tra cứu").click()
    citizen.wait_for_load_state()
    assert "Đã trả kết quả" in citizen.get_by_role("status").inner_text()
    steps = citizen.locator("ol.steps").inner_text()
    assert "tiếp nhận hồ sơ" in steps and "Đã trả kết quả" in steps.splitlines()[-3:]
    page = citizen.content()
    for private in (id_number, PRIVATE_PHONE, PRIVATE_ADDRESS, name):
        assert private not in page, private
    check_accessible(citizen, "tra-cuu-da-tra")
