"""The procedure catalogue: versions that never overlap, all-or-nothing imports with
a complete answer, and dossiers that keep the version they were received under."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

import pytest

from services.intake import application
from services.intake.domain.errors import (
    CatalogueConflict,
    InvalidCatalogue,
    NoVersionInEffect,
    ProcedureExpired,
    ProcedureNotYetEffective,
    UnknownProcedure,
)
from services.intake.schemas import catalogue_entries
from shared import clock
from shared.errors import http_error
from tests.unit.intake.fakes import FakeIntakeWork, demo_entries, work_with_demo_catalogue
from tests.unit.intake.test_reception import COUNTER, body

THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)
TODAY = THURSDAY_MORNING.date()


def entry(code: str, **overrides: Any) -> dict[str, Any]:
    base = {
        "code": code,
        "name": f"Thủ tục thử {code}",
        "field": "Thử nghiệm",
        "level": 3,
        "agency_code": "000.00.06.H56",
        "duration_days": 5,
        "route": [{"department": "TCKH", "days": 5}],
        "fees": [],
        "documents": ["Đơn đề nghị"],
        "return_methods": ["counter"],
        "supplement_clock": "restart",
        "cutoff": "15:00",
        "effective_from": "2026-01-01",
        "effective_to": None,
        "legal_basis": "thử",
    }
    base.update(overrides)
    return base


def charge(amount: int) -> list[dict[str, Any]]:
    """A fee schedule of one lệ phí paid at submission."""
    return [{"name": "Lệ phí", "amount": amount, "kind": "le_phi", "when": "at_submission"}]


def run_import(
    work: FakeIntakeWork, *entries: dict[str, Any], today: date = TODAY, full: bool = False
) -> dict[str, list[dict[str, Any]]]:
    answer = application.import_catalogue(work, catalogue_entries({"procedures": list(entries)}), today, full=full)
    work.commit()
    return answer


def codes(answer: dict[str, list[dict[str, Any]]], bucket: str) -> list[tuple[str, int]]:
    return [(item["code"], item["version"]) for item in answer[bucket]]


@pytest.fixture
def work() -> FakeIntakeWork:
    return FakeIntakeWork()


def test_import_adds_then_a_second_import_changes_nothing(work: FakeIntakeWork) -> None:
    first = run_import(work, entry("9.000001"), entry("9.000002"))
    assert codes(first, "added") == [("9.000001", 1), ("9.000002", 1)]
    again = run_import(work, entry("9.000001"), entry("9.000002"))
    assert codes(again, "unchanged") == [("9.000001", 1), ("9.000002", 1)]
    assert again["added"] == again["changed"] == again["expired"] == []
    assert work.procedures.count() == 2 and work.procedures.locks == 2


def test_new_content_is_a_new_version_and_the_old_one_is_closed_not_deleted(work: FakeIntakeWork) -> None:
    run_import(work, entry("9.000010"))
    changed = run_import(
        work, entry("9.000010", duration_days=7, route=[{"department": "TCKH", "days": 7}], effective_from="2026-12-01")
    )
    assert changed["changed"] == [
        {"code": "9.000010", "name": "Thủ tục thử 9.000010", "version": 2, "replaces_version": 1}
    ]
    v1, v2 = work.procedures.get("9.000010").versions
    assert (v1.effective_to, v2.effective_from, v2.effective_to) == (date(2026, 11, 30), date(2026, 12, 1), None)
    assert work.procedures.get("9.000010").in_effect(date(2026, 11, 30)).version == 1
    assert work.procedures.get("9.000010").in_effect(date(2026, 12, 1)).duration_days == 7
    # the same file again: nothing moves
    again = run_import(
        work, entry("9.000010", duration_days=7, route=[{"department": "TCKH", "days": 7}], effective_from="2026-12-01")
    )
    assert codes(again, "unchanged") == [("9.000010", 2)] and again["changed"] == []


def test_an_end_date_in_the_file_expires_the_version(work: FakeIntakeWork) -> None:
    run_import(work, entry("9.000020"))
    answer = run_import(work, entry("9.000020", effective_to="2026-11-25"))
    assert answer["expired"] == [
        {"code": "9.000020", "name": "Thủ tục thử 9.000020", "version": 1, "effective_to": date(2026, 11, 25)}
    ]
    with pytest.raises(ProcedureExpired) as refused:
        work.procedures.get("9.000020").in_effect(TODAY)
    assert http_error(refused.value)[:2] == (422, "procedure_expired")
    assert "9.000020" not in [v.code for v in work.procedures.listed_on(TODAY)]
    assert "9.000020" in [v.code for v in work.procedures.listed_on(date(2026, 11, 25))]


def test_overlapping_versions_are_refused_and_nothing_is_written(work: FakeIntakeWork) -> None:
    run_import(work, entry("9.000030", effective_from="2026-06-01"))
    with pytest.raises(CatalogueConflict) as refused:
        run_import(
            work,
            entry("9.000031"),  # valid on its own, but the file is refused whole
            entry("9.000030", name="Tên mới", effective_from="2026-03-01", effective_to="2026-07-01"),
        )
    assert http_error(refused.value)[:2] == (422, "catalogue_conflict")
    assert "chồng lên phiên bản 1" in refused.value.fields["procedures"]["1"][0]
    assert work.procedures.get("9.000031").versions == []
    assert len(work.procedures.get("9.000030").versions) == 1


def test_every_problem_of_a_bad_file_is_listed_and_nothing_is_imported(work: FakeIntakeWork) -> None:
    bad = [
        entry("9.000040"),
        entry("1.23", level=7),
        entry("9.000041", duration_days=4),  # route adds up to 5
        entry("9.000042", agency_code="H56", cutoff="25:00", return_methods=["email"]),
        entry("9.000043", effective_from="2026-05-01", effective_to="2026-04-01"),
        {**entry("9.000044"), "priority": "cao"},
        entry("9.000045"),
        entry("9.000045", effective_from="2026-03-01"),
    ]
    with pytest.raises(InvalidCatalogue) as refused:
        catalogue_entries({"procedures": bad})
    fields = refused.value.fields["procedures"]
    assert http_error(refused.value)[:2] == (400, "invalid_catalogue")
    assert set(fields["1"]) == {"code", "level"}
    assert "route" in fields["2"]
    assert set(fields["3"]) == {"agency_code", "cutoff", "return_methods"}
    assert "effective_to" in fields["4"]
    assert fields["5"] == {"priority": ["Trường này không có trong mẫu; hãy bỏ đi"]}
    # the duplicate with overlapping validity is caught once the entries themselves are valid
    with pytest.raises(InvalidCatalogue) as duplicated:
        run_import(work, entry("9.000045"), entry("9.000045", effective_from="2026-03-01"))
    assert "xuất hiện hai lần" in duplicated.value.fields["procedures"]["1"][0]
    assert work.procedures.count() == 0 and work.procedures.locks == 0


def test_a_full_import_lists_procedures_missing_from_the_source_without_dropping_them() -> None:
    work = work_with_demo_catalogue(TODAY)
    run_import(work, entry("9.000050"))
    answer = application.import_catalogue(work, demo_entries(), TODAY)
    missing = {item["code"] for item in answer["missing_from_source"]}
    assert "9.000050" in missing and "2.000635" not in missing
    assert len(answer["unchanged"]) == 3
    assert work.procedures.get("9.000050").in_effect(TODAY).version == 1
    assert application.expire_procedure(work, "9.000050", date(2026, 11, 26)).effective_to == date(2026, 11, 26)
    with pytest.raises(NoVersionInEffect) as none:
        application.expire_procedure(work, "9.000050", date(2026, 12, 1))
    assert http_error(none.value)[:2] == (404, "not_found")


def test_dossiers_are_refused_for_unknown_expired_and_future_procedures(work: FakeIntakeWork) -> None:
    run_import(
        work,
        entry("9.000060", effective_from="2027-01-01"),
        entry("9.000061", effective_from="2025-01-01", effective_to="2026-06-30"),
    )
    for code, error in (
        ("9.999999", UnknownProcedure),
        ("9.000060", ProcedureNotYetEffective),
        ("9.000061", ProcedureExpired),
    ):
        with pytest.raises(error) as refused:
            application.submit(work, body(procedure=code), COUNTER, THURSDAY_MORNING)
        assert http_error(refused.value)[0] == 422
        assert "procedure_code" in refused.value.fields
    with pytest.raises(ProcedureNotYetEffective) as future:
        application.submit(work, body(procedure="9.000060"), COUNTER, THURSDAY_MORNING)
    assert future.value.message == "Thủ tục 9.000060 chỉ có hiệu lực từ 01/01/2027"
    assert work.dossiers.items == {}


def test_a_dossier_keeps_the_version_it_was_received_under(work: FakeIntakeWork) -> None:
    run_import(work, entry("9.000070"))
    dossier, _ = application.submit(work, body(procedure="9.000070"), COUNTER, THURSDAY_MORNING)
    run_import(work, entry("9.000070", fees=charge(50000), effective_from="2026-11-27"))
    assert dossier.procedure_version == 1
    assert work.procedures.version(dossier.procedure_id).fee == 0
    assert work.procedures.get("9.000070").in_effect(date(2026, 11, 27)).fee == 50000


def test_a_postal_collection_takes_the_version_in_effect_on_the_hand_over_day(work: FakeIntakeWork) -> None:
    run_import(
        work,
        entry("9.000080", effective_to="2026-11-25"),
        entry("9.000080", fees=charge(1000), effective_from="2026-11-26"),
    )
    handed = datetime(2026, 11, 25, 16, 0, tzinfo=clock.TZ)
    dossier = application.register_pickup(work, body(procedure="9.000080"), "pk-80", handed, None, THURSDAY_MORNING)
    assert dossier is not None and dossier.procedure_version == 1


def test_the_demo_file_is_valid() -> None:
    assert [e["code"] for e in demo_entries()] == ["1.001776", "2.000635", "1.000105"]


def test_seeding_loads_only_an_empty_catalogue() -> None:
    work = FakeIntakeWork()
    assert application.seed_catalogue(work, demo_entries(), TODAY) == 3
    assert application.seed_catalogue(work, copy.deepcopy(demo_entries()), TODAY) == 0


def test_the_appointment_shown_before_submission() -> None:
    work = work_with_demo_catalogue(TODAY)
    version, due = application.appointment(work, "2.000635", datetime(2026, 12, 10, 16, 0, tzinfo=clock.TZ))
    assert version.version == 1 and due == datetime(2026, 12, 11, 17, 0, tzinfo=clock.TZ)
    with pytest.raises(UnknownProcedure):
        application.appointment(work, "9.999999", THURSDAY_MORNING)
