"""Applicants of every kind and the printable forms over HTTP, against the running
services (issue 13, items 8 and 9): an organisation, a foreigner and a representative
registered and looked up by the identifier they filed with; Forms 01, 02 and 03 of
Circular 01/2018/TT-VPCP answered as printable HTML, with the agency's configuration."""

import pytest
import requests

from tests.system import ADMIN, COUNTER, JUST_RECEIVED, dossier_body, submit, token

pytestmark = pytest.mark.e2e

PORTAL = token("portal", sub="dichvucong")
CONTACTS = {"phone": "0912345678", "email": "lienhe@example.vn", "address": "5 Lạch Tray, Hải Phòng"}
ORGANISATION = {
    "kind": "organisation",
    "name": "Công ty TNHH Cảng Xanh",
    "organisation_code": "0201234567",
    "representative": {"full_name": "Phạm Minh Đức", "id_number": "031085001111"},
    **CONTACTS,
}
FOREIGNER = {
    "kind": "foreigner",
    "full_name": "Kim Min-jun",
    "passport_number": "M12345678",
    "nationality": "KR",
    **CONTACTS,
}


def call(system, method, path, headers=None, **kwargs):
    return requests.request(method, system.url("intake", path), headers=headers or {}, timeout=10, **kwargs)


def lookup(system, **body):
    return call(system, "POST", "/api/lookup", json=body)


def assert_printable(page):
    """A page of ours: HTML with its policy and the print stylesheet for A4."""
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'sha256-" in page.headers["Content-Security-Policy"]
    assert "@page { size: A4" in page.text and "@media print" in page.text


def test_an_organisation_with_a_10_digit_enterprise_code_is_accepted_and_looked_up_by_it(system):
    """Issue 13 done-when; Law on Enterprises 2020 Art. 29 (the enterprise code, 10 or 13 digits)."""
    code = submit(system, dossier_body(applicant=ORGANISATION, sets=2))
    view = call(system, "GET", f"/api/dossiers/{code}", COUNTER).json()
    assert view["status"] in JUST_RECEIVED and view["sets"] == 2
    applicant = view["applicant"]
    assert applicant["kind"] == "organisation" and applicant["full_name"] == "Công ty TNHH Cảng Xanh"
    assert applicant["organisation_code"] == "0201234567" and applicant["id_number"] is None
    assert applicant["representative"] == {"full_name": "Phạm Minh Đức", "id_number": "*********111"}
    assert system.scalar("intake", "SELECT organisation_code FROM dossiers WHERE code = :c", c=code) == "0201234567"

    found = lookup(system, code=code, organisation_code="0201234567")
    assert found.status_code == 200 and found.json()["status"] in JUST_RECEIVED
    assert "0201234567" not in found.text
    assert lookup(system, code=code, organisation_code="0201234568").status_code == 404
    assert lookup(system, code=code, id_number="031085001111").status_code == 404  # the representative's: not filed
    both = lookup(system, code=code, organisation_code="0201234567", passport_number="M12345678")
    assert both.status_code == 400 and set(both.json()["error"]["fields"]) == {"organisation_code", "passport_number"}
    wrong = call(
        system, "POST", "/api/dossiers", COUNTER, json=dossier_body(applicant={**ORGANISATION, "id_number": "1"})
    )
    assert wrong.status_code == 400 and "id_number" in wrong.json()["error"]["fields"]["applicant"]


def test_a_foreigner_and_a_representative_are_looked_up_by_the_identifier_filed(system):
    """CONTRACT "Applicants": the lookup takes whichever identifier the dossier was filed
    with; Civil Code 2015 Art. 138: the one acted for may look it up with theirs."""
    foreigner = submit(system, dossier_body(applicant=FOREIGNER))
    assert lookup(system, code=foreigner, passport_number="m12345678").status_code == 200
    assert lookup(system, code=foreigner, passport_number="M12345679").status_code == 404
    masked = call(system, "GET", f"/api/dossiers/{foreigner}", COUNTER).json()["applicant"]
    assert masked["passport_number"] == "******678" and masked["nationality"] == "KR"

    behalf = {
        "full_name": "Lê Thị Mai",
        "id_number": "031190005555",
        "on_behalf_of": FOREIGNER,
        "authorisation": "Giấy ủy quyền số 12/2026/UQ",
        **CONTACTS,
    }
    code = submit(system, dossier_body(applicant=behalf))
    assert lookup(system, code=code, id_number="031190005555").status_code == 200
    assert lookup(system, code=code, passport_number="M12345678").status_code == 200
    view = call(system, "GET", f"/api/dossiers/{code}", COUNTER).json()["applicant"]
    assert view["authorisation"] == "Giấy ủy quyền số 12/2026/UQ"
    assert view["on_behalf_of"]["full_name"] == "Kim Min-jun" and view["on_behalf_of"]["passport_number"] == "******678"
    page = requests.post(
        system.url("intake", "/tra-cuu"), data={"code": foreigner, "passport_number": "M12345678"}, timeout=10
    )
    assert page.status_code == 200 and foreigner in page.text and "M12345678" not in page.text


