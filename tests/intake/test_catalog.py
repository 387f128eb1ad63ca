"""The procedure catalogue: versions that never overlap, all-or-nothing imports with
a complete answer, and dossiers that keep the version they were received under."""
import copy
import json
from datetime import date

import pytest
import sqlalchemy as sa

from shared.http import ApiError
from services.intake import catalog, reception
from services.intake.models import Dossier, Procedure
from services.intake.schemas import Submission
from shared.http import load
from tests.intake.conftest import COUNTER_CLAIMS, THURSDAY_MORNING, body

TODAY = THURSDAY_MORNING.date()


def entry(code, **overrides):
    base = {"code": code, "name": f"Thủ tục thử {code}", "field": "Thử nghiệm", "level": 3,
            "agency_code": "000.00.06.H56", "duration_days": 5,
            "route": [{"department": "TCKH", "days": 5}], "fee": 0, "documents": ["Đơn đề nghị"],
            "return_methods": ["counter"], "supplement_clock": "restart", "cutoff": "15:00",
            "effective_from": "2026-01-01", "effective_to": None, "legal_basis": "thử"}
    base.update(overrides)
    return base


def run_import(uow, *entries, today=TODAY):
    with uow.transaction() as session:
        return catalog.import_catalogue(session, {"procedures": list(entries)}, today, full=False)


def codes(answer, bucket):
    return [(item["code"], item["version"]) for item in answer[bucket]]


def test_import_adds_then_a_second_import_changes_nothing(uow):
    first = run_import(uow, entry("9.000001"), entry("9.000002"))
    assert codes(first, "added") == [("9.000001", 1), ("9.000002", 1)]
    again = run_import(uow, entry("9.000001"), entry("9.000002"))
    assert codes(again, "unchanged") == [("9.000001", 1), ("9.000002", 1)]
    assert again["added"] == again["changed"] == again["expired"] == []
    with uow.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Procedure)
                              .where(Procedure.code.in_(["9.000001", "9.000002"]))) == 2


def test_new_content_is_a_new_version_and_the_old_one_is_closed_not_deleted(uow):
    run_import(uow, entry("9.000010"))
    changed = run_import(uow, entry("9.000010", duration_days=7, route=[{"department": "TCKH", "days": 7}],
                                    effective_from="2026-12-01"))
    assert changed["changed"] == [{"code": "9.000010", "name": "Thủ tục thử 9.000010", "version": 2,
                                   "replaces_version": 1}]
    with uow.transaction() as session:
        v1, v2 = catalog.versions_of(session, "9.000010")
        assert (v1.effective_to, v2.effective_from, v2.effective_to) == (date(2026, 11, 30), date(2026, 12, 1), None)
        assert catalog.in_effect(session, "9.000010", date(2026, 11, 30)).version == 1
        assert catalog.in_effect(session, "9.000010", date(2026, 12, 1)).duration_days == 7
    # the same file again: nothing moves
    again = run_import(uow, entry("9.000010", duration_days=7, route=[{"department": "TCKH", "days": 7}],
                                  effective_from="2026-12-01"))
    assert codes(again, "unchanged") == [("9.000010", 2)] and again["changed"] == []


def test_an_end_date_in_the_file_expires_the_version(uow):
    run_import(uow, entry("9.000020"))
    answer = run_import(uow, entry("9.000020", effective_to="2026-11-25"))
    assert answer["expired"] == [{"code": "9.000020", "name": "Thủ tục thử 9.000020", "version": 1,
                                  "effective_to": date(2026, 11, 25)}]
    with uow.transaction() as session:
        with pytest.raises(ApiError) as refused:
            catalog.in_effect(session, "9.000020", TODAY)
        assert refused.value.status == 422 and refused.value.code == "procedure_expired"
        assert "9.000020" not in [v.code for v in catalog.listed_on(session, TODAY)]
        assert "9.000020" in [v.code for v in catalog.listed_on(session, date(2026, 11, 25))]


def test_overlapping_versions_are_refused_and_nothing_is_written(uow):
    run_import(uow, entry("9.000030", effective_from="2026-06-01"))
    with pytest.raises(ApiError) as refused:
        run_import(uow, entry("9.000031"),  # valid on its own, but the file is refused whole
                   entry("9.000030", name="Tên mới", effective_from="2026-03-01", effective_to="2026-07-01"))
    assert refused.value.status == 422 and refused.value.code == "catalogue_conflict"
    assert "chồng lên phiên bản 1" in refused.value.fields["procedures"]["1"][0]
    with uow.transaction() as session:
        assert catalog.versions_of(session, "9.000031") == []
        assert len(catalog.versions_of(session, "9.000030")) == 1


