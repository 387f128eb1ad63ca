"""The citizens' screens: the lookup (/tra-cuu) and the online submission
(/nop-ho-so), as a citizen on a phone uses them, and as requests posts for what a
browser would not show (status codes, headers, the limits). Each test stands for a
citizen at its own address (X-Forwarded-For: 203.0.113.x, the web trusts this machine
as its proxy) so that the per-address limits of one test never answer another's."""

import re
import uuid

import requests

from services.web import words
from tests.system import ADMIN, AGENCY, dossier_body, submit
from tests.web.conftest import PHONE_SCREEN, Staff, check_accessible, screenshot

BODY = dossier_body(return_method="postal")
ID_NUMBER = BODY["applicant"]["id_number"]
PRIVATE = (ID_NUMBER, BODY["applicant"]["phone"], "Lạch Tray", BODY["applicant"]["email"])
ONLINE = "2.000635"  # Cấp bản sao trích lục hộ tịch: full online service in the demo catalogue


class Citizen(Staff):
    """A citizen's browser without JavaScript, at its own address."""

    def __init__(self, web_url, address):
        super().__init__(web_url)
        self.http.headers["X-Forwarded-For"] = address

    def look_up(self, **fields):
        form = {"csrf_token": self.csrf("/tra-cuu"), **fields}
        return self.http.post(self.base + "/tra-cuu", data=form, allow_redirects=False, timeout=30)

    def submit_online(self, procedure=ONLINE, **fields):
        page = self.http.get(f"{self.base}/nop-ho-so/{procedure}", timeout=10)
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
        form = {
            "csrf_token": self.csrf(f"/nop-ho-so/{procedure}"),
            "idempotency_key": key.group(1) if key else str(uuid.uuid4()),
            "applicant.full_name": "Lê Văn Nam",
            "applicant.id_number": "031090007777",
            "applicant.phone": "0987001122",
            "applicant.email": "",
            "applicant.address": "8 Trần Phú, Hải Phòng",
            "doc.0": "1",
            "documents.0.copies": "1",
            "return_method": "counter",
            "notify.sms": "1",
        }
        form.update(fields)
        form = {k: v for k, v in form.items() if v is not None}
        return self.http.post(f"{self.base}/nop-ho-so/{procedure}", data=form, allow_redirects=False, timeout=30)


def main_text(html):
    """The page's <main>: what differs between two pages of the same kind."""
    return html[html.index("<main") : html.index("</main>")]


# --- the lookup -------------------------------------------------------------------------------


def test_lookup_answers_the_status_in_words_and_nothing_personal(system, web_url):
    code = submit(system, BODY)
    answer = Citizen(web_url, "203.0.113.10").look_up(code=code, id_number=ID_NUMBER)
    assert answer.status_code == 200, answer.text
    html = answer.text
    # received, or already with the department (processing takes it at once)
    status = re.search(r'<span class="badge badge-(\w+)">([^<]+)</span>', html)
    assert status.group(1) in ("received", "in_progress") and status.group(2) == words.status(status.group(1))
    assert code in html
    assert "Hẹn trả kết quả" in html and "Các bước giải quyết" in html and "Nhận qua bưu chính" in html
    assert "Bộ phận một cửa tiếp nhận hồ sơ" in html  # the timeline's step, with its time
    assert re.search(r'<time datetime="[^"]+">\d\d:\d\d \d\d/\d\d/\d{4}</time>', html)
    for private in PRIVATE:
        assert private not in html, private
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_pages_kind_and_identifier_fields_work_as_well(system, web_url):
    code = submit(system, dossier_body())
    answer = Citizen(web_url, "203.0.113.11").look_up(code=code, kind="id_number", identifier=ID_NUMBER)
    assert answer.status_code == 200 and code in answer.text and ID_NUMBER not in answer.text