def test_form_01_takes_the_agencys_name_and_place_from_its_configuration(system):
    """Circular 01/2018/TT-VPCP Form 01: the receiving agency, "<place>, ngày ..." and the sets."""
    agency = {
        "code": "000.00.06.H56",
        "name": "Ủy ban nhân dân quận Lê Chân",
        "address": "Số 1 Đinh Tiên Hoàng, Lê Chân",
        "place": "Hải Phòng",
        "head_title": "CHỦ TỊCH",
    }
    imported = call(system, "POST", "/api/procedures/import", ADMIN, json={"procedures": [], "agencies": [agency]})
    assert imported.status_code == 200, imported.text
    assert imported.json()["agencies"][0]["code"] == "000.00.06.H56"
    code = submit(system, dossier_body(sets=3))
    page = call(system, "GET", f"/api/dossiers/{code}/receipt", COUNTER)
    assert_printable(page)
    assert "ỦY BAN NHÂN DÂN QUẬN LÊ CHÂN" in page.text and "Số 1 Đinh Tiên Hoàng, Lê Chân" in page.text
    assert '<i id="place">Hải Phòng, ngày' in page.text and '<span id="sets">03</span> bộ' in page.text
    bad = call(system, "POST", "/api/procedures/import", ADMIN, json={"procedures": [], "agencies": [{"code": "H56"}]})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_catalogue"


def test_forms_02_and_03_answer_printable_html(system):
    """Issue 13 done-when; Circular 01/2018/TT-VPCP Forms 02 (every item to complete,
    with its reason) and 03 (the refusal with its reason); 409 for a form the dossier
    does not have."""
    first = call(system, "POST", "/api/dossiers", PORTAL, json=dossier_body(channel="online", applicant=FOREIGNER))
    assert first.status_code == 201, first.text
    ref = first.json().get("reference") or first.json()["code"]
    none_yet = call(system, "GET", f"/api/dossiers/{ref}/forms/02", COUNTER)
    assert none_yet.status_code == 409 and none_yet.json()["error"]["code"] == "form_not_available"

    incomplete = call(
        system,
        "POST",
        f"/api/dossiers/{ref}/accept",
        COUNTER,
        json={"missing_documents": ["Tờ khai cấp bản sao trích lục hộ tịch"], "note": "Tờ khai chưa ký"},
    )
    assert incomplete.status_code == 422
    form_02 = call(system, "GET", f"/api/dossiers/{ref}/forms/02", COUNTER)
    assert_printable(form_02)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in form_02.text and "Kim Min-jun" in form_02.text
    assert "<td>Tờ khai cấp bản sao trích lục hộ tịch</td><td>Chưa có trong hồ sơ</td>" in form_02.text
    assert "Tờ khai chưa ký" in form_02.text
    not_refused = call(system, "GET", f"/api/dossiers/{ref}/forms/03", COUNTER)
    assert not_refused.status_code == 409 and not_refused.json()["error"]["code"] == "form_not_available"

    refused = call(system, "POST", f"/api/dossiers/{ref}/refuse", COUNTER, json={"reason": "Không thuộc thẩm quyền"})
    assert refused.status_code == 200, refused.text
    form_03 = call(system, "GET", f"/api/dossiers/{ref}/forms/03", COUNTER)
    assert_printable(form_03)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in form_03.text and "Không thuộc thẩm quyền" in form_03.text
    assert "canbo.motcua" in form_03.text and "M12345678" not in form_03.text
    assert call(system, "GET", f"/api/dossiers/{ref}/forms/03", PORTAL).status_code == 403