def test_every_problem_of_a_bad_file_is_listed_and_nothing_is_imported(uow):
    bad = [entry("9.000040"),
           entry("1.23", level=7),
           entry("9.000041", duration_days=4),  # route adds up to 5
           entry("9.000042", agency_code="H56", cutoff="25:00", return_methods=["email"]),
           entry("9.000043", effective_from="2026-05-01", effective_to="2026-04-01"),
           {**entry("9.000044"), "priority": "cao"},
           entry("9.000045"), entry("9.000045", effective_from="2026-03-01")]
    with pytest.raises(ApiError) as refused:
        with uow.transaction() as session:
            catalog.import_catalogue(session, {"procedures": bad}, TODAY)
    fields = refused.value.fields["procedures"]
    assert refused.value.status == 400
    assert set(fields["1"]) == {"code", "level"}
    assert "route" in fields["2"]
    assert set(fields["3"]) == {"agency_code", "cutoff", "return_methods"}
    assert "effective_to" in fields["4"]
    assert fields["5"] == {"priority": ["Trường này không có trong mẫu; hãy bỏ đi"]}
    with uow.transaction() as session:
        assert catalog.versions_of(session, "9.000040") == []
    # the duplicate with overlapping validity is caught once the entries themselves are valid
    with pytest.raises(ApiError) as duplicated:
        run_import(uow, entry("9.000045"), entry("9.000045", effective_from="2026-03-01"))
    assert "xuất hiện hai lần" in duplicated.value.fields["procedures"]["1"][0]


def test_a_full_import_lists_procedures_missing_from_the_source_without_dropping_them(uow):
    run_import(uow, entry("9.000050"))
    with uow.transaction() as session:
        demo = json.loads(catalog.DEMO_FILE.read_text(encoding="utf-8"))
        answer = catalog.import_catalogue(session, demo, TODAY)
    missing = {item["code"] for item in answer["missing_from_source"]}
    assert "9.000050" in missing and "2.000635" not in missing
    assert len(answer["unchanged"]) == 3
    with uow.transaction() as session:
        assert catalog.in_effect(session, "9.000050", TODAY).version == 1
        assert catalog.expire(session, "9.000050", date(2026, 11, 26)).effective_to == date(2026, 11, 26)


def test_dossiers_are_refused_for_unknown_expired_and_future_procedures(uow, at):
    at(THURSDAY_MORNING)
    run_import(uow, entry("9.000060", effective_from="2027-01-01"),
               entry("9.000061", effective_from="2025-01-01", effective_to="2026-06-30"))
    for code, expected in (("9.999999", "unknown_procedure"), ("9.000060", "procedure_not_yet_effective"),
                           ("9.000061", "procedure_expired")):
        with pytest.raises(ApiError) as refused:
            with uow.transaction() as session:
                reception.submit(session, load(Submission(), body(procedure=code)), COUNTER_CLAIMS)
        assert (refused.value.status, refused.value.code) == (422, expected)
        assert "procedure_code" in refused.value.fields


def test_a_dossier_keeps_the_version_it_was_received_under(uow, at):
    at(THURSDAY_MORNING)
    run_import(uow, entry("9.000070"))
    with uow.transaction() as session:
        dossier, _ = reception.submit(session, load(Submission(), body(procedure="9.000070")), COUNTER_CLAIMS)
    run_import(uow, entry("9.000070", fee=50000, effective_from="2026-11-27"))
    with uow.transaction() as session:
        kept = session.get(Dossier, dossier.code)
        assert kept.procedure_version == 1
        assert session.get(Procedure, kept.procedure_id).fee == 0
        assert catalog.in_effect(session, "9.000070", date(2026, 11, 27)).fee == 50000


def test_the_demo_file_is_valid():
    entries = catalog.parse_file(copy.deepcopy(json.loads(catalog.DEMO_FILE.read_text(encoding="utf-8"))))
    assert [e["code"] for e in entries] == ["1.001776", "2.000635", "1.000105"]
