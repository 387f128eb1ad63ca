"""A department's screens (/phong/{department}) as officers use them: the queue,
taking the next dossier, the dossier page, the decisions, the apology with its new
date (Form 04), the control slip (Form 05) and another department's pages refused.

Each test first empties the queues it uses (a machine officer approves what waits)
so that "take the next one" gives the dossier the test made."""

import re
from datetime import datetime, timedelta

import requests

from tests.helpers import wait_for
from tests.system import dossier, dossier_body, officer, submit, work_through
from tests.web.conftest import PHONE_SCREEN, Staff, check_accessible, screenshot

BUILDING = "1.001776"  # route QLDT (12 days) -> LANHDAO (3 days)
EXTRACT = "2.000635"  # route TUPHAP (1 day): due within one working day from the start


def queue(system, department):
    answer = requests.get(
        system.url("processing", f"/api/departments/{department}/queue"), headers=officer(department), timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def new_dossier(system, procedure, department, *empty):
    """A dossier received at the counter, once it waits in `department`'s queue (the
    queues named in `empty` emptied first)."""
    for name in empty or (department,):
        work_through(system, name)
    code = submit(system, dossier_body(procedure))
    wait_for(
        lambda: code in [i["dossier_code"] for i in queue(system, department)],
        timeout=30,
        message=f"{code} in {department}'s queue",
    )
    return code


def take_next(page, web_url, department, code):
    page.goto(f"/phong/{department}")
    page.get_by_role("button", name="Nhận hồ sơ tiếp theo").click()
    page.wait_for_url(f"{web_url}/phong/{department}/ho-so/{code}")
    assert f"Bạn đã nhận hồ sơ {code}" in page.locator(".flash").inner_text()


def test_an_officer_takes_the_next_dossier_and_approves_then_the_next_department(system, web_url, signed_in):
    code = new_dossier(system, BUILDING, "QLDT", "QLDT", "LANHDAO")
    page = signed_in("qldt.test")
    assert page.url == f"{web_url}/phong/QLDT"
    row = page.locator("table.queue:not(.mine) tbody tr", has=page.get_by_role("link", name=code))
    assert row.count() == 1 and "Chờ nhận" in row.inner_text() and "Trong hạn" in row.inner_text()
    assert "1 đang chờ nhận" in page.locator("ul.counts").inner_text()
    assert "1 ngày làm việc" in page.locator(".legend").inner_text()
    check_accessible(page, "phong-hang-doi")
    screenshot(page, "phong-hang-doi")

    take_next(page, web_url, "QLDT", code)
    assert page.locator("h1").inner_text() == f"Hồ sơ {code}"
    facts = page.locator("dl.facts").inner_text()
    assert "Cấp giấy phép xây dựng nhà ở riêng lẻ" in facts and "Nguyễn Thị Hoa" in facts
    assert "Hạn trả kết quả" in facts and "Bước 1: hạn" in facts and "bạn đang giữ" in facts
    assert "Tờ khai" in page.get_by_role("table", name="Thành phần hồ sơ").inner_text()
    assert "Đã tiếp nhận" in page.get_by_role("table", name="Các lần chuyển trạng thái của hồ sơ").inner_text()
    steps = page.get_by_role("table", name="Các bước của hồ sơ tại các phòng ban").inner_text()
    assert "QLDT" in steps and "qldt.test" in steps
    check_accessible(page, "phong-ho-so")
    screenshot(page, "phong-ho-so")

    # back in the queue, the dossier is among those I hold
    page.goto("/phong/QLDT")
    assert page.locator("table.mine").get_by_role("link", name=code).count() == 1
    assert "1 bạn đang giữ" in page.locator("ul.counts").inner_text()
    page.locator("table.mine").get_by_role("link", name=code).click()
    page.wait_for_url(f"{web_url}/phong/QLDT/ho-so/{code}")

    page.get_by_text("Đồng ý, chuyển bước tiếp theo", exact=True).click()
    page.get_by_label("Ý kiến (không bắt buộc)").fill("Hồ sơ đủ điều kiện")
    page.get_by_role("button", name="Duyệt hồ sơ").click()
    page.wait_for_url(f"{web_url}/phong/QLDT")
    assert f"Đã duyệt hồ sơ {code}" in page.locator(".flash").inner_text()
    assert page.get_by_role("link", name=code).count() == 0

    leader = signed_in("lanhdao.test")
    assert leader.get_by_role("link", name=code).count() == 1
    take_next(leader, web_url, "LANHDAO", code)
    steps = leader.get_by_role("table", name="Các bước của hồ sơ tại các phòng ban").inner_text()
    assert "Hồ sơ đủ điều kiện" in steps and "Đồng ý, chuyển bước tiếp theo" in steps
    leader.get_by_text("Đồng ý, chuyển bước tiếp theo", exact=True).click()
    leader.get_by_role("button", name="Duyệt hồ sơ").click()
    leader.wait_for_url(f"{web_url}/phong/LANHDAO")
    wait_for(lambda: dossier(system, code)["status"] == "result_ready", timeout=30, message="result ready")


def test_a_supplement_request_names_the_item_without_a_reason_then_goes_out(system, web_url, signed_in):
    code = new_dossier(system, EXTRACT, "TUPHAP")
    page = signed_in("tuphap.test")
    row = page.locator("table.queue:not(.mine) tbody tr", has=page.get_by_role("link", name=code))
    assert "due-soon" in row.get_attribute("class").split() and "Sắp đến hạn" in row.inner_text()
    assert "1 sắp đến hạn" in page.locator("ul.counts").inner_text()

    take_next(page, web_url, "TUPHAP", code)
    page.get_by_text("Yêu cầu bổ sung giấy tờ", exact=True).click()
    page.get_by_role("button", name="Thêm một dòng").click()
    assert page.get_by_role("group", name="Giấy tờ 4").count() == 1
    first, second = page.get_by_role("group", name="Giấy tờ 1"), page.get_by_role("group", name="Giấy tờ 2")
    first.get_by_label("Tên giấy tờ").fill("Bản sao giấy khai sinh")
    first.get_by_label("Lý do cần bổ sung").fill("Bản sao chưa chứng thực")
    second.get_by_label("Tên giấy tờ").fill("Giấy ủy quyền")
    page.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
    page.wait_for_load_state()

    assert page.get_by_role("alert").count() >= 1
    reason = second.get_by_label("Lý do cần bổ sung")
    assert reason.get_attribute("aria-invalid") == "true"
    assert "Cần nêu lý do" in page.locator("#items-1-reason-loi").inner_text()
    assert second.get_by_label("Tên giấy tờ").input_value() == "Giấy ủy quyền"  # what was typed stays
    assert first.get_by_label("Lý do cần bổ sung").input_value() == "Bản sao chưa chứng thực"
    assert dossier(system, code)["status"] == "in_progress"  # nothing went out
    check_accessible(page, "phong-ho-so-loi")

    reason.fill("Người nộp thay chưa có giấy ủy quyền")
    page.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
    page.wait_for_url(f"{web_url}/phong/TUPHAP")
    assert f"Đã gửi yêu cầu bổ sung hồ sơ {code}" in page.locator(".flash").inner_text()
    wait_for(
        lambda: dossier(system, code)["status"] == "supplement_requested", timeout=30, message="supplement requested"
    )


def test_a_transfer_picks_a_department_and_needs_a_reason(system, web_url, signed_in):
    code = new_dossier(system, BUILDING, "QLDT")
    page = signed_in("qldt.test")
    take_next(page, web_url, "QLDT", code)
    page.get_by_text("Chuyển liên thông sang phòng ban khác", exact=True).click()
    choices = page.get_by_label("Phòng ban nhận hồ sơ").locator("option").all_inner_texts()
    assert {"LANHDAO", "TUPHAP", "TCKH"} <= set(choices) and "QLDT" not in choices
    page.get_by_label("Phòng ban nhận hồ sơ").select_option("TCKH")
    page.get_by_role("button", name="Chuyển hồ sơ").click()
    page.wait_for_load_state()
    assert "Cần nêu lý do chuyển" in page.locator("#transfer_reason-loi").inner_text()
    assert page.get_by_label("Phòng ban nhận hồ sơ").input_value() == "TCKH"

    page.get_by_label("Lý do chuyển").fill("Cần ý kiến về đăng ký kinh doanh")
    page.get_by_role("button", name="Chuyển hồ sơ").click()
    page.wait_for_url(f"{web_url}/phong/QLDT")
    assert f"Đã chuyển liên thông hồ sơ {code} sang TCKH" in page.locator(".flash").inner_text()
    assert code in [i["dossier_code"] for i in queue(system, "TCKH")]


def test_a_rejection_needs_its_reason(system, web_url, signed_in):
    code = new_dossier(system, EXTRACT, "TUPHAP")
    page = signed_in("tuphap.test")
    take_next(page, web_url, "TUPHAP", code)
    page.get_by_text("Từ chối giải quyết", exact=True).click()
    page.get_by_role("button", name="Từ chối hồ sơ").click()
    page.wait_for_load_state()
    assert "Cần nêu lý do từ chối" in page.locator("#reject_reason-loi").inner_text()
    page.get_by_label("Lý do từ chối (gửi cho người nộp)").fill("Người yêu cầu không có quyền trích lục")
    page.get_by_role("button", name="Từ chối hồ sơ").click()
    page.wait_for_url(f"{web_url}/phong/TUPHAP")
    wait_for(lambda: dossier(system, code)["status"] == "rejected", timeout=30, message="rejected")

    # the same form sent again (a double click) answers as done; another decision on it is refused
    [task] = requests.get(
        system.url("processing", f"/api/dossiers/{code}/tasks"), headers=officer("TUPHAP"), timeout=10
    ).json()["tasks"]
    staff = Staff(web_url)
    assert staff.sign_in("tuphap.test").status_code == 303
    form = {"csrf_token": staff.csrf("/phong/TUPHAP"), "task_id": task["task_id"]}
    url = f"{web_url}/phong/TUPHAP/ho-so/{code}/quyet-dinh"
    again = staff.http.post(url, data={**form, "action": "reject", "reject_reason": "lần hai"}, allow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"] == "/phong/TUPHAP"
    other = staff.http.post(url, data={**form, "action": "approve"}, allow_redirects=False)
    assert other.status_code == 409 and "không do bạn giữ" in other.text and 'role="alert"' in other.text


def test_the_apology_with_a_new_date_prints_form_04_and_the_control_slip_prints(system, web_url, signed_in):
    code = new_dossier(system, BUILDING, "QLDT")
    due = datetime.fromisoformat(dossier(system, code)["due_at"])
    page = signed_in("qldt.test")
    take_next(page, web_url, "QLDT", code)
    page.get_by_text("Lập phiếu xin lỗi và hẹn lại (Mẫu 04)", exact=True).click()

    # a date before the current one: processing refuses, the message is beside the date
    page.get_by_label("Ngày hẹn trả kết quả mới").fill((due - timedelta(days=2)).date().isoformat())
    page.get_by_label("Lý do chậm trễ (ghi trong phiếu gửi người nộp)").fill("Chờ kết quả đo đạc địa chính")
    page.get_by_role("button", name="Lập phiếu hẹn lại").click()
    page.wait_for_load_state()
    assert "phải sau" in page.locator("#new_date-loi").inner_text()
    assert page.get_by_role("alert").count() >= 1

    new_day = (due + timedelta(days=7)).date()
    page.get_by_label("Ngày hẹn trả kết quả mới").fill(new_day.isoformat())
    page.get_by_role("button", name="Lập phiếu hẹn lại").click()
    page.wait_for_url(f"{web_url}/phong/QLDT/ho-so/{code}")
    assert "Đã lập phiếu xin lỗi và hẹn lại" in page.locator(".flash").inner_text()
    assert f"17:00 {new_day:%d/%m/%Y}" in page.locator("dl.facts").inner_text()

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="In phiếu xin lỗi và hẹn lại (Mẫu 04)").click()
    form_04 = opened.value
    form_04.wait_for_load_state()
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in form_04.content()
    assert "Chờ kết quả đo đạc địa chính" in form_04.content() and f"ngày {new_day:%d/%m/%Y}" in form_04.content()

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05)").click()
    slip = opened.value
    slip.wait_for_load_state()
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in slip.content() and code in slip.content()
    assert "Bộ phận Một cửa" in slip.content()
    # the apology is made once: its form is gone
    assert page.get_by_role("button", name="Lập phiếu hẹn lại").count() == 0


