"""The national portal connector's screens in the browser, with the portal simulator
as a process of the installation: the administrator sees the portal out of reach and
a counter dossier's status owed, then sent once it is back (and the counter sees the
same on the dossier's page); a status the portal refuses is parked and sent again
with "Gửi lại"; the catalogue page shows how the national catalogue differs from
ours, "Xem trước" says what would expire and "Đồng bộ ngay" applies it. The
catalogue's changes touch only procedures of this file, imported first, and the
simulator's catalogue is put back after."""

import json
import re
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from devtools.portal_sim import national_entry
from shared import national_portal
from tests.helpers import wait_for
from tests.system import ADMIN, AGENCY, COUNTER, PORTAL_SECRET, call, dossier_body, submit
from tests.web.conftest import Staff, check_accessible, screenshot

GONE = "1.099131"  # removed from the national catalogue: it expires here
CHANGED = "1.099132"  # renamed, a paper added upstream: a new version here


def procedure(code, name):
    return {
        "code": code,
        "name": name,
        "field": "Thử nghiệm",
        "online_service": "partial",
        "agency_code": AGENCY,
        "duration_days": 3,
        "route": [{"department": "TCKH", "days": 3}],
        "documents": ["Giấy đề nghị"],
        "return_methods": ["counter"],
        "supplement_clock": "restart",
        "effective_from": "2026-01-01",
    }


@pytest.fixture(scope="module")
def portal_sim(system):
    """The simulator, started once; left up and with its own catalogue at the end."""
    if "portal-sim" not in system.processes:
        system.start("portal-sim")
        system.wait_healthy(["portal-sim"])
    url = f"http://127.0.0.1:{system.portal_sim_port}"
    before = requests.get(f"{url}/control/catalog", timeout=5).json()
    yield url
    requests.post(f"{url}/control/up", timeout=5)
    requests.put(f"{url}/control/catalog", json=before, timeout=5)


@pytest.fixture
def portal(portal_sim):
    for path, body in (
        ("/control/up", None),
        ("/control/slow", {"seconds": 0}),
        ("/control/errors", {"count": 0, "rate": 0}),
    ):
        requests.post(portal_sim + path, json=body, timeout=5).raise_for_status()
    return portal_sim


