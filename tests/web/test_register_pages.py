"""The register's screens as the staff use them: the counter finds a dossier in the
register by a name typed without accents and pages through the results, an officer
sees only their department's dossiers, the tracking book shows today's dossier and
downloads as CSV and Excel, the statistics page draws its three charts with the
API's totals, and the catalogue report says the province's headline."""

import io
import random
import re

import openpyxl
import requests

from tests.helpers import wait_for
from tests.system import ADMIN, dossier_body, officer, submit
from tests.web.conftest import PHONE_SCREEN, check_accessible, screenshot

EXTRACT = "2.000635"  # Cấp bản sao trích lục hộ tịch: TUPHAP
BUSINESS = "1.000105"  # Đăng ký thành lập hộ kinh doanh: TCKH
LETTERS = "abcdeghiklmnopqrstuvxy"
FIRST_DAY_OF_MONTH = "2026-11-01"  # the installation's clock: 26/11/2026


def unique_word():
    return "".join(random.choice(LETTERS) for _ in range(8)).capitalize()


def received(system, full_name, procedure=EXTRACT):
    """A dossier received at the counter (through intake's API) for `full_name`: its code."""
    body = dossier_body(procedure)
    id_number = "031" + "".join(random.choice("0123456789") for _ in range(9))
    return submit(system, {**body, "applicant": {**body["applicant"], "full_name": full_name, "id_number": id_number}})


def intake(system, path, **params):
    answer = requests.get(system.url("intake", path), params=params, headers=ADMIN, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def listed(system, headers, **params):
    answer = requests.get(system.url("intake", "/api/dossiers"), params=params, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["dossiers"]


def go(page, path):
    answer = page.goto(path)
    assert answer.status == 200, (path, answer.status)
    return page


def codes_listed(page):
    return page.locator("table.register tbody th").all_inner_texts()


def test_the_counter_finds_a_dossier_by_a_name_without_accents_and_pages_through(system, signed_in):
    word = unique_word()
    codes = [received(system, f"Nguyễn Văn An {word}") for _ in range(3)]
    page = signed_in("quay.test")
    page.get_by_role("link", name="Sổ đăng ký hồ sơ").click()
    page.wait_for_url("**/so-dang-ky")
    assert page.get_by_role("heading", level=1).inner_text() == "Tra cứu sổ đăng ký hồ sơ"
    page.get_by_label("Mã hồ sơ, số tham chiếu, tên người nộp hoặc số giấy tờ").fill(f"nguyen van an {word.lower()}")
    page.get_by_label("Kênh nộp").select_option("counter")
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_url("**/so-dang-ky?*")
    table = page.locator("table.register")
    assert sorted(t.strip() for t in codes_listed(page)) == sorted(codes)
    assert f"Nguyễn Văn An {word}" in table.inner_text() and "Tại quầy" in table.inner_text()
    assert table.locator(".badge").count() == 3  # the status in words
    check_accessible(page, "so-dang-ky")
    screenshot(page, "so-dang-ky")

    # two a page: the newest two, then the last one through "Trang sau" with the same filters
    go(page, f"/so-dang-ky?q=nguyen+van+an+{word.lower()}&channel=counter&limit=2")
    first = [t.strip() for t in codes_listed(page)]
    assert first == codes[:0:-1]
    page.get_by_role("link", name="Trang sau").click()
    page.wait_for_url("**after=*")
    assert [t.strip() for t in codes_listed(page)] == [codes[0]]
    assert page.get_by_role("link", name="Trang sau").count() == 0
    assert page.get_by_label("Kênh nộp").input_value() == "counter"

    page.get_by_role("link", name=codes[0]).click()
    page.wait_for_url(f"**/quay/ho-so/{codes[0]}")

    # a day that is none: said beside its field, no stack trace
    answer = page.goto("/so-dang-ky?received_from=2026-13-45")
    assert answer.status == 400
    assert page.locator("#received_from-loi").inner_text().strip() != ""
    assert page.get_by_label("Tiếp nhận từ ngày").get_attribute("aria-invalid") == "true"


def test_an_officer_finds_only_the_dossiers_of_their_department(system, signed_in):
    word = unique_word()
    extract = received(system, f"Lê Thị {word}", EXTRACT)
    business = received(system, f"Lê Thị {word}", BUSINESS)
    wait_for(lambda: listed(system, officer("TUPHAP"), q=word), message="TUPHAP holds the dossier")
    page = signed_in("tuphap.test")
    page.get_by_role("link", name="Sổ đăng ký hồ sơ").click()
    page.wait_for_url("**/so-dang-ky")
    page.get_by_label("Mã hồ sơ, số tham chiếu, tên người nộp hoặc số giấy tờ").fill(word)
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_url("**/so-dang-ky?*")
    assert [t.strip() for t in codes_listed(page)] == [extract]
    assert business not in page.locator("main").inner_text()
    href = page.get_by_role("link", name=extract).get_attribute("href")
    assert href == f"/phong/TUPHAP/ho-so/{extract}"
    check_accessible(page, "so-dang-ky officer")


def test_the_tracking_book_shows_today_s_dossier_and_downloads_it(system, signed_in):
    code = received(system, f"Phạm Văn {unique_word()}")
    page = signed_in("quay.test")
    page.get_by_role("link", name="Sổ theo dõi").click()
    page.wait_for_url("**/so-theo-doi")
    assert page.get_by_label("Tiếp nhận từ ngày").input_value() == FIRST_DAY_OF_MONTH
    row = page.locator("table.book tbody tr").filter(has_text=code)
    assert row.count() == 1 and "26/11/2026" in row.inner_text()
    check_accessible(page, "so-theo-doi")
    screenshot(page, "so-theo-doi")

    csv = page.request.get(page.get_by_role("link", name="Tải CSV").get_attribute("href"))
    assert csv.status == 200 and csv.headers["content-disposition"].startswith("attachment")
    assert ".csv" in csv.headers["content-disposition"]
    assert code in csv.body().decode("utf-8-sig")

    xlsx = page.request.get(page.get_by_role("link", name="Tải Excel").get_attribute("href"))
    assert xlsx.status == 200 and ".xlsx" in xlsx.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.body())).active
    assert code in {cell for row in sheet.iter_rows(values_only=True) for cell in row}

    printable = page.request.get(page.locator("a", has_text="Bản in").get_attribute("href"))
    assert printable.status == 200 and "SỔ THEO DÕI HỒ SƠ" in printable.text() and code in printable.text()


