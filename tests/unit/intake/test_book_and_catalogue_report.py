"""The tracking book's lines and the catalogue report's lists as pure logic: what a line
says of a dossier and its trail, who sees which agency, the period's bounds and
parameters, and which versions each list of the report holds; postal reception as a
catalogue field that makes a new version when it changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.intake.adapters import catalogue_report, register_book
from services.intake.adapters.register_book import Entry
from services.intake.domain.model import ProcedureVersion
from services.intake.schemas import BookQuery, CatalogueReportQuery, catalogue_entries
from shared import clock
from shared.http import ApiError, load
from tests.unit.intake.fakes import FakeIntakeWork
from tests.unit.intake.test_catalogue import codes, entry, run_import

ON = date(2026, 11, 26)
MORNING = datetime(2026, 11, 2, 8, 0, tzinfo=clock.TZ)


def dossier(**changes: Any) -> dict[str, Any]:
    row = {
        "code": "000.00.06.H56-261102-0001",
        "procedure_code": "2.000635",
        "procedure_name": "Cấp bản sao trích lục hộ tịch",
        "route": [{"department": "TUPHAP", "days": 3}, {"department": "LANHDAO", "days": 1}],
        "sets": 2,
        "applicant_name": "Trần Văn Bình",
        "address": "2 Điện Biên Phủ, Hải Phòng",
        "phone": "0987654321",
        "channel": "counter",
        "status": "in_progress",
        "closing_reason": None,
        "received_at": MORNING,
        "due_at": MORNING + timedelta(days=3),
        "returned_at": None,
        "rescheduled": False,
        "overdue": False,
        "return_method": "counter",
        "postal_status": None,
    }
    row.update(changes)
    return row


def at(hours: float) -> datetime:
    return MORNING + timedelta(hours=hours)


def test_a_line_shows_the_dossier_the_department_processing_started_it_in_and_the_result() -> None:
    trail = [
        Entry("in_progress", at(1), "processing", "TCKH"),
        Entry("in_progress", at(5), "processing", "LANHDAO"),  # transferred on: not the department in charge
        Entry("result_ready", at(30), "processing", "LANHDAO"),
    ]
    line = register_book.book_row(7, dossier(status="result_ready"), trail)
    assert line["number"] == 7 and line["code"] == "000.00.06.H56-261102-0001" and line["sets"] == 2
    assert line["procedure"] == "Cấp bản sao trích lục hộ tịch" and line["applicant_name"] == "Trần Văn Bình"
    assert line["address"] == "2 Điện Biên Phủ, Hải Phòng" and line["phone"] == "0987654321"  # a staff-only book
    assert line["department"] == "TCKH" and line["transferred_at"] == at(1)
    assert (line["result_at"], line["result"]) == (at(30), "Có kết quả")
    assert line["received_at"] == MORNING and line["returned_at"] is None and line["notes"] == []


def test_before_processing_the_department_is_the_routes_first_and_nothing_is_transferred() -> None:
    line = register_book.book_row(1, dossier(status="received", address=None, phone=None), [])
    assert line["department"] == "TUPHAP"
    assert line["transferred_at"] is None and line["result_at"] is None and line["result"] == ""
    assert line["address"] == "" and line["phone"] == ""
    # an entry that names no department (the counter's supplement) leaves the route's
    supplemented = register_book.book_row(1, dossier(), [Entry("in_progress", at(2), "canbo", "bổ sung: Tờ khai")])
    assert supplemented["department"] == "TUPHAP" and supplemented["transferred_at"] == at(2)


def test_a_rejection_is_a_stop_and_the_latest_decision_is_the_result() -> None:
    trail = [Entry("in_progress", at(1), "processing", "TUPHAP"), Entry("rejected", at(9), "processing", "TUPHAP")]
    line = register_book.book_row(1, dossier(status="rejected"), trail)
    assert (line["result_at"], line["result"]) == (at(9), "Dừng xử lý")
    later = [*trail[:1], Entry("result_ready", at(4), "processing", ""), trail[1]]
    assert register_book.book_row(1, dossier(), later)["result"] == "Dừng xử lý"


def test_the_notes_say_withdrawal_with_its_reason_a_new_appointment_lateness_and_a_return_by_post() -> None:
    assert register_book.notes(dossier()) == []
    withdrawn = dossier(status="withdrawn", closing_reason="Công dân không còn nhu cầu")
    assert register_book.notes(withdrawn) == ["Rút hồ sơ: Công dân không còn nhu cầu"]
    assert register_book.notes(dossier(status="withdrawn")) == ["Rút hồ sơ"]
    busy = dossier(channel="postal", rescheduled=True, overdue=True, return_method="postal", postal_status="delivered")
    assert register_book.notes(busy) == [
        "Nộp qua bưu chính công ích",
        "Hẹn lại",
        "Quá hạn",
        "Trả kết quả qua bưu chính: đã phát",
    ]
    assert register_book.notes(dossier(channel="online", return_method="postal")) == [
        "Nộp trực tuyến",
        "Trả kết quả qua bưu chính",
    ]


def test_a_counter_reads_only_its_own_agency_and_an_admin_chooses() -> None:
    counter = {"role": "counter", "agency": "000.00.06.H56"}
    assert register_book.scoped_agency(counter, None) == "000.00.06.H56"
    assert register_book.scoped_agency(counter, "000.00.01.H56") == "000.00.06.H56"
    assert register_book.scoped_agency({"role": "counter"}, "000.00.01.H56") == ""  # no agency: none of anyone's
    assert register_book.scoped_agency({"role": "admin"}, None) is None
    assert register_book.scoped_agency({"role": "admin"}, "000.00.01.H56") == "000.00.01.H56"


def test_a_period_is_whole_days_in_vietnam() -> None:
    first, after = register_book.period(date(2026, 11, 1), date(2026, 11, 30))
    assert first == datetime(2026, 11, 1, 0, 0, tzinfo=clock.TZ)
    assert after == datetime(2026, 12, 1, 0, 0, tzinfo=clock.TZ)
    assert first.utcoffset() == timedelta(hours=7)


def refused(schema: type, params: dict[str, str]) -> dict[str, Any]:
    with pytest.raises(ApiError) as caught:
        load(schema, params)
    assert caught.value.status == 400 and caught.value.code == "invalid_input"
    return caught.value.fields


def test_the_books_period_is_required_ordered_and_at_most_366_days() -> None:
    loaded = BookQuery().load({"from": "2026-11-01", "to": "2026-11-30", "agency": " "})
    assert loaded == {"start": date(2026, 11, 1), "end": date(2026, 11, 30), "agency": None, "format": "html"}
    assert BookQuery().load({"from": "2024-01-01", "to": "2024-12-31"})["end"] == date(2024, 12, 31)  # 366 days
    assert refused(BookQuery, {"to": "2026-11-30"}) == {"from": ["Bắt buộc nhập"]}
    assert refused(BookQuery, {"from": "2026-11-30", "to": "2026-11-01"}) == {
        "to": ["Ngày kết thúc không được trước ngày bắt đầu"]
    }
    assert "to" in refused(BookQuery, {"from": "2025-01-01", "to": "2026-01-02"})
    assert refused(BookQuery, {"from": "30/11/2026", "to": "2026-11-30"}) == {"from": ["Ngày có dạng YYYY-MM-DD"]}
    fields = refused(BookQuery, {"from": "2026-11-01", "to": "2026-11-02", "format": "pdf", "agency": "H56"})
    assert set(fields) == {"format", "agency"}
    assert refused(CatalogueReportQuery, {"format": "html"}) == {"format": ["Định dạng là một trong: json, csv, xlsx"]}
    assert CatalogueReportQuery().load({}) == {"on": None, "agency": None, "format": "json"}


def version(code: str, number: int = 1, **changes: Any) -> ProcedureVersion:
    fields: dict[str, Any] = {
        "code": code,
        "version": number,
        "name": f"Thủ tục {code}",
        "field": "Hộ tịch",
        "level": 2,
        "online_service": "none",
        "agency_code": "000.00.06.H56",
        "duration_days": 3,
        "route": [{"department": "TUPHAP", "days": 3}],
        "documents": [],
        "return_methods": ["counter"],
        "supplement_clock": "restart",
        "cutoff": None,
        "effective_from": date(2026, 1, 1),
    }
    fields.update(changes)
    return ProcedureVersion(**fields)


def test_the_headline_counts_online_services_and_postal_reception_and_return() -> None:
    versions = [
        version("1.000001", online_service="full", return_methods=["counter", "postal"]),
        version("1.000002", online_service="partial", postal_reception=False),
        version("1.000003", field="Xây dựng", agency_code="000.00.01.H56", online_service="full"),
        version("1.000004"),
    ]
    assert catalogue_report.counts(versions) == {
        "in_effect": 4,
        "online_full": 2,
        "online_partial": 1,
        "online_services": 3,
        "postal_return": 1,
        "postal_reception": 3,
    }
    grouped = catalogue_report.by_agency_field(versions)
    assert [(g["agency_code"], g["field"], g["in_effect"], g["online_services"]) for g in grouped] == [
        ("000.00.01.H56", "Xây dựng", 1, 1),
        ("000.00.06.H56", "Hộ tịch", 3, 2),
    ]


def test_an_expired_version_still_offered_is_caught_and_a_correct_catalogue_offers_none() -> None:
    ended = version("1.000010", effective_to=date(2026, 6, 30))
    current = version("1.000010", 2, effective_from=date(2026, 7, 1))
    catalogue = [ended, current]
    assert catalogue_report.offered_after_expiry(ON, [current], catalogue) == []
    # a listing that still showed the ended version is reported
    assert catalogue_report.offered_after_expiry(ON, [ended, current], catalogue) == [ended]
    # on its last day it is still in effect: not reported
    assert catalogue_report.offered_after_expiry(date(2026, 6, 30), [ended], catalogue) == []


def test_coming_into_effect_within_30_days_and_unused_procedures() -> None:
    soon = version("1.000020", effective_from=ON + timedelta(days=10))
    edge = version("1.000021", effective_from=ON + timedelta(days=30))
    later = version("1.000022", effective_from=ON + timedelta(days=31))
    today = version("1.000023", effective_from=ON)
    assert catalogue_report.coming_into_effect(ON, [later, today, edge, soon]) == [soon, edge]
    used, idle = version("1.000030"), version("1.000031")
    assert catalogue_report.unused([idle, used], {"1.000030"}) == [idle]


def test_postal_reception_is_read_from_the_file_true_by_default() -> None:
    [default, in_person] = catalogue_entries(
        {"procedures": [entry("9.000101"), entry("9.000102", postal_reception=False)]}
    )
    assert default["postal_reception"] is True and in_person["postal_reception"] is False


def test_a_change_of_postal_reception_alone_is_a_new_version() -> None:
    work = FakeIntakeWork()
    run_import(work, entry("9.000110"))
    assert codes(run_import(work, entry("9.000110", postal_reception=True)), "unchanged") == [("9.000110", 1)]
    changed = run_import(work, entry("9.000110", postal_reception=False, effective_from="2026-12-01"))
    assert codes(changed, "changed") == [("9.000110", 2)]
    versions = work.procedures.get("9.000110").versions
    assert [(v.version, v.postal_reception, v.effective_to) for v in versions] == [
        (1, True, date(2026, 11, 30)),
        (2, False, None),
    ]
