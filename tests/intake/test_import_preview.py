"""The catalogue import's preview (POST /api/procedures/import?dry_run=true): the
same diff the import answers, or the same refusal of a bad file with every problem,
and nothing changed until the file is imported for real."""

import uuid

import pytest
import requests

from services.intake import application
from services.intake.adapters.repository import IntakeWork
from tests.intake.conftest import THURSDAY_MORNING
from tests.system import ADMIN, AGENCY, COUNTER

pytestmark = pytest.mark.e2e


def charge(amount):
    """A fee schedule of one lệ phí paid at submission."""
    return [{"name": "Lệ phí", "amount": amount, "kind": "le_phi", "when": "at_submission"}]


def entry(code, **changes):
    return {
        "code": code,
        "name": "Thủ tục xem trước khi nhập",
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


def post(system, document, dry_run, headers=ADMIN):
    params = {"dry_run": "true"} if dry_run else None
    return requests.post(
        system.url("intake", "/api/procedures/import"), params=params, json=document, headers=headers, timeout=30
    )


def versions(system, code):
    answer = requests.get(system.url("intake", f"/api/procedures/{code}"), timeout=10)
    return answer.json()["versions"] if answer.status_code == 200 else answer.status_code


def test_a_preview_answers_the_diff_and_changes_nothing_until_the_import(system):
    code = "3.000881"
    agency = {"code": "000.00.77.H56", "name": "Cơ quan xem trước"}
    first = {"procedures": [entry(code)], "agencies": [agency]}

    preview = post(system, first, dry_run=True)
    assert preview.status_code == 200, preview.text
    assert preview.json()["dry_run"] is True
    assert [(a["code"], a["version"]) for a in preview.json()["added"]] == [(code, 1)]
    assert preview.json()["agencies"] == [{**agency, "status": "added"}]
    assert versions(system, code) == 404  # not in the catalogue
    assert system.scalar("intake", "SELECT count(*) FROM agencies WHERE code = :c", c=agency["code"]) == 0

    imported = post(system, first, dry_run=False)
    assert imported.status_code == 200 and imported.json()["dry_run"] is False
    assert {k: v for k, v in imported.json().items() if k != "dry_run"} == {
        k: v for k, v in preview.json().items() if k != "dry_run"
    }
    assert [v["version"] for v in versions(system, code)] == [1]

    # a new text from 01/11/2026: previewed as a change replacing version 1, the agency renamed
    changed = {
        "procedures": [entry(code, name="Thủ tục đã sửa", fees=charge(20000), effective_from="2026-11-01")],
        "agencies": [{**agency, "name": "Cơ quan đã đổi tên"}],
    }
    preview = post(system, changed, dry_run=True)
    assert preview.status_code == 200, preview.text
    assert preview.json()["changed"] == [{"code": code, "name": "Thủ tục đã sửa", "version": 2, "replaces_version": 1}]
    assert preview.json()["added"] == [] and preview.json()["agencies"][0]["status"] == "changed"
    kept = versions(system, code)
    assert [(v["version"], v["effective_to"], v["fee"]) for v in kept] == [(1, None, 10000)]
    assert system.scalar("intake", "SELECT name FROM agencies WHERE code = :c", c=agency["code"]) == agency["name"]

    applied = post(system, changed, dry_run=False)
    assert applied.status_code == 200 and applied.json()["changed"] == preview.json()["changed"]
    now = [(v["version"], v["effective_from"], v["effective_to"]) for v in versions(system, code)]
    assert now == [(1, "2026-01-01", "2026-10-31"), (2, "2026-11-01", None)]
    again = post(system, changed, dry_run=True)
    assert [u["code"] for u in again.json()["unchanged"]] == [code] and again.json()["changed"] == []


def test_a_preview_of_a_bad_file_lists_every_problem_and_changes_nothing(system):
    code = "3.000882"
    invalid = {"procedures": [entry(code, level=9), entry("3.000883", name="")]}
    refused = post(system, invalid, dry_run=True)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_catalogue"
    problems = refused.json()["error"]["fields"]["procedures"]
    assert set(problems) == {"0", "1"} and "level" in problems["0"] and "name" in problems["1"]

    assert post(system, {"procedures": [entry(code)]}, dry_run=False).status_code == 200
    # a different text for 01/06/2025 - 01/03/2026: its period clashes with version 1
    clash = {"procedures": [entry(code, name="Khác", effective_from="2025-06-01", effective_to="2026-03-01")]}
    conflict = post(system, clash, dry_run=True)
    assert conflict.status_code == 422 and conflict.json()["error"]["code"] == "catalogue_conflict"
    assert "chồng lên phiên bản 1" in conflict.json()["error"]["fields"]["procedures"]["0"][0]
    assert [v["version"] for v in versions(system, code)] == [1]


def test_only_an_administrator_previews_and_the_flag_is_checked(system):
    document = {"procedures": [entry("3.000884")]}
    assert post(system, document, dry_run=True, headers=COUNTER).status_code == 403
    assert post(system, document, dry_run=True, headers={}).status_code == 401
    bad_flag = requests.post(
        system.url("intake", "/api/procedures/import?dry_run=peut-etre"), json=document, headers=ADMIN, timeout=10
    )
    assert bad_flag.status_code == 400 and "dry_run" in bad_flag.json()["error"]["fields"]
    assert versions(system, "3.000884") == 404


def test_the_dry_run_uses_the_import_s_own_code_on_the_database(uow):
    """application.import_catalogue(dry_run=True) in one unit of work, then a look in the next."""
    code = f"3.{uuid.uuid4().int % 10**6:06d}"
    with uow.work(IntakeWork) as work:
        answer = application.import_catalogue(
            work, [_loaded(entry(code))], THURSDAY_MORNING.date(), full=False, dry_run=True
        )
    assert [a["code"] for a in answer["added"]] == [code]
    with uow.work(IntakeWork) as work:
        assert work.procedures.get(code).versions == []
        answer = application.import_catalogue(work, [_loaded(entry(code))], THURSDAY_MORNING.date(), full=False)
    assert [a["code"] for a in answer["added"]] == [code]
    with uow.work(IntakeWork) as work:
        assert [v.version for v in work.procedures.get(code).versions] == [1]


def _loaded(raw):
    from services.intake.schemas import catalogue_entries

    return catalogue_entries({"procedures": [raw]})[0]
