"""The catalogue on PostgreSQL: an import keeps every version (a new row for new
text, the old one closed), a refused file writes nothing, and a dossier keeps the
version it was received under (the rules themselves: tests/unit/intake)."""

from datetime import date

import pytest
import sqlalchemy as sa

from services.intake import application
from services.intake.adapters import orm, queries
from services.intake.adapters.repository import IntakeWork
from services.intake.domain.errors import CatalogueConflict
from services.intake.domain.model import Actor
from services.intake.schemas import Submission, catalogue_entries
from shared.http import load
from tests.intake.conftest import AGENCY, THURSDAY_MORNING, body

TODAY = THURSDAY_MORNING.date()
COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)


def entry(code, **overrides):
    base = {
        "code": code,
        "name": f"Thủ tục thử {code}",
        "field": "Thử nghiệm",
        "level": 3,
        "agency_code": AGENCY,
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


def charge(amount):
    """A fee schedule of one lệ phí paid at submission."""
    return [{"name": "Lệ phí", "amount": amount, "kind": "le_phi", "when": "at_submission"}]


def run_import(uow, *entries, today=TODAY):
    with uow.work(IntakeWork) as work:
        return application.import_catalogue(work, catalogue_entries({"procedures": list(entries)}), today, full=False)


def versions(uow, code):
    with uow.transaction() as session:
        return [
            (v.version, v.effective_from, v.effective_to, v.duration_days) for v in queries.versions_of(session, code)
        ]


def test_a_new_version_is_a_new_row_and_the_old_one_is_closed(uow):
    assert [a["code"] for a in run_import(uow, entry("9.000010"))["added"]] == ["9.000010"]
    run_import(
        uow, entry("9.000010", duration_days=7, route=[{"department": "TCKH", "days": 7}], effective_from="2026-12-01")
    )
    assert versions(uow, "9.000010") == [(1, date(2026, 1, 1), date(2026, 11, 30), 5), (2, date(2026, 12, 1), None, 7)]
    assert (
        run_import(
            uow,
            entry("9.000010", duration_days=7, route=[{"department": "TCKH", "days": 7}], effective_from="2026-12-01"),
        )["unchanged"][0]["version"]
        == 2
    )
    with uow.work(IntakeWork) as work:
        assert application.expire_procedure(work, "9.000010", date(2026, 12, 31)).version == 2
    assert versions(uow, "9.000010")[1][2] == date(2026, 12, 31)


def test_a_conflicting_file_writes_nothing(uow):
    run_import(uow, entry("9.000030", effective_from="2026-06-01"))
    with pytest.raises(CatalogueConflict):
        run_import(
            uow,
            entry("9.000031"),
            entry("9.000030", name="Tên mới", effective_from="2026-03-01", effective_to="2026-07-01"),
        )
    assert versions(uow, "9.000031") == [] and len(versions(uow, "9.000030")) == 1


def test_a_dossier_keeps_the_version_it_was_received_under(uow):
    run_import(uow, entry("9.000070"))
    with uow.work(IntakeWork) as work:
        dossier, _ = application.submit(work, load(Submission(), body(procedure="9.000070")), COUNTER, THURSDAY_MORNING)
    run_import(uow, entry("9.000070", fees=charge(50000), effective_from="2026-11-27"))
    with uow.transaction() as session:
        kept = queries.readable_dossier(session, dossier.code, {"role": "admin"})
        assert kept.procedure_version == 1 and queries.procedure_of(session, kept).fee == 0
        assert [v.fee for v in queries.listed_on(session, date(2026, 11, 27)) if v.code == "9.000070"] == [50000]
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(orm.procedures).where(orm.procedures.c.code == "9.000070")
            )
            == 2
        )