def test_a_wrong_code_and_a_wrong_id_give_the_same_not_found_page(system, web_url):
    code = submit(system, dossier_body())
    citizen = Citizen(web_url, "203.0.113.12")
    wrong_id = citizen.look_up(code=code, id_number="031190009999")
    wrong_code = citizen.look_up(code=code[:-4] + "9998", id_number=ID_NUMBER)
    assert wrong_id.status_code == wrong_code.status_code == 404
    assert main_text(wrong_id.text) == main_text(wrong_code.text)
    assert "Không tìm thấy hồ sơ" in wrong_id.text
    for page in (wrong_id.text, wrong_code.text):
        assert "031190009999" not in page and ID_NUMBER not in page and code not in page


def test_a_missing_field_shows_the_form_again_with_the_message_beside_it(system, web_url):
    citizen = Citizen(web_url, "203.0.113.13")
    answer = citizen.look_up(code="000.00.06.H56-261126-0001")
    assert answer.status_code == 400
    assert 'id="identifier-loi"' in answer.text and "Bắt buộc nhập số giấy tờ" in answer.text
    assert 'value="000.00.06.H56-261126-0001"' in answer.text  # the code typed stays
    bad = citizen.look_up(code="000.00.06.H56-261126-0001", id_number="12345")
    assert bad.status_code == 400 and "12 chữ số" in bad.text and "12345" not in main_text(bad.text)


def test_too_many_lookups_give_a_page_that_says_when_to_try_again(system, web_url):
    citizen = Citizen(web_url, "203.0.113.14")
    statuses = [citizen.look_up(code=f"KHONG-CO-{i}", id_number=ID_NUMBER).status_code for i in range(30)]
    assert statuses == [404] * 30, statuses
    # a lookup comes back every 2 s: on a slow machine a few more may pass before one is refused
    for i in range(10):
        refused = citizen.look_up(code=f"KHONG-CO-X{i}", id_number=ID_NUMBER)
        if refused.status_code != 404:
            break
    assert refused.status_code == 429, refused.status_code
    # intake's Retry-After: when the next lookup is allowed (one every 2 s at 30 a minute)
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 2, wait
    assert "Vui lòng thử lại sau" in refused.text and f"Bạn có thể thử lại sau {wait} giây" in refused.text
    # another citizen is not affected
    assert Citizen(web_url, "203.0.113.15").look_up(code="KHONG-CO-Y", id_number=ID_NUMBER).status_code == 404


def test_too_many_wrong_ids_for_one_code_give_the_429_page_too(system, web_url):
    code = submit(system, dossier_body())
    citizen = Citizen(web_url, "203.0.113.16")
    statuses = [citizen.look_up(code=code, id_number=f"03119000{i:04d}").status_code for i in range(5)]
    assert statuses == [404] * 5
    locked = Citizen(web_url, "203.0.113.17").look_up(code=code, id_number=ID_NUMBER)  # even the right one
    assert locked.status_code == 429 and "quá nhiều lần" in locked.text and ID_NUMBER not in locked.text
    assert int(locked.headers["Retry-After"]) > 3000  # the hour of the first wrong one


# --- the online submission ---------------------------------------------------------------------


def test_only_procedures_offered_online_are_listed_and_open(system, web_url):
    entry = {
        "code": "3.000888",
        "name": "Thủ tục chỉ nộp tại quầy",
        "field": "Thử",
        "level": 2,
        "agency_code": AGENCY,
        "duration_days": 2,
        "route": [{"department": "TUPHAP", "days": 2}],
        "fees": [],
        "documents": ["Đơn"],
        "return_methods": ["counter"],
        "supplement_clock": "pause",
        "cutoff": None,
        "effective_from": "2026-01-01",
        "effective_to": None,
    }
    imported = requests.post(
        system.url("intake", "/api/procedures/import"), json={"procedures": [entry]}, headers=ADMIN, timeout=10
    )
    assert imported.status_code == 200, imported.text
    citizen = Citizen(web_url, "203.0.113.20")
    listing = citizen.http.get(web_url + "/nop-ho-so", timeout=10)
    assert listing.status_code == 200
    assert "Cấp bản sao trích lục hộ tịch" in listing.text and f'href="/nop-ho-so/{ONLINE}"' in listing.text
    assert "Thủ tục chỉ nộp tại quầy" not in listing.text
    assert citizen.http.get(web_url + "/nop-ho-so/3.000888", timeout=10).status_code == 404
    assert citizen.http.get(web_url + "/nop-ho-so/9.999999", timeout=10).status_code == 404
    assert citizen.http.get(web_url + "/nop-ho-so/..%2Fapi", timeout=10).status_code == 404
    form = citizen.http.get(f"{web_url}/nop-ho-so/{ONLINE}", timeout=10)
    assert form.status_code == 200 and 'name="applicant.id_number"' in form.text


