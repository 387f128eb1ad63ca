"""The administrators' screens (/quan-tri) as an administrator uses them: the
catalogue (versions, an import previewed before it is applied, expiry), the
calendar's overrides, the automated departments, the accounts and the system page
with its parked messages. Procedures of their own (3.0009xx), a year of their own
(2027) and a department of their own: the other screens' tests share this
installation."""

import json
import time
import uuid

import requests

from shared import dlq, events
from shared.config import SERVED, SERVICES
from shared.messaging import ConfirmingPublisher, event_exchange
from tests.system import ADMIN, AGENCY, BUSINESS_MORNING
from tests.web.conftest import PHONE_SCREEN, Staff, check_accessible, screenshot, sign_in


def charge(amount):
    """A fee schedule of one lệ phí paid at submission."""
    return [{"name": "Lệ phí", "amount": amount, "kind": "le_phi", "when": "at_submission"}]


def entry(code, **changes):
    return {
        "code": code,
        "name": "Thủ tục của màn hình quản trị",
        "field": "Thử nghiệm",
        "level": 3,
        "agency_code": AGENCY,
        "duration_days": 5,
        "route": [{"department": "TUPHAP", "days": 5}],
        "fees": charge(10000),
        "documents": ["Tờ khai"],
        "return_methods": ["counter"],
        "supplement_clock": "restart",
        "cutoff": None,
        "effective_from": "2026-01-01",
        "effective_to": None,
        "legal_basis": "",
        **changes,
    }


def intake(system, method, path, **kwargs):
    return requests.request(method, system.url("intake", path), headers=ADMIN, timeout=30, **kwargs)


def in_effect(system):
    return {p["code"]: p for p in intake(system, "GET", "/api/procedures").json()["procedures"]}


