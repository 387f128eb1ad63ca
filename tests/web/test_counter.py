"""The counter's screens (/quay) as a one-stop officer uses them: finding a procedure,
the reception form (a wrong field first, then the dossier and its printable Form 01),
the online dossiers waiting for acceptance (accepted, refused with Form 03, or
answered with Form 02), a supplement and the result handed back, and finding a
dossier by code, name or ID number."""

import random
import re
import uuid

import requests

from tests.helpers import wait_for
from tests.system import AGENCY, COUNTER, dossier, dossier_body, officer, submit, token
from tests.web.conftest import PHONE_SCREEN, check_accessible, screenshot

EXTRACT = "2.000635"  # Cấp bản sao trích lục hộ tịch: counter or postal return; TUPHAP
BUSINESS = "1.000105"  # Đăng ký thành lập hộ kinh doanh: counter return; TCKH (no other test's department)
PORTAL = token("portal", sub="dichvucong")
LETTERS = "abcdeghiklmnopqrstuvxy"


def unique_word():
    return "".join(random.choice(LETTERS) for _ in range(8)).capitalize()


def id_number():
    return "031" + "".join(random.choice("0123456789") for _ in range(9))


def listed(system, **params):
    answer = requests.get(system.url("intake", "/api/dossiers"), params=params, headers=COUNTER, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["dossiers"]


def online(system, full_name, procedure=EXTRACT):
    applicant = {**dossier_body()["applicant"], "full_name": full_name, "id_number": id_number()}
    answer = requests.post(
        system.url("intake", "/api/dossiers"),
        json=dossier_body(procedure, channel="online", applicant=applicant),
        headers=PORTAL,
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["reference"]


def flash(page):
    return page.locator(".flash").inner_text()


def printed(page, link_name):
    """The printable form a link opens in a new tab: its HTML."""
    with page.context.expect_page() as opened:
        page.get_by_role("link", name=link_name).click()
    form = opened.value
    form.wait_for_load_state()
    html = form.content()
    form.close()
    return html


def test_the_counter_finds_a_procedure_and_sees_what_waits(system, web_url, signed_in):
    word = unique_word()
    reference = online(system, f"Trần Thị {word}")
    page = signed_in("quay.test")
    assert page.url == f"{web_url}/quay"
    assert page.locator("h1").inner_text() == "Quầy một cửa"
    waiting = page.locator("#ds-cho-tiep-nhan")
    assert waiting.get_by_role("link", name=reference).count() == 1
    assert f"Trần Thị {word}" in waiting.inner_text() and "Trực tuyến" in waiting.inner_text()
    assert "Hồ sơ hôm nay, 26/11/2026" in page.locator("main").inner_text()  # the installation's clock

    # every procedure in effect, then those of the search (a plain GET form: no script needed)
    procedures = page.locator("#thu-tuc-ket-qua")
    for code in (EXTRACT, BUSINESS, "1.001776"):
        assert code in procedures.inner_text()
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("trich luc")
    page.get_by_role("button", name="Tìm thủ tục").click()
    page.wait_for_url(re.compile(r".*/quay\?q=trich(\+|%20)luc$"))
    assert EXTRACT in procedures.inner_text() and "1.001776" not in procedures.inner_text()
    # the live search (htmx) narrows as the officer types
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("1.000105")
    wait_for(lambda: "1.000105" in procedures.inner_text() and EXTRACT not in procedures.inner_text(), timeout=10)
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("khong co thu tuc nay")
    wait_for(lambda: "Không có thủ tục" in procedures.inner_text(), timeout=10)
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("")
    wait_for(lambda: "1.001776" in procedures.inner_text(), timeout=10)
    check_accessible(page, "quay")
    screenshot(page, "quay")


def test_a_dossier_received_through_the_form_after_a_wrong_field_then_form_01_prints(system, web_url, signed_in):
    name = f"Nguyễn Thị {unique_word()}"
    number = id_number()
    page = signed_in("quay.test")
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill(EXTRACT)
    page.get_by_role("button", name="Tìm thủ tục").click()
    page.wait_for_url(f"{web_url}/quay?q={EXTRACT}")
    page.get_by_role("link", name="Nhận hồ sơ Cấp bản sao trích lục hộ tịch").click()
    page.wait_for_url(f"{web_url}/quay/nop/{EXTRACT}")
    assert page.locator("h1").inner_text() == "Nhận hồ sơ: Cấp bản sao trích lục hộ tịch"
    assert page.get_by_label("Số bản: Tờ khai cấp bản sao trích lục hộ tịch").input_value() == "1"

    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Số CCCD (12 chữ số)").fill("12345")  # wrong: 12 digits
    page.get_by_label("Số điện thoại", exact=True).fill("0912345678")
    page.get_by_label("Địa chỉ liên hệ").fill("15 Lạch Tray, Ngô Quyền, Hải Phòng")
    page.get_by_label("Nhận qua bưu chính").check()
    page.get_by_label("Địa chỉ nhận kết quả qua bưu chính").fill("15 Lạch Tray, Ngô Quyền, Hải Phòng")
    page.get_by_label("Tin nhắn SMS (cần số điện thoại)").check()
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_load_state()

    assert page.url == f"{web_url}/quay/nop/{EXTRACT}"  # the same form again
    assert "Dữ liệu chưa hợp lệ" in page.get_by_role("alert").inner_text()
    beside = page.locator("#applicant-id_number-loi")
    assert beside.inner_text() == "Số CCCD phải gồm đúng 12 chữ số"
    assert page.get_by_label("Số CCCD (12 chữ số)").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Họ và tên").input_value() == name  # what was typed is kept
    assert page.get_by_label("Nhận qua bưu chính").is_checked()
    assert page.get_by_label("Tin nhắn SMS (cần số điện thoại)").is_checked()
    assert listed(system, q=name) == []  # nothing was created
    check_accessible(page, "quay-nop-ho-so")
    screenshot(page, "quay-nop-ho-so")

    page.get_by_label("Số CCCD (12 chữ số)").fill(number)
    form = dict(page.locator("form.reception").evaluate("f => Array.from(new FormData(f).entries())"))
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(re.compile(rf"{re.escape(web_url)}/quay/ho-so/{re.escape(AGENCY)}-\d{{6}}-\d{{4}}$"))
    code = page.url.rsplit("/", 1)[1]
    assert f"Đã tiếp nhận hồ sơ {code}; hẹn trả kết quả" in flash(page)
    assert [d["code"] for d in listed(system, q=name)] == [code]

    # the same form posted again (a double click, a reload): the same dossier, not a second one
    again = page.request.post(f"{web_url}/quay/nop/{EXTRACT}", form=form)
    assert again.ok and again.url == f"{web_url}/quay/ho-so/{code}"
    assert [d["code"] for d in listed(system, q=name)] == [code]

    main = page.locator("main").inner_text()
    for text in (name, "Cấp bản sao trích lục hộ tịch", "Tại quầy", "Nhận qua bưu chính", "Hẹn trả kết quả"):
        assert text in main, text
    assert number not in main and f"*********{number[-3:]}" in main  # the ID number masked
    assert "Tờ khai cấp bản sao trích lục hộ tịch" in page.get_by_role("table").inner_text()
    assert "Đã tiếp nhận" in page.locator("ol.timeline").inner_text()
    check_accessible(page, "quay-ho-so")
    screenshot(page, "quay-ho-so")

    receipt = printed(page, "In giấy tiếp nhận và hẹn trả kết quả (Mẫu 01)")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt and code in receipt and name in receipt
    assert "<svg" in receipt  # the QR code of the citizen's lookup
    assert number not in receipt


def test_a_form_for_an_organisation_names_the_representatives_missing_id_beside_it(system, web_url, signed_in):
    page = signed_in("quay.test")
    page.goto(f"/quay/nop/{EXTRACT}")
    page.get_by_label("Loại người nộp").select_option("organisation")
    page.get_by_role("button", name="Đổi loại người nộp").click()
    page.wait_for_url(f"{web_url}/quay/nop/{EXTRACT}?loai=organisation")
    name = f"Công ty TNHH {unique_word()}"
    page.get_by_label("Tên tổ chức, doanh nghiệp").fill(name)
    page.get_by_label("Mã số doanh nghiệp, tổ chức").fill("0100109106")
    page.get_by_label("Người đại diện theo pháp luật: họ và tên").fill("Ngô Văn Đại")
    page.get_by_label("Số bản: Tờ khai cấp bản sao trích lục hộ tịch").fill("101")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_load_state()
    assert page.locator("#applicant-representative-id_number-loi").inner_text() == "Bắt buộc nhập số CCCD"
    assert page.locator("#documents-0-copies-loi").inner_text() == "Số bản phải từ 1 đến 100"
    assert listed(system, q=name) == []

    page.get_by_label("Người đại diện: số CCCD").fill(id_number())
    page.get_by_label("Số bản: Tờ khai cấp bản sao trích lục hộ tịch").fill("2")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(re.compile(rf".*/quay/ho-so/{re.escape(AGENCY)}-.*"))
    assert name in page.locator("main").inner_text() and "Tổ chức, doanh nghiệp" in page.locator("main").inner_text()
    assert "0100109106" in page.locator("main").inner_text()


def test_an_online_dossier_waiting_is_accepted_from_the_screen_and_gets_its_code(system, web_url, signed_in):
    reference = online(system, f"Lý Văn {unique_word()}")
    page = signed_in("quay.test")
    page.locator("#ds-cho-tiep-nhan").get_by_role("link", name=reference).click()
    page.wait_for_url(f"{web_url}/quay/ho-so/{reference}")
    assert "Chưa cấp" in page.locator("dl.facts").inner_text()
    assert page.get_by_role("link", name=re.compile("Mẫu 01")).count() == 0  # no receipt before reception
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(re.compile(rf"{re.escape(web_url)}/quay/ho-so/{re.escape(AGENCY)}-\d{{6}}-\d{{4}}$"))
    code = page.url.rsplit("/", 1)[1]
    assert flash(page) == f"Đã tiếp nhận hồ sơ, mã hồ sơ {code}"
    view = dossier(system, reference)
    assert view["code"] == code and view["status"] != "submitted" and view["received_at"]
    assert reference in page.locator("dl.facts").inner_text()  # the reference stays beside the code
    assert "<svg" in printed(page, "In giấy tiếp nhận và hẹn trả kết quả (Mẫu 01)")
    page.goto("/quay")
    assert page.locator("#ds-cho-tiep-nhan").get_by_role("link", name=reference).count() == 0
    assert page.locator("#ds-hom-nay").get_by_role("link", name=code).count() == 1


def test_an_online_dossier_is_refused_with_its_reason_and_form_03_prints(system, web_url, signed_in):
    reference = online(system, f"Hoàng Thị {unique_word()}")
    page = signed_in("quay.test")
    page.goto(f"/quay/ho-so/{reference}")
    page.get_by_label("Lý do từ chối").fill("x")
    page.get_by_role("button", name="Từ chối tiếp nhận").click()
    page.wait_for_load_state()
    assert page.locator("#refuse-reason-loi").inner_text() == "Độ dài phải từ 5 đến 2000 ký tự"
    assert dossier(system, reference)["status"] == "submitted"

    reason = "Thủ tục không thuộc thẩm quyền của UBND quận"
    page.get_by_label("Lý do từ chối").fill(reason)
    page.get_by_role("button", name="Từ chối tiếp nhận").click()
    page.wait_for_url(f"{web_url}/quay/ho-so/{reference}")
    assert f"Đã từ chối tiếp nhận hồ sơ {reference}" in flash(page)
    assert dossier(system, reference)["status"] == "refused"
    assert reason in page.locator("dl.facts").inner_text()
    refusal = printed(page, "In phiếu từ chối tiếp nhận hồ sơ (Mẫu 03)")
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in refusal and reason in refusal
    assert page.get_by_role("button", name="Tiếp nhận hồ sơ").count() == 0  # nothing more to accept


def test_a_dossier_missing_a_document_is_not_accepted_and_form_02_prints(system, web_url, signed_in):
    reference = online(system, f"Đinh Văn {unique_word()}")
    page = signed_in("quay.test")
    page.goto(f"/quay/ho-so/{reference}")
    page.get_by_label("Tờ khai cấp bản sao trích lục hộ tịch", exact=True).check()
    page.get_by_label("Ghi chú").fill("Tờ khai chưa ký")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").count() == 1
    assert dossier(system, reference)["status"] == "submitted"
    guidance = printed(page, "In phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)")
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in guidance
    assert "Tờ khai cấp bản sao trích lục hộ tịch" in guidance


def _claim(system, department, code):
    """The department takes `code` (approving whatever of others comes first)."""

    def claimed():
        answer = requests.post(
            system.url("processing", f"/api/departments/{department}/claim"), headers=officer(department), timeout=10
        )
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        task = answer.json()
        if task["dossier_code"] == code:
            return task["task_id"]
        decide(system, department, task["task_id"], {"action": "approve", "note": "xong"})
        return None

    return wait_for(claimed, timeout=30, message=f"{code} claimed in {department}")


def decide(system, department, task_id, decision):
    url = system.url("processing", f"/api/tasks/{task_id}/decision")
    answer = requests.post(url, json=decision, headers=officer(department), timeout=10)
    assert answer.status_code == 200, answer.text


def test_a_supplement_is_received_and_the_result_handed_back(system, web_url, signed_in):
    name = f"Mạc Văn {unique_word()}"
    applicant = {**dossier_body()["applicant"], "full_name": name, "id_number": id_number()}
    code = submit(system, dossier_body(BUSINESS, applicant=applicant))
    task = _claim(system, "TCKH", code)
    items = [{"name": "Bản sao giấy tờ pháp lý của cá nhân", "reason": "Bản sao chưa chứng thực"}]
    decide(system, "TCKH", task, {"action": "request_supplement", "items": items})
    wait_for(lambda: dossier(system, code)["status"] == "supplement_requested", timeout=30, message="supplement asked")

    page = signed_in("quay.test")
    page.goto(f"/quay/ho-so/{code}")
    assert "02" in dossier(system, code)["forms"]
    assert "Bản sao chưa chứng thực" in printed(page, "In phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)")
    page.get_by_label("Giấy tờ bổ sung 1", exact=True).fill("Bản sao giấy tờ pháp lý của cá nhân (có chứng thực)")
    page.get_by_label("Số bản giấy tờ bổ sung 1").fill("101")
    page.get_by_role("button", name="Nhận bổ sung").click()
    page.wait_for_load_state()
    assert page.locator("#supplement-0-copies-loi").inner_text() == "Số bản phải từ 1 đến 100"
    page.get_by_label("Số bản giấy tờ bổ sung 1").fill("1")
    page.get_by_role("button", name="Nhận bổ sung").click()
    page.wait_for_url(f"{web_url}/quay/ho-so/{code}")
    assert flash(page) == f"Đã nhận giấy tờ bổ sung của hồ sơ {code}"
    assert "(có chứng thực)" in page.get_by_role("table").inner_text()

    decide(system, "TCKH", _claim(system, "TCKH", code), {"action": "approve", "note": "đủ điều kiện"})
    wait_for(lambda: dossier(system, code)["status"] == "result_ready", timeout=30, message="result ready")
    page.goto(f"/quay/ho-so/{code}")
    page.get_by_role("button", name="Xác nhận đã trả kết quả").click()
    page.wait_for_url(f"{web_url}/quay/ho-so/{code}")
    assert flash(page) == f"Đã trả kết quả hồ sơ {code}"
    assert dossier(system, code)["status"] == "returned"
    assert "Không có thao tác nào" in page.locator("main").inner_text()


def test_a_dossier_is_withdrawn_at_the_applicants_request_with_a_reason(system, web_url, signed_in):
    code = submit(system, dossier_body(BUSINESS))
    page = signed_in("quay.test")
    page.goto(f"/quay/ho-so/{code}")
    page.get_by_role("button", name="Rút hồ sơ").click()
    page.wait_for_load_state()
    assert page.locator("#withdraw-reason-loi").inner_text() == "Bắt buộc nhập"
    page.get_by_label("Lý do rút hồ sơ").fill("Công dân đề nghị rút để bổ sung sau")
    page.get_by_role("button", name="Rút hồ sơ").click()
    page.wait_for_url(f"{web_url}/quay/ho-so/{code}")
    assert flash(page) == f"Đã ghi nhận rút hồ sơ {code}"
    assert dossier(system, code)["status"] == "withdrawn"
    assert "Công dân đề nghị rút" in page.locator("dl.facts").inner_text()
    assert page.get_by_role("button", name="Rút hồ sơ").count() == 0


def test_a_dossier_is_found_by_code_by_name_without_accents_and_by_id_number(system, web_url, signed_in):
    word = unique_word()
    number = id_number()
    applicant = {**dossier_body()["applicant"], "full_name": f"Đặng Thị Ánh {word}", "id_number": number}
    code = submit(system, dossier_body(applicant=applicant))
    page = signed_in("quay.test")
    for typed in (code, f"dang thi anh {word.lower()}", number):
        page.goto("/quay")
        page.get_by_label("Mã hồ sơ, tên người nộp hoặc số giấy tờ").fill(typed)
        page.get_by_role("button", name="Tìm hồ sơ").click()
        page.wait_for_url(re.compile(r".*/quay/tim-ho-so\?q=.*"))
        results = page.locator("#ket-qua")
        assert results.get_by_role("link", name=code).count() == 1, typed
        assert f"Đặng Thị Ánh {word}" in results.inner_text()
    check_accessible(page, "quay-tim-ho-so")
    page.get_by_label(re.compile("Mã hồ sơ, số tham chiếu")).fill(f"Không Ai {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Tìm hồ sơ").click()
    page.wait_for_load_state()
    assert "Không tìm thấy hồ sơ nào" in page.locator("main").inner_text()
    page.locator("#ket-qua").wait_for()


def test_the_counter_pages_are_for_the_counter_and_work_on_a_phone(system, web_url, signed_in):
    officer_page = signed_in("qldt.test")
    officer_page.goto("/quay")
    assert "Không được phép" in officer_page.locator("h1").inner_text()

    page = signed_in("quay.test", viewport=PHONE_SCREEN)
    page.goto("/quay")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    page.goto(f"/quay/nop/{EXTRACT}")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.goto("/quay/ho-so/000.00.06.H56-000101-9999")
    assert page.locator("h1").inner_text() == "Không tìm thấy"
