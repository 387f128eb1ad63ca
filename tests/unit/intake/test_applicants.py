"""Applicants who are not a citizen with a CCCD (issue 13, item 8; CONTRACT
"Applicants"): organisations with their enterprise code and legal representative,
foreigners with a passport and nationality, and anyone acting for another under a
written authorisation. Validation, the register, the events and the lookup's
identifiers, on fake repositories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services.intake import application
from services.intake.domain.events import DossierReceived
from services.intake.domain.model import Actor, Agency
from services.intake.schemas import LookupQuery, Submission
from shared import clock, events
from shared.http import ApiError, load
from tests.unit.intake.fakes import FakeIntakeWork, work_with_demo_catalogue
from tests.unit.intake.test_reception import body

AGENCY = "000.00.06.H56"
COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)

CONTACTS = {"phone": "0987654321", "email": "lienhe@example.vn", "address": "5 Lạch Tray, Hải Phòng"}
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
    "passport_number": "m12345678",
    "nationality": "kr",
    **CONTACTS,
}
CITIZEN = {"full_name": "Lê Thị Mai", "id_number": "031190005555", **CONTACTS}


def submission(applicant: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A submission as sent (before schemas.Submission loads it)."""
    return load(Submission, body(applicant=applicant, **overrides))


def errors(applicant: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ApiError) as refused:
        load(Submission, body(applicant=applicant))
    assert refused.value.status == 400 and refused.value.code == "invalid_input"
    fields: dict[str, Any] = refused.value.fields["applicant"]
    return fields


@pytest.fixture
def work() -> FakeIntakeWork:
    return work_with_demo_catalogue(THURSDAY_MORNING.date())


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["0201234567", "0201234567001", "0201234567-001"])
def test_an_organisation_with_a_10_or_13_digit_enterprise_code_is_accepted(code: str) -> None:
    """Law on Enterprises 2020 Art. 29; Circular 105/2020/TT-BTC Art. 5: the enterprise
    code is the tax code, 10 digits, 13 for a branch or dependent unit."""
    applicant = load(Submission, body(applicant={**ORGANISATION, "organisation_code": code}))["applicant"]
    assert applicant["kind"] == "organisation" and applicant["organisation_code"] == code.replace("-", "")
    assert applicant["representative"] == {"full_name": "Phạm Minh Đức", "id_number": "031085001111"}


@pytest.mark.parametrize(
    "code", ["020123456", "02012345670", "020123456700", "02012345670012", "０２０１２３４５６７", "abcdefghij"]
)
def test_other_enterprise_codes_are_refused_in_words(code: str) -> None:
    """Law on Enterprises 2020 Art. 29: 10 or 13 ASCII digits, nothing else."""
    assert "10 hoặc 13 chữ số" in errors({**ORGANISATION, "organisation_code": code})["organisation_code"][0]


def test_an_organisation_needs_its_name_code_and_legal_representative_and_no_cccd_of_its_own() -> None:
    """CONTRACT "Applicants": organisation = name, organisation_code, representative."""
    problems = errors({"kind": "organisation", "full_name": "Công ty X", "id_number": "031085001111", **CONTACTS})
    assert set(problems) == {"name", "organisation_code", "representative", "full_name", "id_number"}
    assert problems["name"] == ["Bắt buộc nhập khi người nộp là tổ chức"]
    assert problems["id_number"] == ["Chỉ dùng khi người nộp là công dân, không dùng cho tổ chức"]
    representative = errors({**ORGANISATION, "representative": {"full_name": "Phạm Minh Đức", "id_number": "1"}})
    assert "12 chữ số" in representative["representative"]["id_number"][0]


