"""The printable forms of Circular 01/2018/TT-VPCP that intake answers (issue 13,
item 9): Form 01 with the agency's configuration and the sets received, Form 02 with
every item to complete and its reason, Form 03 with the reason of the refusal. The
rules on fake repositories, the pages rendered straight from the templates."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.intake import application
from services.intake.adapters import pages
from services.intake.domain.errors import DossierIncomplete, FormNotAvailable, InvalidCatalogue
from services.intake.domain.model import Actor, Agency
from services.intake.schemas import catalogue_file
from shared import clock
from shared.errors import http_error
from shared.events import EventType
from tests.unit.intake.fakes import FakeIntakeWork, work_with_demo_catalogue
from tests.unit.intake.test_applicants import FOREIGNER, ORGANISATION, submission

AGENCY = "000.00.06.H56"
COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
PORTAL = Actor(sub="dichvucong", role="portal")
THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)
LE_CHAN = Agency(AGENCY, "Ủy ban nhân dân quận Lê Chân", "Số 1 Đinh Tiên Hoàng, Lê Chân", "Hải Phòng", "CHỦ TỊCH")


@pytest.fixture
def work() -> FakeIntakeWork:
    return work_with_demo_catalogue(THURSDAY_MORNING.date())


def procedure(work: FakeIntakeWork, code: str):
    return work.procedures.get(code).in_effect(THURSDAY_MORNING.date())


def test_form_01_names_the_configured_agency_its_place_and_the_sets_received(work: FakeIntakeWork) -> None:
    """Circular 01/2018/TT-VPCP Form 01: the receiving agency, "<place>, ngày ... tháng ...
    năm ...", and the number of sets ("Số lượng hồ sơ: 02 bộ")."""
    dossier, version = application.submit(work, submission(ORGANISATION, sets=2), COUNTER, THURSDAY_MORNING)
    html = pages.receipt(dossier, version, "http://127.0.0.1:8001", LE_CHAN)
    assert "ỦY BAN NHÂN DÂN QUẬN LÊ CHÂN" in html and "Số 1 Đinh Tiên Hoàng, Lê Chân" in html
    assert "Hải Phòng, ngày 26 tháng 11 năm 2026" in html
    assert '<span id="sets">02</span> bộ' in html
    assert "Công ty TNHH Cảng Xanh" in html and "0201234567" in html and "Phạm Minh Đức" in html
    assert "031085001111" not in html  # the representative's CCCD is personal data
    assert "@page { size: A4" in html and "@media print" in html
    unconfigured = pages.receipt(dossier, version, "http://127.0.0.1:8001", Agency.unconfigured(AGENCY))
    assert "Hải Phòng" not in unconfigured.split("<body>")[1].split("Mã hồ sơ")[0]  # no fixed place any more


def test_form_02_lists_the_counters_guidance_with_reasons(work: FakeIntakeWork) -> None:
    """Decree 61/2018/NĐ-CP Art. 15-20, Circular 01/2018 Form 02: one-time complete
    guidance, every item missing with its reason, kept so the form can be printed."""
    dossier, _ = application.submit(
        work,
        submission(
            FOREIGNER,
            channel="online",
            procedure_code="1.001776",
            documents=[{"name": "Đơn đề nghị cấp giấy phép xây dựng", "copies": 1}],
        ),
        PORTAL,
        THURSDAY_MORNING,
    )
    work.commit()
    with pytest.raises(FormNotAvailable) as none_yet:
        dossier.require_form("02")
    assert http_error(none_yet.value)[:2] == (409, "form_not_available")
    marked = ["Đơn đề nghị cấp giấy phép xây dựng"]
    with pytest.raises(DossierIncomplete):
        application.accept(work, dossier.code, marked, "Đơn chưa ký", COUNTER, THURSDAY_MORNING)
    application.keep_guidance(work, dossier.code, marked, "Đơn chưa ký", COUNTER, THURSDAY_MORNING)
    assert work.commit() == [] and dossier.status == "submitted"
    dossier.require_form("02")
    html = pages.supplement_request(dossier, procedure(work, "1.001776"), LE_CHAN)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in html and "Kính gửi: <b" in html and "Kim Min-jun" in html
    for item, reason in [
        ("Đơn đề nghị cấp giấy phép xây dựng", "Chưa đạt yêu cầu (cán bộ tiếp nhận đánh dấu)"),
        ("Bản sao giấy tờ về quyền sử dụng đất", "Chưa có trong hồ sơ"),
        ("Bản vẽ thiết kế", "Chưa có trong hồ sơ"),
    ]:
        assert f"<td>{item}</td><td>{reason}</td>" in html
    assert "Đơn chưa ký" in html and "canbo.motcua" in html and "Cổng dịch vụ công" in html
    assert "M12345678" not in html  # the passport number is masked