def test_an_online_submission_answers_its_reference_and_the_same_key_makes_one_dossier(system, web_url):
    citizen = Citizen(web_url, "203.0.113.21")
    key = str(uuid.uuid4())
    first = citizen.submit_online(idempotency_key=key)
    assert first.status_code == 200, first.text
    reference = re.search(r'id="so-dang-ky">(TN-[0-9]{6}-[A-Z]{8})<', first.text).group(1)
    again = citizen.submit_online(idempotency_key=key)  # the form sent twice (refresh, double click)
    assert reference in again.text
    assert system.scalar("intake", "SELECT count(*) FROM dossiers WHERE reference = :r", r=reference) == 1
    stored = system.scalar("intake", "SELECT channel || ' ' || status FROM dossiers WHERE reference = :r", r=reference)
    assert stored == "online submitted"
    found = citizen.look_up(code=reference, id_number="031090007777")
    assert found.status_code == 200 and words.status("submitted") in found.text


def test_the_apis_refusals_show_beside_the_fields_and_nothing_is_made(system, web_url):
    citizen = Citizen(web_url, "203.0.113.22")
    before = system.scalar("intake", "SELECT count(*) FROM dossiers")
    refused = citizen.submit_online(
        **{
            "applicant.id_number": "999090007777",
            "applicant.phone": "12345",
            "applicant.full_name": "Lê Văn Nam",
            "return_method": "postal",
        }
    )
    assert refused.status_code == 400, refused.text
    html = refused.text
    assert 'id="applicant-id_number-loi"' in html and "mã tỉnh" in html
    assert 'id="applicant-phone-loi"' in html
    assert 'value="Lê Văn Nam"' in html  # what was typed is shown again
    no_contact = citizen.submit_online(**{"notify.sms": None})
    assert no_contact.status_code in (400, 422) and 'id="notify-loi"' in no_contact.text
    no_address = citizen.submit_online(return_method="postal")
    assert no_address.status_code == 400 and 'id="delivery_address-loi"' in no_address.text
    bad_copies = citizen.submit_online(**{"documents.0.copies": "0"})
    assert bad_copies.status_code == 400 and 'id="documents-0-copies-loi"' in bad_copies.text
    assert system.scalar("intake", "SELECT count(*) FROM dossiers") == before


def test_an_address_submits_at_most_ten_dossiers_an_hour(system, web_url):
    citizen = Citizen(web_url, "203.0.113.23")
    assert citizen.submit_online(**{"applicant.phone": "1"}).status_code == 400  # a refusal takes no place
    statuses = [citizen.submit_online().status_code for _ in range(10)]
    assert statuses == [200] * 10
    refused = citizen.submit_online()
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3000
    assert "10 hồ sơ trực tuyến trong một giờ" in refused.text and "Bạn có thể thử lại sau" in refused.text
    assert Citizen(web_url, "203.0.113.24").submit_online().status_code == 200


# --- in the browser, on a phone ------------------------------------------------------------------