def test_another_departments_pages_are_refused(system, web_url, signed_in):
    page = signed_in("tuphap.test")
    answer = page.goto("/phong/QLDT")
    assert answer.status == 403
    assert page.locator("h1").inner_text() == "Không được phép"
    assert "phòng TUPHAP" in page.get_by_role("alert").inner_text()
    for path in ("/phong/QLDT/ho-so/000.00.06.H56-261126-0001", "/phong/QLDT/ho-so/x/mau-05"):
        assert page.goto(path).status == 403

    # a form posted to another department's queue takes nothing from it
    work_through(system, "QLDT")
    code = submit(system, dossier_body(BUILDING))
    wait_for(lambda: code in [i["dossier_code"] for i in queue(system, "QLDT")], timeout=30, message="queued")
    staff = Staff(web_url)
    assert staff.sign_in("tuphap.test").status_code == 303
    token = staff.csrf("/phong/TUPHAP")
    refused = staff.http.post(
        web_url + "/phong/QLDT/nhan-ho-so", data={"csrf_token": token}, allow_redirects=False, timeout=10
    )
    assert refused.status_code == 403
    assert [i["status"] for i in queue(system, "QLDT") if i["dossier_code"] == code] == ["waiting"]
    # and a counter officer is not an officer
    counter = signed_in("quay.test")
    assert counter.goto("/phong/QLDT").status == 403


def test_an_empty_queue_says_so_and_the_queue_reads_on_a_phone(system, web_url, signed_in):
    work_through(system, "LANHDAO")
    page = signed_in("lanhdao.test", viewport=PHONE_SCREEN)
    assert "Hàng đợi trống" in page.get_by_role("status").last.inner_text()
    page.get_by_role("button", name="Nhận hồ sơ tiếp theo").click()
    page.wait_for_url(f"{web_url}/phong/LANHDAO")
    assert "Không có hồ sơ nào đang chờ nhận" in page.locator(".flash").inner_text()
    check_accessible(page, "phong-hang-doi-dien-thoai")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_SCREEN["width"], f"the page scrolls sideways on a phone ({width}px)"
    assert re.search(r"0\s+quá hạn", page.locator("ul.counts").inner_text())