def test_a_foreigner_files_with_a_passport_and_a_real_nationality() -> None:
    """CONTRACT "Applicants": foreigner = full_name, passport_number, nationality (ISO 3166-1 alpha-2)."""
    applicant = load(Submission, body(applicant=FOREIGNER))["applicant"]
    assert (applicant["passport_number"], applicant["nationality"]) == ("M12345678", "KR")  # one spelling
    problems = errors({**FOREIGNER, "passport_number": "M12345678", "nationality": "XK"})
    assert problems["nationality"] == ["Quốc tịch ghi bằng mã quốc gia ISO 3166-1 gồm 2 chữ cái, ví dụ US, KR, JP, FR"]
    for passport in ("M1234", "M12345678901234", "M1234567Đ", "M1234 567"):
        assert "6 đến 12" in errors({**FOREIGNER, "passport_number": passport})["passport_number"][0]
    assert set(errors({"kind": "foreigner", "full_name": "Kim Min-jun"})) == {"passport_number", "nationality"}
    assert "citizen, organisation hoặc foreigner" in errors({**FOREIGNER, "kind": "alien"})["kind"][0]


def test_a_citizen_stays_the_default_kind_as_before() -> None:
    applicant = load(Submission, body())["applicant"]
    assert applicant["kind"] == "citizen" and applicant["id_number"] == "031090004321"
    assert errors({"full_name": "Lê Thị Mai"})["id_number"] == ["Bắt buộc nhập khi người nộp là công dân"]
    assert "Chỉ dùng khi" in errors({**CITIZEN, "passport_number": "M12345678"})["passport_number"][0]


def test_acting_for_someone_needs_the_authorisation_document_named() -> None:
    """Civil Code 2015 Art. 138: a representative acts under an authorisation, which the
    dossier lists; the one acted for is an applicant of any kind."""
    data = load(
        Submission,
        body(applicant={**CITIZEN, "on_behalf_of": ORGANISATION, "authorisation": "Giấy ủy quyền số 12/2026/UQ"}),
    )["applicant"]
    assert data["on_behalf_of"]["organisation_code"] == "0201234567"
    assert data["authorisation"] == "Giấy ủy quyền số 12/2026/UQ"
    unnamed = errors({**CITIZEN, "on_behalf_of": FOREIGNER})
    assert unnamed["authorisation"] == ["Cần ghi tên giấy tờ ủy quyền khi nộp hồ sơ thay cho người khác"]
    nobody = errors({**CITIZEN, "authorisation": "Giấy ủy quyền"})
    assert nobody["on_behalf_of"] == ["Giấy ủy quyền cần ghi rõ người ủy quyền (on_behalf_of)"]
    invalid_principal = errors({**CITIZEN, "on_behalf_of": {"kind": "foreigner"}, "authorisation": "Giấy ủy quyền"})
    assert set(invalid_principal["on_behalf_of"]) == {"full_name", "passport_number", "nationality"}
    nested = errors({**CITIZEN, "on_behalf_of": {**CITIZEN, "on_behalf_of": CITIZEN}, "authorisation": "Giấy ủy quyền"})
    assert "on_behalf_of" in nested["on_behalf_of"]  # one level: the principal acts for nobody else


def test_the_lookup_takes_exactly_one_identifier_of_the_kinds_filed() -> None:
    """CONTRACT "Applicants": the lookup takes id_number, organisation_code or passport_number."""
    code = "000.00.06.H56-261126-0001"
    assert load(LookupQuery, {"code": code, "organisation_code": "0201234567-001"}) == {
        "code": code,
        "field": "organisation_code",
        "value": "0201234567001",
    }
    assert load(LookupQuery, {"code": code, "passport_number": "m12345678"})["value"] == "M12345678"
    assert load(LookupQuery, {"code": code, "id_number": "031190005555"})["field"] == "id_number"
    with pytest.raises(ApiError) as none:
        load(LookupQuery, {"code": code})
    assert "id_number" in none.value.fields
    with pytest.raises(ApiError) as two:
        load(LookupQuery, {"code": code, "id_number": "031190005555", "passport_number": "M12345678"})
    assert set(two.value.fields) == {"id_number", "passport_number"}


# --- the register and the events ------------------------------------------------------------