def test_the_statistics_page_draws_its_charts_and_totals_the_api_s_figures(system, signed_in):
    received(system, f"Đỗ Văn {unique_word()}")
    page = signed_in("quantri.test")
    page.get_by_role("navigation", name="Các mục quản trị").get_by_role("link", name="Thống kê").click()
    page.wait_for_url("**/quan-tri/thong-ke")
    assert page.get_by_role("heading", level=1).inner_text() == "Thống kê tình hình giải quyết hồ sơ (Biểu 06)"
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    for key in ("bieu-do-thang", "bieu-do-dung-han", "bieu-do-qua-han"):
        chart = page.locator(f"svg#{key}")
        caption = page.locator(f"#{key}-caption").inner_text()
        assert chart.get_attribute("role") == "img" and chart.locator("title").first.text_content() == caption
    assert page.locator("svg#bieu-do-thang rect.bar").count() > 0  # this year has dossiers: bars, not "no figures"

    api = intake(system, "/api/reports/summary", **{"from": "2026-01-01", "to": "2026-11-26", "group_by": "field"})
    total = page.locator("table.summary tfoot tr")
    for key in ("received", "resolved", "in_progress", "in_progress_overdue"):
        shown = total.locator(f'td[data-figure="{key}"]').inner_text()
        assert int(shown.replace(".", "")) == api["total"][key], key
    assert page.locator("table.summary tbody tr").count() == len(api["groups"])
    assert api["total"]["received"] > 0
    check_accessible(page, "quan-tri/thong-ke")
    screenshot(page, "quan-tri-thong-ke")

    csv = page.request.get(page.get_by_role("link", name="Tải CSV").get_attribute("href"))
    assert csv.status == 200 and "attachment" in csv.headers["content-disposition"]

    # on a phone the charts shrink to the screen and the wide table scrolls inside its frame
    page.set_viewport_size(PHONE_SCREEN)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]

    answer = page.goto("/quan-tri/thong-ke?group_by=nam")
    assert answer.status == 400 and page.locator("#group_by-loi").inner_text().strip() != ""


def test_the_catalogue_report_says_the_headline(system, signed_in):
    page = signed_in("quantri.test")
    go(page, "/quan-tri/thu-tuc")
    page.get_by_role("link", name="Báo cáo danh mục thủ tục").click()
    page.wait_for_url("**/quan-tri/danh-muc/bao-cao")
    api = intake(system, "/api/procedures/report", on="2026-11-26")
    h = api["headline"]
    headline = re.sub(r"\s+", " ", page.locator(".headline").inner_text())
    assert (
        f"{h['online_services']} dịch vụ công trực tuyến, trong đó {h['online_partial']} một phần "
        f"và {h['online_full']} toàn trình" in headline
    )
    assert f"{h['postal_reception']} thủ tục tiếp nhận hồ sơ và {h['postal_return']} thủ tục trả kết quả" in headline
    assert page.locator("#cung-cap-sau-het-hieu-luc-bang").inner_text() == "Không có."
    assert page.locator("table.by-agency-field tbody tr").count() == len(api["by_agency_field"])
    check_accessible(page, "quan-tri/danh-muc/bao-cao")