def test_a_citizen_looks_up_a_dossier_on_a_phone(system, web_url, new_page):
    code = submit(system, BODY)
    page = new_page(PHONE_SCREEN)
    page.goto("/")
    page.get_by_role("link", name="Tra cứu hồ sơ").first.click()
    page.wait_for_url(web_url + "/tra-cuu")
    # the page's own sheet applies after htmx's boosted link too: a thumb-wide button on a phone
    assert page.get_by_role("button", name="Tra cứu").bounding_box()["width"] > 300
    check_accessible(page, "tra-cuu")
    screenshot(page, "tra-cuu")
    page.get_by_label("Mã hồ sơ hoặc số đăng ký trực tuyến").fill(code)
    page.get_by_label("Loại giấy tờ đã khai khi nộp").select_option("id_number")
    page.get_by_label("Số giấy tờ").fill(ID_NUMBER)
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Tình trạng hồ sơ"
    shown = page.get_by_role("status").inner_text()
    assert words.status("received") in shown or words.status("in_progress") in shown
    steps = page.locator("ol.steps li")
    assert steps.count() >= 2 and "Hẹn trả kết quả" in steps.last.inner_text()
    assert page.locator("ol.steps time").count() >= 2
    body = page.content()
    for private in PRIVATE:
        assert private not in body, private
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]  # no sideways scrolling
    check_accessible(page, "tra-cuu-ket-qua")
    screenshot(page, "tra-cuu-ket-qua")


def test_a_citizen_submits_online_then_finds_the_dossier_with_its_reference(system, web_url, new_page):
    page = new_page(PHONE_SCREEN)
    page.goto("/nop-ho-so")
    check_accessible(page, "nop-ho-so list")
    page.get_by_role("link", name="Nộp hồ sơ thủ tục Cấp bản sao trích lục hộ tịch").click()
    page.wait_for_url(f"{web_url}/nop-ho-so/{ONLINE}")
    page.get_by_label("Họ và tên").fill("Phạm Thị Lan")
    page.get_by_label("Số căn cước công dân (CCCD)").fill("031195005555")
    page.get_by_label("Số điện thoại").fill("0905112233")
    page.get_by_label("Email", exact=True).fill("lan@example.vn")
    page.get_by_label("Nhận thông báo qua email").check()
    page.get_by_label("Nhận qua bưu chính").check()
    page.get_by_label("Địa chỉ nhận kết quả qua bưu chính").fill("20 Hai Bà Trưng, Hải Phòng")
    check_accessible(page, "nop-ho-so")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]
    screenshot(page, "nop-ho-so")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Đã nộp hồ sơ trực tuyến"
    reference = page.locator("#so-dang-ky").inner_text()
    assert re.fullmatch(r"TN-[0-9]{6}-[A-Z]{8}", reference)
    check_accessible(page, "nop-ho-so da nop")
    assert system.scalar("intake", "SELECT delivery_address FROM dossiers WHERE reference = :r", r=reference) == (
        "20 Hai Bà Trưng, Hải Phòng"
    )

    page.get_by_role("link", name="Tra cứu hồ sơ này").click()
    page.wait_for_url(re.compile(r".*/tra-cuu\?code=TN-"))
    assert page.get_by_label("Mã hồ sơ hoặc số đăng ký trực tuyến").input_value() == reference
    page.get_by_label("Số giấy tờ").fill("031195005555")
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_load_state()
    assert words.status("submitted") == "Chờ tiếp nhận"
    assert "Chờ tiếp nhận" in page.get_by_role("status").inner_text()
    assert reference in page.content() and "031195005555" not in page.content()
    assert "Chưa cấp" in page.locator("dl.facts").first.inner_text()


def test_the_submission_form_works_with_the_keyboard_and_shows_errors_beside_fields(system, web_url, new_page):
    page = new_page(PHONE_SCREEN)
    page.goto(f"/nop-ho-so/{ONLINE}")
    page.get_by_label("Họ và tên").fill("Phạm Thị Lan")
    page.get_by_label("Số căn cước công dân (CCCD)").fill("0311")
    page.get_by_label("Số căn cước công dân (CCCD)").press("Enter")  # submits the form
    page.wait_for_load_state()
    cccd = page.get_by_label("Số căn cước công dân (CCCD)")
    assert cccd.get_attribute("aria-invalid") == "true"
    assert "12 chữ số" in page.locator("#applicant-id_number-loi").inner_text()
    assert page.get_by_label("Họ và tên").input_value() == "Phạm Thị Lan"
    assert page.get_by_role("alert").count() >= 1
    check_accessible(page, "nop-ho-so errors")