def test_an_organisation_dossier_is_registered_with_its_code_and_named_in_dossier_received(
    work: FakeIntakeWork,
) -> None:
    """Issue 13 item 8; Form 04 of processing addresses the applicant by name: the
    event carries the organisation's name, the kind, and the signing agency."""
    work.agencies.add(Agency(AGENCY, "Ủy ban nhân dân quận Lê Chân", "1 Đinh Tiên Hoàng", "Hải Phòng", "CHỦ TỊCH"))
    dossier, _ = application.submit(work, submission(ORGANISATION, sets=2), COUNTER, THURSDAY_MORNING)
    [event] = work.commit()
    assert dossier.status == "received" and dossier.applicant_kind == "organisation"
    assert (dossier.applicant_name, dossier.organisation_code, dossier.id_number) == (
        "Công ty TNHH Cảng Xanh",
        "0201234567",
        None,
    )
    assert dossier.representative == {"full_name": "Phạm Minh Đức", "id_number": "031085001111"}
    assert dossier.sets == 2 and dossier.identifier() == "0201234567"
    assert isinstance(event, DossierReceived)
    data = event.data()
    assert data["applicant_name"] == "Công ty TNHH Cảng Xanh" and data["applicant_kind"] == "organisation"
    assert data["agency"] == {
        "code": AGENCY,
        "name": "Ủy ban nhân dân quận Lê Chân",
        "head_title": "CHỦ TỊCH",
        "place": "Hải Phòng",
    }
    # the contract's schema takes the new fields and still loads an event without them
    envelope = events.envelope("dossier_received", dossier.code, data, source="intake")
    assert events.load(envelope)["data"]["agency"]["head_title"] == "CHỦ TỊCH"
    old = {k: v for k, v in envelope["data"].items() if k not in ("applicant_name", "applicant_kind", "agency")}
    assert events.load({**envelope, "data": old})["data"]["applicant_kind"] == "citizen"


def test_an_unconfigured_agency_signs_with_its_code(work: FakeIntakeWork) -> None:
    dossier, _ = application.submit(work, submission(FOREIGNER), COUNTER, THURSDAY_MORNING)
    [event] = work.commit()
    assert dossier.passport_number == "M12345678" and dossier.nationality == "KR" and dossier.id_number is None
    assert event.data()["applicant_name"] == "Kim Min-jun" and event.data()["applicant_kind"] == "foreigner"
    assert event.data()["agency"]["name"] == AGENCY and event.data()["agency"]["head_title"] == "THỦ TRƯỞNG CƠ QUAN"


def test_a_representative_files_for_a_foreigner_with_the_authorisation_kept(work: FakeIntakeWork) -> None:
    """Civil Code 2015 Art. 138: the dossier keeps who acts, for whom, and under which document."""
    applicant = {**CITIZEN, "on_behalf_of": FOREIGNER, "authorisation": "Hợp đồng ủy quyền công chứng số 88"}
    dossier, _ = application.submit(work, submission(applicant), COUNTER, THURSDAY_MORNING)
    assert dossier.applicant_kind == "citizen" and dossier.id_number == "031190005555"
    assert dossier.on_behalf_of is not None and dossier.on_behalf_of["passport_number"] == "M12345678"
    assert dossier.authorisation == "Hợp đồng ủy quyền công chứng số 88"


# --- the agencies' configuration -------------------------------------------------------------


def test_agencies_are_set_from_the_catalogue_file_and_kept_where_not_given(work: FakeIntakeWork) -> None:
    answer = application.import_catalogue(
        work, [], THURSDAY_MORNING.date(), full=False, agencies=[{"code": AGENCY, "name": "UBND quận Lê Chân"}]
    )
    assert answer["agencies"] == [{"code": AGENCY, "name": "UBND quận Lê Chân", "status": "added"}]
    assert work.agencies.configured(AGENCY).head_title == "THỦ TRƯỞNG CƠ QUAN"
    changed = application.set_agency(work, AGENCY, "UBND quận Lê Chân", place="Hải Phòng", head_title="CHỦ TỊCH")
    assert changed["status"] == "changed"
    agency = work.agencies.configured(AGENCY)
    assert (agency.name, agency.place, agency.head_title, agency.address) == (
        "UBND quận Lê Chân",
        "Hải Phòng",
        "CHỦ TỊCH",
        "",
    )
    assert application.set_agency(work, AGENCY, "UBND quận Lê Chân")["status"] == "unchanged"
    assert work.agencies.configured("000.00.01.H56").name == "000.00.01.H56"  # nobody configured it
