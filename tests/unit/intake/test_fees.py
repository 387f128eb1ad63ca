"""The fee schedule of a procedure version (phí, lệ phí): whole đồng, each item due at
a moment of the dossier's life, the exempted categories owing none of the lệ phí;
read from the catalogue file (the old single `fee` too), a part of the version's
content, shown by the view and printed on Form 01."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from services.intake import answers, application
from services.intake.adapters import pages, queries
from services.intake.domain.errors import InvalidCatalogue
from services.intake.domain.fees import (
    Exemption,
    FeeItem,
    FeeKind,
    FeeSchedule,
    FeeWhen,
    UnknownExemption,
    after_exemption,
    due,
    waived,
)
from services.intake.domain.model import Agency
from services.intake.schemas import catalogue_entries
from shared import clock
from shared.errors import http_error
from tests.unit.intake.fakes import FakeIntakeWork, work_with_demo_catalogue
from tests.unit.intake.test_catalogue import entry, run_import
from tests.unit.intake.test_reception import COUNTER, body

THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)
FILING = {"name": "Lệ phí cấp giấy phép", "amount": 75000, "kind": "le_phi", "when": "at_submission"}
APPRAISAL = {"name": "Phí thẩm định", "amount": 150000, "kind": "phi", "when": "before_return"}
POOR = {"code": "ho_ngheo", "name": "Hộ nghèo"}
DEVOTEE = {"code": "nguoi_co_cong", "name": "Người có công với cách mạng"}

SCHEDULE = FeeSchedule(
    items=(
        FeeItem("Lệ phí cấp giấy phép", 75000, FeeKind.LE_PHI, FeeWhen.AT_SUBMISSION),
        FeeItem("Phí thẩm định", 150000, FeeKind.PHI, FeeWhen.BEFORE_RETURN),
        FeeItem("Lệ phí cấp bản sao", 8000, FeeKind.LE_PHI, FeeWhen.BEFORE_RETURN),
    ),
    exemptions=(Exemption("ho_ngheo", "Hộ nghèo"), Exemption("nguoi_co_cong", "Người có công với cách mạng")),
)


def loaded(**changes: Any) -> dict[str, Any]:
    """One catalogue entry as the file is read (or the refusal, raised)."""
    base = entry("9.000500")
    del base["fees"]
    return catalogue_entries({"procedures": [{**base, **changes}]})[0]


def problems(**changes: Any) -> dict[str, Any]:
    with pytest.raises(InvalidCatalogue) as refused:
        loaded(**changes)
    assert http_error(refused.value)[:2] == (400, "invalid_catalogue")
    return refused.value.fields["procedures"]["0"]


# --- the domain ----------------------------------------------------------------------------


def test_what_is_due_at_each_moment_adds_up_to_the_total() -> None:
    assert due(SCHEDULE, FeeWhen.AT_SUBMISSION) == 75000
    assert due(SCHEDULE, "before_return") == 158000
    assert due(SCHEDULE, FeeWhen.BEFORE_PROCESSING) == 0
    assert sum(due(SCHEDULE, when) for when in FeeWhen) == SCHEDULE.total == 233000
    assert FeeSchedule().total == 0 and due(FeeSchedule(), FeeWhen.AT_SUBMISSION) == 0


def test_an_exempted_applicant_owes_no_le_phi_but_every_phi() -> None:
    """Law on Fees and Charges 2015: the exempted categories pay no lệ phí; a phí is the
    cost of the service."""
    exempted = after_exemption(SCHEDULE, "ho_ngheo")
    assert [(i.name, i.amount) for i in exempted.items] == [
        ("Lệ phí cấp giấy phép", 0),
        ("Phí thẩm định", 150000),
        ("Lệ phí cấp bản sao", 0),
    ]
    assert due(exempted, FeeWhen.AT_SUBMISSION) == 0 and due(exempted, FeeWhen.BEFORE_RETURN) == 150000
    assert exempted.exemptions == SCHEDULE.exemptions
    assert after_exemption(SCHEDULE, None) == SCHEDULE
    assert SCHEDULE.total == 233000  # the version's schedule is left as it was


def test_an_exemption_the_version_does_not_list_is_refused_with_422() -> None:
    with pytest.raises(UnknownExemption) as refused:
        after_exemption(SCHEDULE, "sinh_vien")
    status, code, message, fields = http_error(refused.value)
    assert (status, code) == (422, "unknown_exemption") and "sinh_vien" in message
    assert "ho_ngheo (Hộ nghèo)" in fields["exemption_code"][0]
    with pytest.raises(UnknownExemption):
        after_exemption(FeeSchedule(items=SCHEDULE.items), "ho_ngheo")


# --- the catalogue file ----------------------------------------------------------------------


def test_a_schedule_and_its_exemptions_are_read_from_the_file() -> None:
    read = loaded(fees=[FILING, APPRAISAL], fee_exemptions=[POOR, DEVOTEE])
    assert read["fees"] == [FILING, APPRAISAL] and read["fee_exemptions"] == [POOR, DEVOTEE]
    assert "fee" not in read
    assert loaded()["fees"] == [] and loaded()["fee_exemptions"] == []


def test_an_old_files_single_fee_is_one_le_phi_at_submission() -> None:
    assert loaded(fee=8000)["fees"] == [{"name": "Lệ phí", "amount": 8000, "kind": "le_phi", "when": "at_submission"}]
    assert loaded(fee=0)["fees"] == []


def test_a_file_giving_both_fee_and_fees_is_refused_naming_the_field() -> None:
    assert "fees" in problems(fee=8000, fees=[FILING])["fee"][0]
    assert "fee" in problems(fee=0, fees=[])


@pytest.mark.parametrize("amount", [75000.0, 75000.5, "75000", True, None, -1, 1_000_000_001])
def test_amounts_are_whole_dong_never_floats_nor_text(amount: Any) -> None:
    assert "amount" in problems(fees=[{**FILING, "amount": amount}])["fees"]["0"]


def test_the_old_fee_is_whole_dong_too() -> None:
    assert "fee" in problems(fee=8000.0)
    assert "fee" in problems(fee="8000")


def test_each_item_is_named_with_a_known_kind_and_moment() -> None:
    found = problems(fees=[{**FILING, "name": ""}, {**FILING, "kind": "thue"}, {**FILING, "when": "later"}, {}])
    assert set(found["fees"]) == {"0", "1", "2", "3"}
    assert "name" in found["fees"]["0"] and "kind" in found["fees"]["1"] and "when" in found["fees"]["2"]
    assert set(found["fees"]["3"]) == {"name", "amount", "kind", "when"}
    assert "unknown" in problems(fees=[{**FILING, "unknown": 1}])["fees"]["0"]


def test_at_most_twenty_items_and_exemption_codes_once_each() -> None:
    assert len(loaded(fees=[FILING] * 20)["fees"]) == 20
    assert "fees" in problems(fees=[FILING] * 21)
    assert "ho_ngheo" in problems(fee_exemptions=[POOR, {**POOR, "name": "Hộ nghèo (khác)"}])["fee_exemptions"][0]
    assert "code" in problems(fee_exemptions=[{"code": "Hộ nghèo", "name": "Hộ nghèo"}])["fee_exemptions"]["0"]
    assert "name" in problems(fee_exemptions=[{"code": "ho_ngheo", "name": ""}])["fee_exemptions"]["0"]


# --- versions ------------------------------------------------------------------------------------


@pytest.fixture
def work() -> FakeIntakeWork:
    return FakeIntakeWork()


def test_another_schedule_or_other_exemptions_make_a_new_version(work: FakeIntakeWork) -> None:
    first = entry("9.000510", fees=[FILING])
    run_import(work, first)
    assert run_import(work, first)["unchanged"][0]["version"] == 1
    cheaper = {**first, "fees": [{**FILING, "amount": 50000}], "effective_from": "2026-07-01"}
    assert run_import(work, cheaper)["changed"][0] == {
        "code": "9.000510",
        "name": first["name"],
        "version": 2,
        "replaces_version": 1,
    }
    exempting = {**cheaper, "fee_exemptions": [POOR], "effective_from": "2026-10-01"}
    assert run_import(work, exempting)["changed"][0]["version"] == 3
    procedure = work.procedures.get("9.000510")
    assert [(v.version, v.fee, v.fee_exemptions) for v in procedure.versions] == [
        (1, 75000, []),
        (2, 50000, []),
        (3, 50000, [POOR]),
    ]
    assert procedure.versions[0].effective_to == date(2026, 6, 30)


def test_an_old_files_fee_is_the_same_content_as_its_one_item(work: FakeIntakeWork) -> None:
    """A file still written with `fee` re-imports unchanged after the schedule came in."""
    item = {"name": "Lệ phí", "amount": 8000, "kind": "le_phi", "when": "at_submission"}
    run_import(work, entry("9.000520", fees=[item]))
    old = entry("9.000520", fee=8000)
    del old["fees"]
    assert run_import(work, old)["unchanged"][0]["version"] == 1


# --- the view and Form 01 -----------------------------------------------------------------------


def test_the_view_gives_the_schedule_the_exemptions_and_their_total() -> None:
    work = work_with_demo_catalogue(THURSDAY_MORNING.date())
    permit = queries.procedure_view(work.procedures.get("1.001776").in_effect(THURSDAY_MORNING.date()))
    assert [(f["kind"], f["when"], f["amount"]) for f in permit["fees"]] == [
        ("le_phi", "at_submission", 75000),
        ("phi", "at_submission", 150000),
    ]
    assert permit["fee"] == 225000 and permit["fee_exemptions"] == []
    copies = queries.procedure_view(work.procedures.get("2.000635").in_effect(THURSDAY_MORNING.date()))
    assert copies["fee"] == 8000 and [e["code"] for e in copies["fee_exemptions"]] == ["ho_ngheo", "nguoi_co_cong"]
    assert set(permit) == set(answers.PROCEDURE["required"])  # the OpenAPI answer says the same


def receipt(work: FakeIntakeWork, code: str) -> str:
    required = work.procedures.get(code).in_effect(THURSDAY_MORNING.date()).documents
    document = body(procedure=code, documents=[{"name": name, "copies": 1} for name in required])
    dossier, version = application.submit(work, document, COUNTER, THURSDAY_MORNING)
    return pages.receipt(dossier, version, "http://127.0.0.1:8001", Agency.unconfigured(COUNTER.agency))


def test_form_01_prints_each_item_when_it_is_due_and_the_total() -> None:
    work = work_with_demo_catalogue(THURSDAY_MORNING.date())
    html = receipt(work, "1.001776")
    rows = html.split('<table class="docs" id="fees">')[1].split("</table>")[0]
    assert (
        "<td>1</td><td>Lệ phí cấp giấy phép xây dựng</td><td>Lệ phí</td><td>Khi nộp hồ sơ</td><td>75.000</td>" in rows
    )
    assert "<td>Phí thẩm định hồ sơ cấp giấy phép xây dựng</td><td>Phí</td><td>Khi nộp hồ sơ</td>" in rows
    assert '<b id="fee_total">225.000</b>' in rows
    assert "Không thu phí, lệ phí" not in html


def test_form_01_says_when_nothing_is_charged(work: FakeIntakeWork) -> None:
    run_import(work, entry("9.000530"))
    html = receipt(work, "9.000530")
    assert '<p id="fees">Không thu phí, lệ phí</p>' in html and 'id="fee_total"' not in html


def test_an_exemption_waives_the_le_phi_items_at_their_full_amounts():
    assert [(i.name, i.amount) for i in waived(SCHEDULE, "ho_ngheo")] == [
        ("Lệ phí cấp giấy phép", 75000),
        ("Lệ phí cấp bản sao", 8000),
    ]
    assert waived(SCHEDULE, None) == []
