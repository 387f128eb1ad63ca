"""Fee schedules on PostgreSQL: the items and exemptions kept in their JSON columns and
answered by the view with their total, a new schedule making a new version, and the
migration that turned each old single `fee` into a schedule (the rules themselves:
tests/unit/intake/test_fees.py)."""

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command

from services.intake import application
from services.intake.adapters import queries
from services.intake.adapters.repository import IntakeWork
from services.intake.schemas import catalogue_entries
from shared import migrations
from shared.db import Sessions, make_engine
from tests.intake.conftest import AGENCY, THURSDAY_MORNING

TODAY = THURSDAY_MORNING.date()
FILING = {"name": "Lệ phí cấp giấy phép", "amount": 75000, "kind": "le_phi", "when": "at_submission"}
APPRAISAL = {"name": "Phí thẩm định", "amount": 150000, "kind": "phi", "when": "before_return"}
POOR = {"code": "ho_ngheo", "name": "Hộ nghèo"}
BEFORE_SCHEDULES = "s16c_catalogue_report"


def entry(code, **changes):
    """A catalogue entry as a file written before the schedules gives it (`fee`)."""
    return {
        "code": code,
        "name": f"Thủ tục thử {code}",
        "field": "Thử nghiệm",
        "level": 3,
        "online_service": "partial",
        "agency_code": AGENCY,
        "duration_days": 5,
        "route": [{"department": "TCKH", "days": 5}],
        "fee": 8000,
        "documents": ["Đơn đề nghị"],
        "return_methods": ["counter"],
        "supplement_clock": "restart",
        "cutoff": "15:00",
        "effective_from": "2026-01-01",
        "effective_to": None,
        "legal_basis": "thử",
        **changes,
    }


def scheduled(code, **changes):
    """The same entry written with a schedule."""
    written = entry(code, **changes)
    del written["fee"]
    return written


def run_import(uow, *entries):
    with uow.work(IntakeWork) as work:
        return application.import_catalogue(work, catalogue_entries({"procedures": list(entries)}), TODAY, full=False)


def views(uow, code):
    with uow.transaction() as session:
        return [queries.procedure_view(v) for v in queries.versions_of(session, code)]


def test_the_demo_schedules_are_kept_and_answered_with_their_total(uow):
    (permit,) = views(uow, "1.001776")
    assert [(f["name"], f["amount"], f["kind"], f["when"]) for f in permit["fees"]] == [
        ("Lệ phí cấp giấy phép xây dựng", 75000, "le_phi", "at_submission"),
        ("Phí thẩm định hồ sơ cấp giấy phép xây dựng", 150000, "phi", "at_submission"),
    ]
    assert permit["fee"] == 225000 and permit["fee_exemptions"] == []
    (copies,) = views(uow, "2.000635")
    assert copies["fee"] == 8000
    assert copies["fee_exemptions"] == [POOR, {"code": "nguoi_co_cong", "name": "Người có công với cách mạng"}]


def test_a_new_schedule_or_exemption_is_a_new_version_and_the_same_one_changes_nothing(uow):
    first = scheduled("9.000610", fees=[FILING, APPRAISAL])
    assert [a["code"] for a in run_import(uow, first)["added"]] == ["9.000610"]
    assert [u["version"] for u in run_import(uow, first)["unchanged"]] == [1]
    exempting = {**first, "fee_exemptions": [POOR], "effective_from": "2026-12-01"}
    assert run_import(uow, exempting)["changed"][0]["replaces_version"] == 1
    dearer = {**exempting, "fees": [{**FILING, "amount": 100000}, APPRAISAL], "effective_from": "2027-01-01"}
    assert run_import(uow, dearer)["changed"][0]["version"] == 3
    kept = views(uow, "9.000610")
    assert [(v["version"], v["fee"], v["fee_exemptions"]) for v in kept] == [
        (1, 225000, []),
        (2, 225000, [POOR]),
        (3, 250000, [POOR]),
    ]
    assert kept[0]["effective_to"] == date(2026, 11, 30) and kept[2]["fees"][0]["amount"] == 100000


def test_an_old_files_fee_is_kept_as_one_item_and_reimports_unchanged(uow):
    run_import(uow, entry("9.000620"), entry("9.000621", fee=0))
    (old,) = views(uow, "9.000620")
    assert old["fees"] == [{"name": "Lệ phí", "amount": 8000, "kind": "le_phi", "when": "at_submission"}]
    assert old["fee"] == 8000 and views(uow, "9.000621")[0]["fees"] == []
    assert len(run_import(uow, entry("9.000620"), entry("9.000621", fee=0))["unchanged"]) == 2


# --- the migration ------------------------------------------------------------------------------


@pytest.fixture
def database(database_server):
    server, prefix = database_server
    url = sa.engine.make_url(server).set(database=f"{prefix}intake_fees_{uuid.uuid4().hex[:6]}")
    migrations.upgrade("intake", url)  # creates it; then back to before the schedules
    command.downgrade(migrations.alembic_config("intake", url), BEFORE_SCHEDULES)
    return url


def old_row(code, fee):
    """A procedures row as the tables were before the schedules."""
    raw = entry(code, fee=fee)
    raw.pop("code")
    return {
        "code": code,
        "version": 1,
        **{k: v for k, v in raw.items() if k not in ("effective_from", "effective_to")},
        "effective_from": date(2026, 1, 1),
        "effective_to": None,
    }


def test_the_migration_turns_each_old_fee_into_a_schedule_and_back_into_the_total(database):
    engine = make_engine(database)
    old = sa.Table("procedures", sa.MetaData(), autoload_with=engine)
    assert "fee" in old.c and "fees" not in old.c
    with engine.begin() as conn:
        conn.execute(old.insert(), [old_row("9.000630", 75000), old_row("9.000631", 0)])
    engine.dispose()

    migrations.upgrade("intake", database)
    uow = Sessions(make_engine(database, pool_size=1))
    with uow.transaction() as session:
        columns = {c["name"] for c in sa.inspect(session.connection()).get_columns("procedures")}
        assert {"fees", "fee_exemptions"} <= columns and "fee" not in columns
    (charged,) = views(uow, "9.000630")
    assert charged["fees"] == [{"name": "Lệ phí", "amount": 75000, "kind": "le_phi", "when": "at_submission"}]
    assert charged["fee"] == 75000 and charged["fee_exemptions"] == []
    (free,) = views(uow, "9.000631")
    assert free["fees"] == [] and free["fee"] == 0 and free["fee_exemptions"] == []
    # the file they came from is still the same text: nothing new
    assert len(run_import(uow, entry("9.000630", fee=75000), entry("9.000631", fee=0))["unchanged"]) == 2
    # a schedule of several items goes back down as its total
    run_import(uow, scheduled("9.000632", fees=[FILING, APPRAISAL]))
    uow.engine.dispose()

    command.downgrade(migrations.alembic_config("intake", database), BEFORE_SCHEDULES)
    engine = make_engine(database)
    with engine.connect() as conn:
        fees = dict(conn.execute(sa.text("SELECT code, fee FROM procedures WHERE code LIKE '9.00063%'")).all())
    engine.dispose()
    assert fees == {"9.000630": 75000, "9.000631": 0, "9.000632": 225000}