def submit_form(page, button):
    """Click a form's button and wait for the page it answers (a plain form post)."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    return page


def flash(page):
    return page.locator(".flash").inner_text()


def test_the_administrator_lands_on_the_administration_and_nobody_else_opens_it(system, web_url, signed_in):
    page = signed_in("quantri.test")
    assert page.url == web_url + "/quan-tri"
    assert page.get_by_role("heading", level=1).inner_text() == "Quản trị hệ thống một cửa"
    for name in ("Danh mục thủ tục", "Lịch làm việc", "Phòng ban tự động", "Tài khoản cán bộ", "Tình trạng hệ thống"):
        assert page.locator("ul.sections").get_by_role("link", name=name).count() == 1
    check_accessible(page, "quan-tri")
    screenshot(page, "quan-tri")

    for username in ("quay.test", "qldt.test"):
        other = signed_in(username)
        for path in ("/quan-tri", "/quan-tri/thu-tuc", "/quan-tri/tai-khoan", "/quan-tri/he-thong"):
            answer = other.goto(path)
            assert answer.status == 403, (username, path)
            assert "Tài khoản của bạn không được mở trang này" in other.content()
    # a form posted by a counter officer with a good token is refused just the same
    staff = Staff(web_url)
    assert staff.sign_in("quay.test").status_code == 303
    token = staff.csrf("/quan-tri")  # the 403 page has the sign-out form, with the session's token
    form = {"csrf_token": token, "username": "ke.gian", "full_name": "Kẻ Gian", "role": "admin", "password": "x" * 12}
    refused = staff.http.post(web_url + "/quan-tri/tai-khoan", data=form, allow_redirects=False, timeout=10)
    assert refused.status_code == 403
    assert Staff(web_url).sign_in("ke.gian", "x" * 12).status_code == 401


def test_the_catalogue_lists_procedures_in_effect_and_their_versions(system, signed_in):
    demo = in_effect(system)["2.000635"]
    page = signed_in("quantri.test")
    page.goto("/quan-tri/thu-tuc")
    row = page.locator("table.procedures tbody tr").filter(has_text="2.000635")
    assert row.count() == 1
    text = row.inner_text()
    assert demo["name"] in text and demo["field"] in text and "từ 01/01/2026" in text
    assert page.locator("caption").first.inner_text().startswith("Thủ tục có hiệu lực ngày 26/11/2026")
    check_accessible(page, "quan-tri/thu-tuc")
    screenshot(page, "quan-tri-thu-tuc")

    page.get_by_role("link", name="Các phiên bản của 2.000635").click()
    page.wait_for_url("**/quan-tri/thu-tuc/2.000635")
    assert page.get_by_role("heading", level=1).inner_text() == f"Thủ tục 2.000635: {demo['name']}"
    versions = page.locator("table.versions tbody tr")
    assert versions.count() == 1 and "Đang có hiệu lực" in versions.first.inner_text()
    fee = page.locator("table.fees tbody tr")  # the fee schedule, in words
    assert fee.count() == 1
    assert [fee.first.locator("th, td").nth(i).inner_text() for i in range(4)] == [
        "Lệ phí cấp bản sao trích lục hộ tịch",
        "Lệ phí",
        "Khi nộp hồ sơ",
        "8.000 đ",
    ]
    assert page.locator("ul.exemptions li").all_inner_texts() == [
        "Hộ nghèo (mã ho_ngheo)",
        "Người có công với cách mạng (mã nguoi_co_cong)",
    ]
    check_accessible(page, "procedure versions")
    assert page.goto("/quan-tri/thu-tuc/9.999999").status == 404


def test_an_import_is_previewed_and_changes_nothing_until_it_is_applied(system, signed_in):
    code = "3.000991"
    page = signed_in("quantri.test")
    page.goto("/quan-tri/thu-tuc/nhap")
    check_accessible(page, "import form")

    # pasted: a new procedure, previewed, then applied
    first = {"procedures": [entry(code)]}
    page.get_by_label("Hoặc dán nội dung JSON của tệp").fill(json.dumps(first, ensure_ascii=False, indent=2))
    submit_form(page, "Xem trước thay đổi")
    assert page.get_by_role("heading", level=1).inner_text() == "Xem trước thay đổi danh mục"
    assert code in page.locator("section.diff-added").inner_text()
    assert "Chưa có gì thay đổi" in page.get_by_role("status").first.inner_text()
    assert intake(system, "GET", f"/api/procedures/{code}").status_code == 404
    submit_form(page, "Áp dụng")
    assert page.url.endswith("/quan-tri/thu-tuc")
    assert "Đã áp dụng tệp danh mục: 1 thủ tục thêm mới" in flash(page)
    assert in_effect(system)[code]["version"] == 1

    # a file: the new text of the same procedure from 01/11/2026, shown as a change
    changed = {
        "procedures": [entry(code, name="Thủ tục đã sửa từ màn hình", fees=charge(20000), effective_from="2026-11-01")]
    }
    page.goto("/quan-tri/thu-tuc/nhap")
    page.get_by_label("Tệp danh mục (JSON, tối đa 8 MB)").set_input_files(
        files=[{"name": "danh-muc.json", "mimeType": "application/json", "buffer": json.dumps(changed).encode()}]
    )
    submit_form(page, "Xem trước thay đổi")
    change = page.locator("section.diff-changed").inner_text()
    assert code in change and "Thủ tục đã sửa từ màn hình" in change and "thay phiên bản 1" in change
    check_accessible(page, "import preview")
    screenshot(page, "quan-tri-thu-tuc-xem-truoc")
    kept = intake(system, "GET", f"/api/procedures/{code}").json()
    assert [v["version"] for v in kept["versions"]] == [1] and kept["in_effect"]["fee"] == 10000
    submit_form(page, "Áp dụng")
    assert "1 thay đổi" in flash(page)
    now = in_effect(system)[code]
    assert now["version"] == 2 and now["name"] == "Thủ tục đã sửa từ màn hình" and now["fee"] == 20000
    assert "Thủ tục đã sửa từ màn hình" in page.locator("table.procedures").inner_text()


def test_a_bad_catalogue_file_shows_every_problem_and_cannot_be_applied(system, signed_in):
    page = signed_in("quantri.test")
    page.goto("/quan-tri/thu-tuc/nhap")
    bad = {"procedures": [entry("3.000993", level=9), entry("3.000994", name="")]}
    page.get_by_label("Hoặc dán nội dung JSON của tệp").fill(json.dumps(bad, ensure_ascii=False))
    submit_form(page, "Xem trước thay đổi")
    problems = page.locator(".problem-box").inner_text()
    assert "Thủ tục thứ 1 (mã 3.000993): level:" in problems
    assert "Thủ tục thứ 2 (mã 3.000994): name:" in problems
    assert page.get_by_role("button", name="Áp dụng").count() == 0
    assert '"3.000993"' in page.get_by_label("Hoặc dán nội dung JSON của tệp").input_value()  # kept to be fixed
    check_accessible(page, "import refused")

    page.get_by_label("Hoặc dán nội dung JSON của tệp").fill('{"procedures": [')
    submit_form(page, "Xem trước thay đổi")
    assert "Nội dung không phải JSON hợp lệ (dòng 1" in page.locator("#noi_dung-loi").inner_text()
    page.get_by_label("Hoặc dán nội dung JSON của tệp").fill("")
    submit_form(page, "Xem trước thay đổi")
    assert "Chọn tệp danh mục hoặc dán nội dung JSON" in page.locator("#tep-loi").inner_text()
    for code in ("3.000993", "3.000994"):
        assert intake(system, "GET", f"/api/procedures/{code}").status_code == 404


def test_an_applied_file_must_be_the_one_previewed(system, web_url):
    staff = Staff(web_url)
    assert staff.sign_in("quantri.test").status_code == 303
    token = staff.csrf("/quan-tri/thu-tuc/nhap")
    text = json.dumps({"procedures": [entry("3.000995")]})
    forged = staff.http.post(
        web_url + "/quan-tri/thu-tuc/ap-dung",
        files={"csrf_token": (None, token), "noi_dung": (None, text), "sha256": (None, "0" * 64)},
        timeout=10,
    )
    assert forged.status_code == 400 and "khác với bản đã xem trước" in forged.text
    no_token = staff.http.post(web_url + "/quan-tri/thu-tuc/nhap", files={"noi_dung": (None, text)}, timeout=10)
    assert no_token.status_code == 403
    assert intake(system, "GET", "/api/procedures/3.000995").status_code == 404


def test_an_expired_procedure_leaves_the_list(system, signed_in):
    code = "3.000992"
    assert intake(system, "POST", "/api/procedures/import", json={"procedures": [entry(code)]}).status_code == 200
    page = signed_in("quantri.test")
    page.goto("/quan-tri/thu-tuc")
    page.get_by_role("link", name=f"Cho hết hiệu lực thủ tục {code}").click()
    page.wait_for_url(f"**/quan-tri/thu-tuc/{code}/het-hieu-luc")
    check_accessible(page, "expire")
    # a day on which it was not yet in effect: said beside the day
    page.get_by_label("Ngày cuối cùng còn hiệu lực").fill("2025-06-30")
    submit_form(page, "Xác nhận cho hết hiệu lực")
    assert "không có phiên bản nào hiệu lực vào 30/06/2025" in page.locator("#last_day-loi").inner_text()
    assert code in in_effect(system)

    page.get_by_label("Ngày cuối cùng còn hiệu lực").fill("2026-11-25")  # yesterday
    submit_form(page, "Xác nhận cho hết hiệu lực")
    assert f"Thủ tục {code} (phiên bản 1) hết hiệu lực sau ngày 25/11/2026" in flash(page)
    assert page.locator("table.procedures tbody tr").filter(has_text=code).count() == 0
    assert "2.000635" in page.locator("table.procedures").inner_text()
    assert code not in in_effect(system)
    versions = intake(system, "GET", f"/api/procedures/{code}").json()["versions"]
    assert [(v["version"], v["effective_to"]) for v in versions] == [(1, "2026-11-25")]


def test_the_calendar_shows_the_year_and_an_override_is_added_and_removed(system, signed_in):
    page = signed_in("quantri.test")
    page.goto("/quan-tri/lich?year=2027")
    assert page.get_by_role("heading", level=1).inner_text() == "Lịch làm việc năm 2027"
    january = page.locator("table.month").first
    assert january.locator("caption").inner_text() == "Tháng 1/2027"
    new_year = january.locator("td.day-holiday").first
    assert new_year.inner_text().startswith("1") and "Tết Dương lịch" in new_year.inner_text()
    assert "01/01/2027: Tết Dương lịch" in page.locator("ul.notable").first.inner_text()
    working = int(page.locator("ul.counts li").first.locator("strong").inner_text())
    check_accessible(page, "quan-tri/lich")

    page.locator("#day").fill("2027-03-08")
    page.get_by_label("Loại điều chỉnh").select_option("day_off")
    page.get_by_label("Lý do (ví dụ: theo Thông báo của Chính phủ)").fill("Nghỉ kiểm thử giao diện")
    submit_form(page, "Thêm ngày điều chỉnh")
    assert "Đã đặt ngày 08/03/2027: Nghỉ thêm" in flash(page)
    row = page.locator("table.overrides tbody tr").filter(has_text="08/03/2027")
    assert "Nghỉ kiểm thử giao diện" in row.inner_text() and "quantri.test" in row.inner_text()
    march = page.locator("table.month").nth(2)
    assert "Nghỉ thêm: Nghỉ kiểm thử giao diện" in march.locator("td.day-override").inner_text()
    assert int(page.locator("ul.counts li").first.locator("strong").inner_text()) == working - 1
    listed = intake(system, "GET", "/api/calendar/overrides").json()["overrides"]
    assert next(o for o in listed if o["day"] == "2027-03-08")["kind"] == "day_off"
    screenshot(page, "quan-tri-lich")

    # a bad kind: said beside its field, nothing set
    page.locator("#day").fill("2027-03-09")
    page.locator("#kind").evaluate("s => { s.options[0].value = 'nghi-luon' }")
    submit_form(page, "Thêm ngày điều chỉnh")
    assert "day_off" in page.locator("#kind-loi").inner_text()
    assert "2027-03-09" not in {o["day"] for o in intake(system, "GET", "/api/calendar/overrides").json()["overrides"]}

    submit_form(page, "Xoá ngày 08/03/2027")
    assert "Đã xoá điều chỉnh của ngày 08/03/2027" in flash(page)
    assert page.locator("table.overrides tbody tr").filter(has_text="08/03/2027").count() == 0
    assert "2027-03-08" not in {o["day"] for o in intake(system, "GET", "/api/calendar/overrides").json()["overrides"]}
    assert page.goto("/quan-tri/lich?year=hai-nghin").status == 400


def test_a_department_is_switched_to_automated_and_back(system, signed_in):
    department = f"WEB{uuid.uuid4().hex[:5].upper()}"
    page = signed_in("quantri.test")
    page.goto("/quan-tri/phong-ban")
    assert page.locator("tbody tr").filter(has_text="TUPHAP").count() == 1  # from the catalogue's routes
    check_accessible(page, "quan-tri/phong-ban")
    page.get_by_label("Mã phòng ban (chữ in hoa, ví dụ TUPHAP)").fill("phong ban sai")
    submit_form(page, "Lưu chế độ xử lý")
    assert page.locator("#department-loi").count() == 1

    page.get_by_label("Mã phòng ban (chữ in hoa, ví dụ TUPHAP)").fill(department.lower())
    page.get_by_label("Chế độ xử lý").select_option("true")
    submit_form(page, "Lưu chế độ xử lý")
    assert f"Phòng {department} chuyển sang tự động" in flash(page)
    automated = requests.get(system.url("processing", "/api/departments/automated"), headers=ADMIN, timeout=10)
    assert department in automated.json()["departments"]
    assert "Tự động" in page.locator("tbody tr").filter(has_text=department).inner_text()

    submit_form(page, f"Chuyển về cán bộ xử lý phòng {department}")
    assert f"Phòng {department} chuyển sang cán bộ xử lý" in flash(page)
    automated = requests.get(system.url("processing", "/api/departments/automated"), headers=ADMIN, timeout=10)
    assert department not in automated.json()["departments"]


def test_an_account_is_added_from_the_page_and_disabled(system, web_url, signed_in, new_page):
    username = f"quay.{uuid.uuid4().hex[:6]}"
    page = signed_in("quantri.test")
    page.goto("/quan-tri/tai-khoan")
    row = page.locator("table.accounts tbody tr").filter(has_text="quay.test")
    assert "Cán bộ một cửa" in row.inner_text() and AGENCY in row.inner_text() and "Đang hoạt động" in row.inner_text()

    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ và tên").fill("Đỗ Thị Thêm")
    page.get_by_label("Vai trò").select_option("counter")
    page.get_by_label("Mã cơ quan (cán bộ một cửa)").fill(AGENCY)
    page.get_by_label("Mật khẩu ban đầu").fill("ngan")
    submit_form(page, "Thêm tài khoản")
    assert "Từ 10 đến 256 ký tự" in page.locator("#password-loi").inner_text()
    assert page.get_by_label("Mật khẩu ban đầu").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Tên đăng nhập").input_value() == username  # what was typed stays
    assert page.locator("table.accounts tbody tr").filter(has_text=username).count() == 0
    check_accessible(page, "account refused")

    page.get_by_label("Mật khẩu ban đầu").fill("mat-khau-tu-trang-quan-tri")
    submit_form(page, "Thêm tài khoản")
    assert f"Đã thêm tài khoản {username}" in flash(page)
    added = page.locator("table.accounts tbody tr").filter(has_text=username)
    assert "Đỗ Thị Thêm" in added.inner_text() and "Đang hoạt động" in added.inner_text()
    check_accessible(page, "quan-tri/tai-khoan")
    screenshot(page, "quan-tri-tai-khoan")

    officer = sign_in(new_page(), username, "mat-khau-tu-trang-quan-tri")
    assert officer.url == web_url + "/quay"

    submit_form(page, f"Vô hiệu hoá {username}")
    assert f"Đã vô hiệu hoá tài khoản {username}" in flash(page)
    assert "Đã vô hiệu hoá" in page.locator("table.accounts tbody tr").filter(has_text=username).inner_text()
    officer.goto("/quan-tri")
    assert "/dang-nhap" in officer.url  # the open session ended with the account (else: 403)
    refused = Staff(web_url).sign_in(username, "mat-khau-tu-trang-quan-tri")
    assert refused.status_code == 401 and "motcua_session" not in refused.cookies

    # the same name again is refused beside the name
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ và tên").fill("Người Trùng Tên")
    page.get_by_label("Vai trò").select_option("admin")
    page.get_by_label("Mật khẩu ban đầu").fill("mat-khau-trung-ten")
    submit_form(page, "Thêm tài khoản")
    assert "Tên đăng nhập đã được dùng" in page.locator("#username-loi").inner_text()

    submit_form(page, f"Kích hoạt lại {username}")
    page.get_by_role("link", name=f"Đặt mật khẩu mới cho {username}").click()
    page.wait_for_url(f"**/quan-tri/tai-khoan/{username}/mat-khau")
    check_accessible(page, "password")
    page.locator("#password").fill("mat-khau-moi-dat-lai")
    page.locator("#password_again").fill("mat-khau-khac-han")
    submit_form(page, "Đặt mật khẩu")
    assert "không khớp" in page.locator("#password_again-loi").inner_text()
    page.locator("#password").fill("mat-khau-moi-dat-lai")
    page.locator("#password_again").fill("mat-khau-moi-dat-lai")
    submit_form(page, "Đặt mật khẩu")
    assert f"Đã đặt mật khẩu mới cho {username}" in flash(page)
    assert Staff(web_url).sign_in(username, "mat-khau-tu-trang-quan-tri").status_code == 401
    assert Staff(web_url).sign_in(username, "mat-khau-moi-dat-lai").status_code == 303


# the elements that reach past the screen's right edge (what to fix when the page scrolls sideways)
WIDER_THAN_SCREEN = """width => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > width
    && (!e.parentElement.closest(".table-wrap") || getComputedStyle(e).position === "absolute"))
  .slice(0, 5).map(e => e.tagName + "." + e.className + "#" + e.id)"""


def test_the_administration_works_on_a_phone(system, signed_in):
    page = signed_in("quantri.test", viewport=PHONE_SCREEN)
    for path in ("/quan-tri/tai-khoan", "/quan-tri/lich"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        wider = page.evaluate(WIDER_THAN_SCREEN, PHONE_SCREEN["width"])
        assert width <= PHONE_SCREEN["width"], (path, width, wider)


def publish_poison(amqp_uri, dossier_code):
    """result_ready for a dossier nobody has: intake fails on it every time and parks it."""
    env = events.envelope(
        "result_ready",
        dossier_code,
        {"finished_at": BUSINESS_MORNING, "summary": "không có hồ sơ này", "return_method": "counter"},
        source="processing",
    )
    publisher = ConfirmingPublisher(amqp_uri)
    publisher.publish_batch([(event_exchange("processing"), "result_ready", json.dumps(env).encode(), {})])
    publisher.close()
    return env["event_id"]


def test_the_system_page_shows_the_services_and_replays_a_parked_message(system, amqp_uri, signed_in):
    page = signed_in("quantri.test")
    page.goto("/quan-tri/he-thong")
    assert f"{len(SERVED)}/{len(SERVED)} dịch vụ đang hoạt động" in page.get_by_role("status").first.inner_text()
    for service in SERVED:
        row = page.locator("table.status tbody tr").filter(has_text=f"({service})")
        assert "Hoạt động" in row.inner_text(), service
    check_accessible(page, "quan-tri/he-thong")

    code = f"{AGENCY}-261126-8{uuid.uuid4().int % 1000:03d}"
    poison = publish_poison(amqp_uri, code)
    try:
        deadline = time.monotonic() + 60
        parked = page.locator("table.parked tbody tr").filter(has_text=poison).filter(has_text="intake")
        while parked.count() == 0:
            assert time.monotonic() < deadline, "the poison event never showed as parked"
            time.sleep(1)
            page.goto("/quan-tri/he-thong")
        assert code in parked.inner_text() and "result_ready" in parked.inner_text()
        screenshot(page, "quan-tri-he-thong")
        submit_form(page, f"Gửi lại tin result_ready {poison} của intake")
        assert "Đã gửi lại 1 tin của dịch vụ intake" in flash(page)
    finally:
        dlq.discard(amqp_uri, SERVICES, event_id=poison)