def test_form_02_lists_a_departments_request_with_its_reasons(work: FakeIntakeWork) -> None:
    """Decree 61/2018/NĐ-CP Art. 15-20: processing's supplement_requested (items with
    reasons) is what the applicant is asked for on Form 02."""
    dossier, version = application.submit(work, submission(ORGANISATION), COUNTER, THURSDAY_MORNING)
    at = THURSDAY_MORNING.replace(hour=10)
    items = [{"name": "Bản vẽ mặt bằng", "reason": "Thiếu chữ ký của chủ đầu tư"}]
    application.follow(work, EventType.PROCESSING_STARTED, dossier.code, {"department": "TUPHAP", "step": 1}, at)
    application.follow(work, EventType.SUPPLEMENT_REQUESTED, dossier.code, {"department": "TUPHAP", "items": items}, at)
    assert dossier.status == "supplement_requested"
    html = pages.supplement_request(dossier, version, LE_CHAN)
    assert "<td>Bản vẽ mặt bằng</td><td>Thiếu chữ ký của chủ đầu tư</td>" in html
    assert "Đơn vị xử lý TUPHAP" in html and "Hải Phòng, ngày 26 tháng 11 năm 2026" in html


def test_form_03_exists_only_for_a_refused_dossier_and_gives_the_reason(work: FakeIntakeWork) -> None:
    """Circular 01/2018/TT-VPCP Form 03 (Phiếu từ chối tiếp nhận giải quyết hồ sơ), with the reason."""
    received, _ = application.submit(work, submission(ORGANISATION), COUNTER, THURSDAY_MORNING)
    with pytest.raises(FormNotAvailable) as not_refused:
        received.require_form("03")
    assert http_error(not_refused.value)[:2] == (409, "form_not_available")
    dossier, version = application.submit(work, submission(FOREIGNER, channel="online"), PORTAL, THURSDAY_MORNING)
    application.refuse(work, dossier.code, "Không thuộc thẩm quyền giải quyết của quận", COUNTER, THURSDAY_MORNING)
    dossier.require_form("03")
    html = pages.refusal(dossier, version, LE_CHAN, "canbo.motcua", THURSDAY_MORNING)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in html and "Mẫu số 03" in html
    assert "Không thuộc thẩm quyền giải quyết của quận" in html and "Kim Min-jun" in html
    assert "ỦY BAN NHÂN DÂN QUẬN LÊ CHÂN" in html and "@page { size: A4" in html


def test_a_catalogue_file_with_a_bad_agency_is_refused_whole() -> None:
    """The catalogue file is all or nothing, its agencies included (CONTRACT catalogue format)."""
    with pytest.raises(InvalidCatalogue) as refused:
        catalogue_file({"procedures": [], "agencies": [{"code": "H56", "name": ""}, {"code": AGENCY}]})
    problems = refused.value.fields["agencies"]
    assert set(problems["0"]) == {"code", "name"} and set(problems["1"]) == {"name"}
    loaded = catalogue_file({"procedures": [], "agencies": [{"code": AGENCY, "name": "UBND quận Lê Chân"}]})
    assert loaded["agencies"] == [
        {"code": AGENCY, "name": "UBND quận Lê Chân", "address": "", "place": "", "head_title": "THỦ TRƯỞNG CƠ QUAN"}
    ]