def overview(system):
    answer = call("GET", system.url("portal", "/api/portal/overview"), headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()


def told(system, code):
    """What the connector holds for the dossier: [(number, sent_at, parked_at)]."""
    answer = call("GET", system.url("portal", "/api/portal/statuses"), params={"dossier_code": code}, headers=COUNTER)
    if answer.status_code == 404:
        return []
    return [(s["number"], s["sent_at"], s["parked_at"]) for s in answer.json()["statuses"]]


def at_the_portal(portal, code):
    answer = requests.get(f"{portal}/control/statuses", params={"dossier_code": code}, timeout=5)
    return [s["status"] for s in answer.json()["statuses"]]


def count(page, name):
    return int(page.locator(f'[data-count="{name}"]').inner_text())


def test_the_administrator_sees_the_portal_down_with_statuses_owed_and_sent_once_it_is_back(system, portal, signed_in):
    requests.post(f"{portal}/control/down", timeout=5).raise_for_status()
    code = submit(system, dossier_body())
    # received at the counter (2), then taken up by its department (4)
    wait_for(lambda: [t[0] for t in told(system, code)] == [2, 4], message=f"statuses 2, 4 of {code} kept")
    wait_for(lambda: not overview(system)["portal"]["reachable"], message="the connector finds the portal down")

    admin = signed_in("quantri.test")
    admin.locator("nav.admin-nav").get_by_role("link", name="Cổng Dịch vụ công quốc gia").click()
    expect(admin.locator("h1")).to_have_text("Kết nối Cổng Dịch vụ công quốc gia")
    expect(admin.locator(".portal-reach")).to_contain_text("Không kết nối được với Cổng Dịch vụ công quốc gia từ")
    assert count(admin, "owed") >= 1
    sent_before = count(admin, "sent")
    check_accessible(admin, "cong-dvc-mat-ket-noi")
    screenshot(admin, "cong-dvc")

    counter = signed_in("quay.test")
    counter.goto(f"/quay/ho-so/{code}")
    told_here = counter.locator("section.portal-sent")
    expect(told_here.locator("h2")).to_have_text("Cổng Dịch vụ công quốc gia")
    rows = told_here.locator("dl > div")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("2. Được tiếp nhận")
    expect(rows.last).to_contain_text("4. Đang xử lý")
    for row in rows.all():
        expect(row.locator("dd")).to_have_text("Đang chờ gửi")

    requests.post(f"{portal}/control/up", timeout=5).raise_for_status()
    wait_for(lambda: at_the_portal(portal, code) == [2, 4], timeout=30, message=f"2, 4 of {code} at the portal")
    wait_for(lambda: overview(system)["portal"]["reachable"], message="the connector finds the portal back")
    admin.reload()
    expect(admin.locator(".portal-reach")).to_contain_text("Đang kết nối bình thường")
    assert count(admin, "sent") > sent_before

    counter.reload()
    expect(told_here).not_to_contain_text("Đang chờ gửi")
    for row in rows.all():
        expect(row.locator("dd")).to_have_text(re.compile(r"Đã gửi lúc \d\d:\d\d \d\d/\d\d/\d{4}"))
    check_accessible(counter, "quay-ho-so-cong-dvc")
    screenshot(counter, "quay-ho-so-cong-dvc")


def test_a_status_the_portal_refuses_is_parked_and_sent_again_from_the_page(system, portal, signed_in):
    code = submit(system, dossier_body())
    wait_for(
        lambda: [(n, bool(sent)) for n, sent, _ in told(system, code)] == [(2, True), (4, True)],
        message="statuses 2, 4 sent",
    )
    key = call(
        "GET", system.url("portal", "/api/portal/statuses"), params={"dossier_code": code}, headers=COUNTER
    ).json()["statuses"][0]["dossier_key"]
    seq = 3
    # the portal already holds another status under the dossier's next status_id: it
    # refuses the withdrawal's as a conflict, which trying again cannot mend
    record = {
        "status_id": national_portal.status_id(key, seq),
        "dossier_key": key,
        "seq": seq,
        "dossier_code": code,
        "status": 9,
        "status_name": national_portal.NUMBERS[9],
        "at": datetime.now(UTC).isoformat(),
        "agency_code": AGENCY,
        "procedure_code": "2.000635",
    }
    body = json.dumps(record).encode()
    headers = {**national_portal.signed_headers(PORTAL_SECRET, body), "Content-Type": "application/json"}
    planted = requests.post(portal + national_portal.STATUSES_PATH, data=body, headers=headers, timeout=5)
    assert planted.status_code == 200, planted.text
    withdrawn = call(
        "POST",
        system.url("intake", f"/api/dossiers/{code}/withdraw"),
        json={"reason": "Người nộp đề nghị rút hồ sơ"},
        headers=COUNTER,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    parked = wait_for(
        lambda: next((p for n, _, p in told(system, code) if n == 7 and p), None), message="status 7 parked"
    )

    admin = signed_in("quantri.test")
    admin.goto("/quan-tri/cong-dvc")
    row = admin.locator("table.portal-parked tbody tr", has_text=code)
    expect(row).to_contain_text("7. Công dân yêu cầu rút hồ sơ")
    assert count(admin, "parked") >= 1
    check_accessible(admin, "cong-dvc-bi-giu")
    screenshot(admin, "cong-dvc-bi-giu")

    counter = signed_in("quay.test")
    counter.goto(f"/quay/ho-so/{code}")
    withdrawal = counter.locator("section.portal-sent dl > div", has_text="7. Công dân yêu cầu rút hồ sơ")
    expect(withdrawal.locator("dd")).to_contain_text("Bị giữ lại")

    row.get_by_role("button", name=re.compile("Gửi lại")).click()
    resent = f"Đã đưa trạng thái 7 “Công dân yêu cầu rút hồ sơ” của hồ sơ {code}"
    expect(admin.locator(".flash")).to_contain_text(resent)
    # sent again: refused again by the portal, and parked anew
    wait_for(lambda: any(n == 7 and p and p != parked for n, _, p in told(system, code)), message="status 7 sent again")


def offered(system):
    return call("GET", system.url("intake", "/api/procedures")).json()["procedures"]


def test_the_catalogue_page_shows_the_differences_previews_the_pull_and_applies_it(system, portal, signed_in):
    mine = [procedure(GONE, "Thủ tục thử bị bỏ trên CSDL quốc gia"), procedure(CHANGED, "Thủ tục thử được sửa")]
    imported = call("POST", system.url("intake", "/api/procedures/import"), json={"procedures": mine}, headers=ADMIN)
    assert imported.status_code == 200, imported.text
    mirror = [national_entry(p) for p in offered(system)]
    requests.put(f"{portal}/control/catalog", json={"procedures": mirror}, timeout=5).raise_for_status()
    # in step, one real pull: it changes nothing, and the connector's nightly pull will
    # not run today in the middle of the test
    in_step = call(
        "POST", system.url("portal", "/api/portal/catalog/pull"), json={"dry_run": False}, headers=ADMIN
    ).json()
    assert in_step["outcome"] == "nothing_to_do", in_step

    upstream = []
    for entry in mirror:
        if entry["code"] == CHANGED:
            entry = {**entry, "name": "Thủ tục thử được sửa (sửa đổi)", "documents": ["Giấy đề nghị", "Bản sao CCCD"]}
        if entry["code"] != GONE:
            upstream.append(entry)
    requests.put(f"{portal}/control/catalog", json={"procedures": upstream}, timeout=5).raise_for_status()

    page = signed_in("quantri.test")
    page.goto("/quan-tri/cong-dvc")
    page.get_by_role("link", name="Đồng bộ danh mục với CSDL quốc gia").click()
    expect(page.locator("h1")).to_have_text("Đồng bộ danh mục với CSDL quốc gia")
    differences = page.locator("table.catalogue-differences tbody")
    expect(differences.locator("tr", has_text=GONE)).to_contain_text("Không còn trên CSDL quốc gia")
    changed = differences.locator("tr", has_text=CHANGED)
    expect(changed).to_contain_text("Khác nội dung")
    expect(changed).to_contain_text(
        "Tên thủ tục: tại đây “Thủ tục thử được sửa”; CSDL quốc gia “Thủ tục thử được sửa (sửa đổi)”"
    )
    expect(changed).to_contain_text("CSDL quốc gia “Giấy đề nghị; Bản sao CCCD”")
    check_accessible(page, "cong-dvc-danh-muc")

    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator(".flash")).to_contain_text("Xem trước (chưa thay đổi gì): 1 thủ tục sẽ hết hiệu lực")
    report = page.locator("section.pull-report")
    expect(report.locator("h2")).to_contain_text("Kết quả xem trước")
    expect(report.locator("table.pull-expired")).to_contain_text(GONE)
    expect(report.locator("table.pull-changed")).to_contain_text(CHANGED)
    assert GONE in {p["code"] for p in offered(system)}  # a preview changes nothing
    check_accessible(page, "cong-dvc-xem-truoc")
    screenshot(page, "cong-dvc-danh-muc")

    page.get_by_role("button", name="Đồng bộ ngay").click()
    expect(page.locator(".flash")).to_contain_text("Đã đồng bộ danh mục với CSDL quốc gia: 1 thủ tục hết hiệu lực")
    expect(report.locator("h2")).to_contain_text("Kết quả đồng bộ")
    expect(report.locator("table.pull-expired")).to_contain_text(GONE)
    now_offered = {p["code"]: p for p in offered(system)}
    assert GONE not in now_offered
    assert now_offered[CHANGED]["name"] == "Thủ tục thử được sửa (sửa đổi)"
    expect(page.locator("table.catalogue-differences")).to_have_count(0)  # in step again
    pulls = page.locator("table.catalogue-pulls tbody tr")
    expect(pulls.first).to_contain_text("quantri.test")
    expect(pulls.first).to_contain_text("Đồng bộ")
    expect(pulls.nth(1)).to_contain_text("Xem trước")


def test_bad_forms_are_refused_with_a_message_and_the_connector_down_takes_no_page_with_it(
    system, portal, signed_in, web_url
):
    staff = Staff(web_url)
    assert staff.sign_in("quantri.test").status_code == 303
    token = staff.csrf("/quan-tri/cong-dvc")
    no_status = staff.http.post(f"{web_url}/quan-tri/cong-dvc/gui-lai", data={"csrf_token": token}, timeout=10)
    assert no_status.status_code == 400
    assert "Chưa chọn trạng thái cần gửi lại" in no_status.text
    unknown = staff.http.post(
        f"{web_url}/quan-tri/cong-dvc/gui-lai",
        data={"csrf_token": token, "dossier_key": "KHONG-CO", "seq": "1"},
        timeout=10,
    )
    assert unknown.url.endswith("/quan-tri/cong-dvc#bi-giu")  # back to the page, which says why
    assert "Không gửi lại được trạng thái KHONG-CO/1" in unknown.text
    no_button = staff.http.post(f"{web_url}/quan-tri/cong-dvc/danh-muc", data={"csrf_token": token}, timeout=10)
    assert no_button.status_code == 400
    assert "Chọn “Xem trước” hoặc “Đồng bộ ngay”" in no_button.text
    forged = staff.http.post(f"{web_url}/quan-tri/cong-dvc/danh-muc", data={"chay": "dong-bo"}, timeout=10)
    assert forged.status_code == 403

    code = submit(system, dossier_body())
    wait_for(lambda: told(system, code), message=f"a status of {code} kept")
    system.kill("portal")
    try:
        admin = signed_in("quantri.test")
        admin.goto("/quan-tri/cong-dvc")
        expect(admin.locator("h1")).to_have_text("Kết nối Cổng Dịch vụ công quốc gia")
        expect(admin.locator(".problem")).to_contain_text("kết nối Cổng Dịch vụ công quốc gia tạm thời không trả lời")
        check_accessible(admin, "cong-dvc-khong-tra-loi")
        admin.goto("/quan-tri/cong-dvc/danh-muc")
        expect(admin.locator("h1")).to_have_text("Đồng bộ danh mục với CSDL quốc gia")
        expect(admin.locator("section", has_text="Khác biệt so với CSDL quốc gia")).to_contain_text(
            "Chưa lập được báo cáo"
        )
        admin.get_by_role("button", name="Xem trước").click()
        expect(admin.locator(".problem")).to_contain_text("Chưa đồng bộ được danh mục")

        counter = signed_in("quay.test")
        counter.goto(f"/quay/ho-so/{code}")
        expect(counter.locator("h1")).to_contain_text(code)
        expect(counter.locator("section.portal-sent")).to_have_count(0)
    finally:
        system.restart("portal")
