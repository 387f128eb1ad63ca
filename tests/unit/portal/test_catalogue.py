"""Keeping the local catalogue in step with the national one: the comparison's
entries are applied by intake's own import, and what is offered afterwards is checked."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from services.intake import application
from services.intake.adapters import queries
from services.intake.domain.model import ProcedureVersion
from services.intake.schemas import catalogue_entries
from services.portal.domain import catalogue
from services.portal.domain.catalogue import Comparison
from shared import national_portal
from tests.unit.intake.fakes import FakeIntakeWork, work_with_demo_catalogue

TODAY = date(2026, 11, 26)
YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
PERMIT, COPIES, HOUSEHOLD = "1.001776", "2.000635", "1.000105"  # two steps, one step, one step
LE_CHAN, NGO_QUYEN = "000.00.06.H56", "000.00.07.H56"
NATIONAL_SERVICE = {local: upstream for upstream, local in national_portal.ONLINE_SERVICES.items()}


@pytest.fixture
def work() -> FakeIntakeWork:
    return work_with_demo_catalogue(TODAY)


def local_views(work: FakeIntakeWork, day: date = TODAY) -> list[dict[str, Any]]:
    """intake's GET /api/procedures, as the connector reads it over HTTP."""
    views = [queries.procedure_view(v) for v in work.procedures.listed_on(day)]
    return json.loads(json.dumps(views, default=str))


def national_of(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The national CATALOGUE entry saying what a local version says."""
    entry = {
        "code": view["code"],
        "name": view["name"],
        "field": view["field"],
        "agency_code": view["agency_code"],
        "online_service": NATIONAL_SERVICE[view["online_service"]],
        "duration_days": view["duration_days"],
        "documents": list(view["documents"]),
        "fees": [{"name": f["name"], "amount": f["amount"], "kind": f["kind"]} for f in view["fees"]],
        "effective_from": view["effective_from"],
        "effective_to": view["effective_to"],
        "status": "active",
        "legal_basis": view["legal_basis"],
    }
    entry.update(changes)
    return entry


def national_catalogue(work: FakeIntakeWork, without: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The national catalogue in step with intake, but for the procedures `without`."""
    return [national_of(view) for view in local_views(work) if view["code"] not in without]


def changed(
    work: FakeIntakeWork, procedure: str, /, without: tuple[str, ...] = (), **changes: Any
) -> list[dict[str, Any]]:
    """The national catalogue in step with intake, but for the procedure's `changes`."""
    return [
        national_of(view, **changes) if view["code"] == procedure else national_of(view)
        for view in local_views(work)
        if view["code"] not in without
    ]


def pull(work: FakeIntakeWork, national: list[dict], today: date = TODAY, **options: Any) -> Comparison:
    """One catalog-pull: compare, then apply the entries with intake's import."""
    comparison = catalogue.compare(national, local_views(work, today), today, **options)
    entries = json.loads(json.dumps(comparison.entries))  # JSON-ready, as sent to intake
    application.import_catalogue(work, catalogue_entries({"procedures": entries}), today)
    work.commit()
    return comparison


def offered(work: FakeIntakeWork, day: date) -> dict[str, ProcedureVersion]:
    return {v.code: v for v in work.procedures.listed_on(day)}


def problems_of(comparison: Comparison, code: str) -> list[str]:
    return [p for u in comparison.unmapped if u["code"] == code for p in u["problems"]]


def add_procedure(work: FakeIntakeWork, **overrides: Any) -> None:
    entry = {
        "code": "1.000200",
        "name": "Thủ tục thử",
        "field": "Thử nghiệm",
        "online_service": "none",
        "agency_code": LE_CHAN,
        "duration_days": 5,
        "route": [{"department": "TCKH", "days": 5}],
        "fees": [],
        "documents": ["Đơn đề nghị"],
        "return_methods": ["counter"],
        "supplement_clock": "restart",
        "effective_from": "2026-01-01",
        "legal_basis": "thử",
    }
    entry.update(overrides)
    application.import_catalogue(work, catalogue_entries({"procedures": [entry]}), TODAY)
    work.commit()


# --- in step -----------------------------------------------------------------------


def test_in_step_nothing_to_do(work: FakeIntakeWork) -> None:
    before = {code: v.version for code, v in offered(work, TODAY).items()}

    comparison = pull(work, national_catalogue(work))

    assert comparison == Comparison(entries=[], unmapped=[], differences=[], expiring=[])
    assert comparison.in_step
    assert {code: v.version for code, v in offered(work, TOMORROW).items()} == before


def test_fee_items_in_another_order_are_in_step(work: FakeIntakeWork) -> None:
    permit = next(v for v in local_views(work) if v["code"] == PERMIT)
    reversed_fees = list(reversed(national_of(permit)["fees"]))

    assert pull(work, changed(work, PERMIT, fees=reversed_fees)).in_step


def test_local_days_as_dates_or_text_compare_alike(work: FakeIntakeWork) -> None:
    views = [queries.procedure_view(v) for v in work.procedures.listed_on(TODAY)]
    national = changed(work, COPIES, name="Cấp bản sao trích lục hộ tịch (sửa đổi)", without=(HOUSEHOLD,))

    assert catalogue.compare(national, views, TODAY) == catalogue.compare(national, local_views(work), TODAY)


# --- rule 1: the national database is the reference ---------------------------------


def test_a_procedure_removed_upstream_is_no_longer_offered_after_one_pull(work: FakeIntakeWork) -> None:
    comparison = pull(work, national_catalogue(work, without=(HOUSEHOLD,)))

    assert HOUSEHOLD not in offered(work, TODAY)
    assert offered(work, YESTERDAY)[HOUSEHOLD].effective_to == YESTERDAY
    assert set(offered(work, TODAY)) == {PERMIT, COPIES}
    assert comparison.expiring == [HOUSEHOLD]
    assert comparison.differences == [
        {"code": HOUSEHOLD, "name": "Đăng ký thành lập hộ kinh doanh", "kind": "only_local", "fields": {}}
    ]
    assert [(e["code"], e["effective_from"], e["effective_to"]) for e in comparison.entries] == [
        (HOUSEHOLD, "2026-01-01", YESTERDAY.isoformat())
    ]
    # the next pull finds nothing left to do
    assert pull(work, national_catalogue(work)).in_step


@pytest.mark.parametrize(
    ("status", "effective_to", "last_day"),
    [
        ("expired", date(2026, 11, 16), date(2026, 11, 16)),
        ("active", date(2026, 11, 16), date(2026, 11, 16)),  # active, but its end is past
        ("expired", None, YESTERDAY),
    ],
)
def test_expired_upstream_ends_on_the_national_end_else_yesterday(
    work: FakeIntakeWork, status: str, effective_to: date | None, last_day: date
) -> None:
    end = effective_to.isoformat() if effective_to else None

    comparison = pull(work, changed(work, HOUSEHOLD, status=status, effective_to=end))

    assert offered(work, last_day)[HOUSEHOLD].effective_to == last_day
    assert HOUSEHOLD not in offered(work, last_day + timedelta(days=1))
    assert HOUSEHOLD not in offered(work, TODAY)
    assert [d["kind"] for d in comparison.differences] == ["expired_upstream"]
    assert comparison.expiring == [HOUSEHOLD]


def test_a_version_that_started_today_cannot_end_yesterday(work: FakeIntakeWork) -> None:
    add_procedure(work, effective_from=TODAY.isoformat())

    comparison = pull(work, national_catalogue(work, without=("1.000200",)))

    assert comparison.entries == []
    assert "không thể cho hết hiệu lực" in problems_of(comparison, "1.000200")[0]
    assert "1.000200" in offered(work, TOMORROW)


def test_a_version_of_the_old_level_scale_expires_too(work: FakeIntakeWork) -> None:
    # level 1 (information only) says the same as online_service none, but the import
    # matches the version only with its own level
    add_procedure(work, level=1)
    assert offered(work, TODAY)["1.000200"].level == 1

    comparison = pull(work, national_catalogue(work, without=("1.000200",)))

    assert comparison.expiring == ["1.000200"]
    assert "1.000200" not in offered(work, TODAY)


# --- rule 2: both active -----------------------------------------------------------


def test_a_future_end_upstream_ends_the_same_version_then(work: FakeIntakeWork) -> None:
    last_day = TODAY + timedelta(days=30)

    comparison = pull(work, changed(work, COPIES, effective_to=last_day.isoformat()))

    assert comparison.differences == [
        {
            "code": COPIES,
            "name": "Cấp bản sao trích lục hộ tịch",
            "kind": "different",
            "fields": {"effective_to": {"local": None, "national": last_day.isoformat()}},
        }
    ]
    assert comparison.expiring == [COPIES]
    assert offered(work, TOMORROW)[COPIES].version == 1
    assert offered(work, last_day)[COPIES].version == 1
    assert COPIES not in offered(work, last_day + timedelta(days=1))


def test_new_text_upstream_is_a_new_version_from_today(work: FakeIntakeWork) -> None:
    copies = next(v for v in local_views(work) if v["code"] == COPIES)
    name = "Cấp bản sao trích lục hộ tịch (sửa đổi)"
    documents = [*copies["documents"], "Văn bản ủy quyền"]
    fees = [{"name": "Lệ phí cấp bản sao trích lục hộ tịch", "amount": 10000, "kind": "le_phi"}]

    comparison = pull(work, changed(work, COPIES, name=name, documents=documents, fees=fees))

    new, old = offered(work, TODAY)[COPIES], offered(work, YESTERDAY)[COPIES]
    assert (old.version, old.effective_to) == (1, YESTERDAY)
    assert (new.version, new.effective_from, new.effective_to) == (2, TODAY, None)
    assert (new.name, new.documents) == (name, documents)
    assert new.fees == [{**fees[0], "when": "at_submission"}]  # the local `when` kept
    # what the national database does not hold stays as it was here
    assert (new.route, new.fee_exemptions, new.supplement_clock, new.cutoff, new.return_methods) == (
        old.route,
        old.fee_exemptions,
        "pause",
        "15:00",
        ["counter", "postal"],
    )
    assert comparison.expiring == []
    assert sorted(comparison.differences[0]["fields"]) == ["documents", "fees", "name"]
    # the next pull finds it in step; a further change the same day waits for tomorrow
    assert pull(work, changed(work, COPIES, name=name, documents=documents, fees=fees)).in_step
    again = pull(work, changed(work, COPIES, name="Tên khác", documents=documents, fees=fees))
    assert again.entries == []
    assert "không thể bắt đầu cùng ngày" in problems_of(again, COPIES)[0]
    assert offered(work, TOMORROW)[COPIES].version == 2


def test_new_text_from_a_later_national_date_starts_then(work: FakeIntakeWork) -> None:
    starts = TODAY + timedelta(days=10)

    pull(work, changed(work, COPIES, legal_basis="Luật Hộ tịch 2014, sửa đổi", effective_from=starts.isoformat()))

    assert offered(work, starts - timedelta(days=1))[COPIES].version == 1
    assert offered(work, starts)[COPIES].legal_basis == "Luật Hộ tịch 2014, sửa đổi"
    assert offered(work, starts)[COPIES].effective_from == starts


def test_new_text_with_an_end_upstream_ends_the_new_version(work: FakeIntakeWork) -> None:
    last_day = TODAY + timedelta(days=30)

    comparison = pull(work, changed(work, COPIES, field="Hộ tịch, chứng thực", effective_to=last_day.isoformat()))

    assert offered(work, YESTERDAY)[COPIES].effective_to == YESTERDAY
    assert offered(work, TODAY)[COPIES].field == "Hộ tịch, chứng thực"
    assert offered(work, last_day)[COPIES].version == 2
    assert COPIES not in offered(work, last_day + timedelta(days=1))
    assert comparison.expiring == [COPIES]


def test_new_online_service_level_upstream(work: FakeIntakeWork) -> None:
    pull(work, changed(work, HOUSEHOLD, online_service="toan_trinh"))

    assert (offered(work, TODAY)[HOUSEHOLD].online_service, offered(work, TODAY)[HOUSEHOLD].level) == ("full", 4)


def test_another_duration_of_a_two_step_route_is_reported_while_an_expiry_applies(work: FakeIntakeWork) -> None:
    comparison = pull(work, changed(work, PERMIT, duration_days=20, without=(HOUSEHOLD,)))

    assert [e["code"] for e in comparison.entries] == [HOUSEHOLD]
    assert "2 bước" in problems_of(comparison, PERMIT)[0]
    assert {d["code"]: d["fields"] for d in comparison.differences if d["kind"] == "different"} == {
        PERMIT: {"duration_days": {"local": 15, "national": 20}}
    }
    permit = offered(work, TOMORROW)[PERMIT]
    assert (permit.version, permit.duration_days) == (1, 15)
    assert HOUSEHOLD not in offered(work, TODAY)


def test_another_duration_of_a_one_step_route_is_a_new_version(work: FakeIntakeWork) -> None:
    pull(work, changed(work, COPIES, duration_days=2))

    copies = offered(work, TODAY)[COPIES]
    assert (copies.version, copies.duration_days, copies.route) == (2, 2, [{"department": "TUPHAP", "days": 2}])


# --- what cannot be mapped -----------------------------------------------------------


def test_a_new_national_procedure_is_reported_not_imported(work: FakeIntakeWork) -> None:
    new = national_of(next(v for v in local_views(work) if v["code"] == HOUSEHOLD), code="1.999999", name="Thủ tục mới")
    elsewhere = {**new, "code": "1.888888", "agency_code": NGO_QUYEN}  # another district's
    abolished = {**new, "code": "1.777777", "status": "expired", "effective_to": "2026-06-30"}

    comparison = pull(work, [*national_catalogue(work), new, elsewhere, abolished])

    assert comparison.entries == []
    assert comparison.differences == [
        {"code": "1.999999", "name": "Thủ tục mới", "kind": "only_national", "fields": {}}
    ]
    assert comparison.unmapped == [{"code": "1.999999", "name": "Thủ tục mới", "problems": [catalogue.NEW_PROCEDURE]}]
    assert "1.999999" not in offered(work, TODAY)


@pytest.mark.parametrize(
    ("fee", "words"),
    [
        ({"name": "Lệ phí cấp giấy phép xây dựng", "amount": None, "kind": "le_phi"}, "không có mức thu"),
        ({"name": "Phí thẩm định thiết kế", "amount": 50000, "kind": "phi"}, "chưa có tại đây"),
        ({"name": "Lệ phí cấp giấy phép xây dựng", "amount": 75000, "kind": "thue"}, "không phải le_phi"),
    ],
)
def test_fees_that_cannot_be_mapped_are_reported(work: FakeIntakeWork, fee: dict[str, Any], words: str) -> None:
    comparison = pull(work, changed(work, PERMIT, fees=[fee]))

    assert comparison.entries == []
    assert [u["code"] for u in comparison.unmapped] == [PERMIT]
    assert words in " ".join(problems_of(comparison, PERMIT))
    assert offered(work, TOMORROW)[PERMIT].version == 1


def test_a_fee_dropped_upstream_is_dropped_here(work: FakeIntakeWork) -> None:
    fees = [{"name": "Lệ phí cấp giấy phép xây dựng", "amount": 100000, "kind": "le_phi"}]

    pull(work, changed(work, PERMIT, fees=fees))

    assert offered(work, TODAY)[PERMIT].fees == [{**fees[0], "when": "at_submission"}]


def test_another_agency_is_reported(work: FakeIntakeWork) -> None:
    comparison = pull(work, changed(work, PERMIT, agency_code=NGO_QUYEN, name="Tên mới"))

    assert comparison.entries == []
    assert NGO_QUYEN in problems_of(comparison, PERMIT)[0]
    assert comparison.differences[0]["fields"]["agency_code"] == {"local": LE_CHAN, "national": NGO_QUYEN}
    assert offered(work, TOMORROW)[PERMIT].name == "Cấp giấy phép xây dựng nhà ở riêng lẻ"


def test_a_procedure_of_an_agency_not_handled_here_is_reported(work: FakeIntakeWork) -> None:
    comparison = pull(work, changed(work, PERMIT, name="Tên mới"), agencies=[NGO_QUYEN])

    assert comparison.entries == []
    assert "không phải cơ quan tại đây" in problems_of(comparison, PERMIT)[0]


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "draft"},
        {"effective_from": "01/01/2026"},
        {"effective_to": "2026-13-01"},
    ],
)
def test_an_unreadable_national_entry_leaves_the_local_version_alone(
    work: FakeIntakeWork, changes: dict[str, Any]
) -> None:
    comparison = pull(work, changed(work, HOUSEHOLD, **changes))

    assert comparison.entries == []
    assert len(comparison.unmapped) == 1
    assert HOUSEHOLD in offered(work, TOMORROW)


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "x" * 501},
        {"documents": "Tờ khai"},
        {"duration_days": 400},
        {"online_service": "muc_4"},
    ],
)
def test_values_an_import_would_refuse_are_reported(work: FakeIntakeWork, changes: dict[str, Any]) -> None:
    # refused here, they would stop the other procedure's expiry in the same import
    comparison = pull(work, changed(work, COPIES, without=(HOUSEHOLD,), **changes))

    assert [e["code"] for e in comparison.entries] == [HOUSEHOLD]
    assert [u["code"] for u in comparison.unmapped] == [COPIES]
    assert offered(work, TOMORROW)[COPIES].version == 1
    assert HOUSEHOLD not in offered(work, TODAY)


def test_the_staleness_report_lists_every_difference_by_code(work: FakeIntakeWork) -> None:
    national = changed(work, COPIES, name="Tên mới", without=(HOUSEHOLD,))
    national = [{**n, "status": "expired"} if n["code"] == PERMIT else n for n in national]
    new = {**national[0], "code": "1.999999", "name": "Thủ tục mới", "status": "active"}

    comparison = catalogue.compare([*national, new], local_views(work), TODAY)

    assert [(d["code"], d["kind"]) for d in comparison.differences] == [
        (HOUSEHOLD, "only_local"),
        (PERMIT, "expired_upstream"),
        ("1.999999", "only_national"),
        (COPIES, "different"),
    ]
    assert comparison.differences[-1]["fields"] == {
        "name": {"local": "Cấp bản sao trích lục hộ tịch", "national": "Tên mới"}
    }
    assert comparison.expiring == [HOUSEHOLD, PERMIT]
    json.dumps(comparison.view())  # JSON-ready
