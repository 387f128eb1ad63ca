"""The tracking book (Sổ theo dõi hồ sơ) and the catalogue report on PostgreSQL: the
book's lines built from the register and its trail (dossiers submitted, followed and
closed through the use cases), as a page, CSV and XLSX holding the same lines, in two
queries whatever the period; the report's lists and counts on a small catalogue, with
a dossier inserted under an expired version to prove the check finds it. Then both
routes over HTTP against the running services."""

import csv
import io
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
import requests
import sqlalchemy as sa

from services.intake import application
from services.intake.adapters import catalogue_report, orm, queries, register_book
from services.intake.adapters.repository import IntakeWork
from services.intake.domain.model import Actor
from services.intake.schemas import Submission, catalogue_entries
from shared import clock, exports
from shared.http import load
from tests.intake.conftest import AGENCY, THURSDAY_MORNING, body
from tests.system import ADMIN, COUNTER, dossier_body, officer, token

COUNTER_ACTOR = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
OTHER_AGENCY = "000.00.01.H56"
DEC_1, DEC_2 = date(2026, 12, 1), date(2026, 12, 2)


def moment(month, day, hour, minute=0):
    """A moment of 2026 in Vietnam's time."""
    return datetime(2026, month, day, hour, minute, tzinfo=clock.TZ)


def act(uow, fn, *args):
    with uow.work(IntakeWork) as work:
        return fn(work, *args)


def counter_dossier(uow, at, actor=COUNTER_ACTOR, **overrides):
    with uow.work(IntakeWork) as work:
        dossier, _ = application.submit(work, load(Submission(), body(**overrides)), actor, at)
    return dossier.code


def follow(uow, code, event_type, at, **data):
    act(uow, application.follow, event_type, code, data, at)


@pytest.fixture(scope="module")
def december(uow):
    """A small period of the register: what each dossier went through (codes by name)."""
    act(uow, application.set_agency, AGENCY, "Ủy ban nhân dân quận Lê Chân", "1 Đinh Tiên Hoàng", "Hải Phòng")
    codes = {"before": counter_dossier(uow, moment(11, 30, 23, 30))}  # the evening before the period

    codes["in_progress"] = counter_dossier(uow, moment(12, 1, 8))
    follow(uow, codes["in_progress"], "processing_started", moment(12, 1, 8, 1), department="TUPHAP", step=1)

    codes["result"] = counter_dossier(uow, moment(12, 1, 8, 30), return_method="postal", sets=3)
    follow(uow, codes["result"], "processing_started", moment(12, 1, 8, 31), department="TUPHAP", step=1)
    follow(uow, codes["result"], "dossier_transferred", moment(12, 1, 9), department="LANHDAO", step=2)
    follow(uow, codes["result"], "result_ready", moment(12, 2, 10), department="LANHDAO", return_method="postal")
    follow(uow, codes["result"], "shipment_created", moment(12, 2, 11), waybill="EP1VN")

    codes["returned"] = counter_dossier(uow, moment(12, 1, 9))
    follow(uow, codes["returned"], "processing_started", moment(12, 1, 9, 1), department="TUPHAP", step=1)
    follow(uow, codes["returned"], "deadline_extended", moment(12, 2, 8), new_due_at=moment(12, 4, 17))
    follow(uow, codes["returned"], "dossier_overdue", moment(12, 3, 8))
    follow(uow, codes["returned"], "result_ready", moment(12, 3, 15), department="TUPHAP", return_method="counter")
    act(uow, application.hand_back, codes["returned"], COUNTER_ACTOR, moment(12, 4, 9))

    codes["withdrawn"] = counter_dossier(uow, moment(12, 1, 10))
    act(
        uow,
        application.withdraw,
        codes["withdrawn"],
        "Công dân xin rút để bổ sung giấy tờ",
        COUNTER_ACTOR,
        moment(12, 1, 11),
    )

    other = Actor(sub="canbo.khac", role="counter", agency=OTHER_AGENCY)
    codes["other_agency"] = counter_dossier(uow, moment(12, 1, 12), other)

    codes["rejected"] = counter_dossier(uow, moment(12, 2, 23, 59))  # the last minute of the period
    follow(uow, codes["rejected"], "processing_started", moment(12, 3, 8), department="TUPHAP", step=1)
    follow(uow, codes["rejected"], "dossier_rejected", moment(12, 3, 10), department="TUPHAP", reason="sai")
    codes["after"] = counter_dossier(uow, moment(12, 3, 0, 5))
    return codes


def the_book(uow, agency=AGENCY, start=DEC_1, end=DEC_2):
    with uow.transaction() as session:
        return register_book.book(session, agency, start, end)


def test_the_book_lists_the_dossiers_received_in_the_period_oldest_first_with_their_columns(uow, december):
    rows = the_book(uow)
    names = ["in_progress", "result", "returned", "withdrawn", "rejected"]
    assert [r["code"] for r in rows] == [december[n] for n in names]
    assert [r["number"] for r in rows] == [1, 2, 3, 4, 5]
    line = dict(zip(names, rows, strict=True))

    first = line["in_progress"]
    assert first["procedure_code"] == "2.000635" and first["procedure"] == "Cấp bản sao trích lục hộ tịch"
    assert (first["applicant_name"], first["address"], first["phone"]) == (
        "Trần Văn Bình",
        "2 Điện Biên Phủ, Hải Phòng",
        "0987654321",
    )
    assert first["department"] == "TUPHAP" and first["transferred_at"] == moment(12, 1, 8, 1)
    assert first["received_at"] == moment(12, 1, 8) and first["due_at"] == moment(12, 2, 8)  # 1 working day
    assert (first["result_at"], first["result"], first["returned_at"], first["notes"]) == (None, "", None, [])

    result = line["result"]
    assert result["sets"] == 3 and result["department"] == "TUPHAP"  # where processing started, not the transfer
    assert result["transferred_at"] == moment(12, 1, 8, 31)
    assert (result["result_at"], result["result"]) == (moment(12, 2, 10), "Có kết quả")
    assert result["notes"] == ["Trả kết quả qua bưu chính: đang chuyển phát"]

    returned = line["returned"]
    assert returned["returned_at"] == moment(12, 4, 9) and returned["result"] == "Có kết quả"
    assert returned["due_at"] == moment(12, 4, 17) and returned["notes"] == ["Hẹn lại", "Quá hạn"]

    withdrawn = line["withdrawn"]
    assert withdrawn["notes"] == ["Rút hồ sơ: Công dân xin rút để bổ sung giấy tờ"]
    assert withdrawn["transferred_at"] is None and withdrawn["department"] == "TUPHAP"  # the route's first step

    rejected = line["rejected"]
    assert (rejected["result_at"], rejected["result"]) == (moment(12, 3, 10), "Dừng xử lý")


def test_the_book_is_of_one_agency_or_every_agency_and_of_whole_days(uow, december):
    assert [r["code"] for r in the_book(uow, OTHER_AGENCY)] == [december["other_agency"]]
    everyone = [r["code"] for r in the_book(uow, None)]
    assert december["other_agency"] in everyone and len(everyone) == 6
    assert [r["code"] for r in the_book(uow, AGENCY, DEC_1, DEC_1)] == [
        december[n] for n in ("in_progress", "result", "returned", "withdrawn")
    ]
    around = the_book(uow, AGENCY, date(2026, 11, 30), date(2026, 12, 3))
    assert around[0]["code"] == december["before"] and around[-1]["code"] == december["after"]
    assert the_book(uow, "") == []  # a counter with no agency reads nobody's


def test_the_page_csv_and_xlsx_hold_the_same_lines(uow, december):
    rows = the_book(uow)
    with uow.transaction() as session:
        agency = register_book.agency_named(session, AGENCY)
    html = register_book.page(rows, agency, DEC_1, DEC_2, moment(12, 5, 9))
    assert "SỔ THEO DÕI HỒ SƠ" in html and "ỦY BAN NHÂN DÂN QUẬN LÊ CHÂN" in html
    assert "Từ ngày 01/12/2026 đến ngày 02/12/2026" in html and "Hải Phòng, ngày 5 tháng 12 năm 2026" in html
    assert all(r["code"] in html for r in rows) and december["before"] not in html
    assert "Rút hồ sơ: Công dân xin rút để bổ sung giấy tờ" in html and "Dừng xử lý" in html
    assert "size: A4 landscape" in html and 'id="count">5<' in html

    table = register_book.table(rows)
    answer = exports.download("csv", "so-theo-doi-ho-so-2026-12-01-2026-12-02", [table])
    assert answer.headers["Content-Disposition"] == 'attachment; filename="so-theo-doi-ho-so-2026-12-01-2026-12-02.csv"'
    read = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert read[0] == [heading for _, heading in register_book.COLUMNS]
    assert [line[1] for line in read[1:]] == [r["code"] for r in rows]
    by_key = [dict(zip(table.keys, line, strict=True)) for line in read[1:]]
    assert by_key[1]["received_at"] == "01/12/2026 08:30" and by_key[1]["result"] == "Có kết quả"
    assert by_key[2]["notes"] == "Hẹn lại; Quá hạn" and by_key[0]["result_at"] == ""

    book = openpyxl.load_workbook(io.BytesIO(exports.download("xlsx", "so", [table]).get_data()))
    sheet = book["Sổ theo dõi hồ sơ"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == [heading for _, heading in register_book.COLUMNS]
    assert [line[1] for line in values[1:]] == [r["code"] for r in rows]
    assert values[1][table.keys.index("received_at")] == datetime(2026, 12, 1, 8, 0)  # Vietnam's time
    assert values[3][table.keys.index("returned_at")] == datetime(2026, 12, 4, 9, 0)


def test_a_busy_month_is_read_in_two_queries(uow):
    """Three thousand dossiers of one agency with their trail: the book reads them in two
    statements and answers within a few seconds."""
    agency, version_id = "000.00.07.H56", None
    with uow.transaction() as session:
        version_id = session.scalar(sa.select(orm.procedures.c.id).where(orm.procedures.c.code == "2.000635"))
        dossiers, history = [], []
        for i in range(3000):
            received = moment(12, 1, 7) + timedelta(days=i % 30, minutes=i % 600)
            code = f"{agency}-bench-{i:05d}"
            dossiers.append(
                {
                    "code": code,
                    "agency_code": agency,
                    "procedure_id": version_id,
                    "procedure_code": "2.000635",
                    "procedure_version": 1,
                    "channel": "counter",
                    "status": "result_ready",
                    "status_at": received + timedelta(hours=5),
                    "applicant_name": f"Nguyễn Văn {i}",
                    "address": "Hải Phòng",
                    "phone": "0912345678",
                    "documents": [],
                    "return_method": "counter",
                    "submitted_at": received,
                    "received_at": received,
                    "due_at": received + timedelta(days=1),
                    "correlation_id": str(uuid.uuid4()),
                }
            )
            for status, hours, actor, note in (
                ("received", 0, "canbo", "kênh counter"),
                ("in_progress", 1, "processing", "TUPHAP"),
                ("result_ready", 5, "processing", "TUPHAP"),
            ):
                history.append(
                    {
                        "dossier_code": code,
                        "status": status,
                        "at": received + timedelta(hours=hours),
                        "actor": actor,
                        "note": note,
                    }
                )
        session.execute(sa.insert(orm.dossiers), dossiers)
        session.execute(sa.insert(orm.dossier_history), history)

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(uow.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        rows = the_book(uow, agency, DEC_1, date(2026, 12, 31))
        read = time.perf_counter() - started
    finally:
        sa.event.remove(uow.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    html = register_book.page(rows, None, DEC_1, date(2026, 12, 31), moment(12, 31, 17))
    xlsx = exports.download("xlsx", "so", [register_book.table(rows)]).get_data()
    rendered = time.perf_counter() - started
    print(
        f"\nbook of {len(rows)} dossiers: read {read:.3f}s, "
        f"page and xlsx {rendered:.3f}s ({len(html)} + {len(xlsx)} bytes)"
    )
    assert len(rows) == 3000 and rows[0]["received_at"] <= rows[-1]["received_at"]
    assert all(r["department"] == "TUPHAP" and r["result"] == "Có kết quả" for r in rows)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert read < 3 and rendered < 15


# --- the catalogue report ---------------------------------------------------------------

TEST_AGENCY = "000.00.09.H56"
ON = THURSDAY_MORNING.date()  # 2026-11-26


def procedure(code, field="Hộ tịch", online_service="none", return_methods=("counter",), **more):
    return {
        "code": code,
        "name": f"Thủ tục thử {code}",
        "field": field,
        "online_service": online_service,
        "agency_code": TEST_AGENCY,
        "duration_days": 3,
        "route": [{"department": "TUPHAP", "days": 3}],
        "documents": ["Tờ khai"],
        "return_methods": list(return_methods),
        "supplement_clock": "restart",
        "effective_from": "2026-01-01",
        **more,
    }


def inserted(session, code, submitted_at, agency=TEST_AGENCY):
    """A dossier row written as it stands, under the version of `code` first in effect."""
    version = session.execute(
        sa.select(orm.procedures.c.id, orm.procedures.c.version)
        .where(orm.procedures.c.code == code)
        .order_by(orm.procedures.c.effective_from)
    ).first()
    session.execute(
        sa.insert(orm.dossiers).values(
            code=f"{agency}-{uuid.uuid4().hex[:10]}",
            agency_code=agency,
            procedure_id=version.id,
            procedure_code=code,
            procedure_version=version.version,
            channel="counter",
            status="received",
            status_at=submitted_at,
            applicant_name="Lê Thị Thử",
            documents=[],
            return_method="counter",
            submitted_at=submitted_at,
            received_at=submitted_at,
            correlation_id=str(uuid.uuid4()),
        )
    )


@pytest.fixture(scope="module")
def small_catalogue(uow):
    entries = [
        procedure("9.100001", effective_to="2026-06-30"),  # expired
        procedure("9.100002", online_service="full", effective_from=(ON + timedelta(days=10)).isoformat()),
        procedure("9.100003", online_service="full", return_methods=("counter", "postal")),  # unused
        procedure("9.100004", field="Xây dựng", online_service="partial", postal_reception=False),
        procedure("9.100005", return_methods=("counter", "postal")),
    ]
    with uow.work(IntakeWork) as work:
        application.import_catalogue(work, catalogue_entries({"procedures": entries}), ON, full=False)
    counter = Actor(sub="canbo.thu", role="counter", agency=TEST_AGENCY)
    for code in ("9.100004", "9.100005"):
        counter_dossier(uow, moment(9, 1, 9), counter, procedure=code, documents=[{"name": "Tờ khai", "copies": 1}])
    with uow.transaction() as session:
        inserted(session, "9.100001", moment(7, 5, 10))  # taken five days after its last day
        inserted(session, "9.100001", moment(7, 7, 14))
        inserted(session, "9.100001", datetime(2026, 6, 30, 16, 59, tzinfo=UTC))  # 23:59 of its last day
        inserted(session, "9.100003", datetime(2025, 11, 26, 16, 50, tzinfo=UTC))  # 366 days before
    return entries


def the_report(uow, agency=TEST_AGENCY, on=ON):
    with uow.transaction() as session:
        return catalogue_report.report(session, on, agency)


def test_the_report_finds_a_dossier_taken_under_an_expired_version(uow, small_catalogue):
    report = the_report(uow)
    [expired] = report["expired_still_submitted"]
    assert (expired["code"], expired["version"], expired["effective_to"]) == ("9.100001", 1, date(2026, 6, 30))
    assert expired["dossiers"] == 2 and expired["last_submitted_at"] == moment(7, 7, 14)
    # as known before the second one came in
    [earlier] = the_report(uow, on=date(2026, 7, 6))["expired_still_submitted"]
    assert earlier["dossiers"] == 1 and earlier["last_submitted_at"] == moment(7, 5, 10)
    assert the_report(uow, on=date(2026, 7, 1))["expired_still_submitted"] == []


def test_the_report_lists_nothing_expired_as_offered_what_comes_soon_and_what_nobody_uses(uow, small_catalogue):
    report = the_report(uow)
    assert report["on"] == ON and report["agency"] == TEST_AGENCY
    assert report["offered_after_expiry"] == []
    assert [(v["code"], v["effective_from"]) for v in report["coming_into_effect"]] == [
        ("9.100002", ON + timedelta(days=10))
    ]
    assert [v["code"] for v in report["unused"]] == ["9.100003"]
    assert the_report(uow, on=ON - timedelta(days=11))["coming_into_effect"][0]["code"] == "9.100002"
    assert the_report(uow, on=ON - timedelta(days=21))["coming_into_effect"] == []  # 31 days ahead

    assert report["headline"] == {
        "in_effect": 3,
        "online_full": 1,
        "online_partial": 1,
        "online_services": 2,
        "postal_return": 2,
        "postal_reception": 2,
    }
    assert report["by_agency_field"] == [
        {
            "agency_code": TEST_AGENCY,
            "field": "Hộ tịch",
            "in_effect": 2,
            "online_full": 1,
            "online_partial": 0,
            "online_services": 1,
            "postal_return": 2,
            "postal_reception": 2,
        },
        {
            "agency_code": TEST_AGENCY,
            "field": "Xây dựng",
            "in_effect": 1,
            "online_full": 0,
            "online_partial": 1,
            "online_services": 1,
            "postal_return": 0,
            "postal_reception": 0,
        },
    ]
    everything = the_report(uow, agency=None)
    assert everything["headline"]["in_effect"] == 3 + 3  # and the demo catalogue's three
    assert {row["agency_code"] for row in everything["by_agency_field"]} == {AGENCY, TEST_AGENCY}


def test_the_report_as_csv_and_xlsx(uow, small_catalogue):
    tables = catalogue_report.tables(the_report(uow))
    read = list(csv.reader(io.StringIO(exports.download("csv", "r", tables).get_data().decode("utf-8-sig"))))
    assert read[0][:3] == ["Mã cơ quan", "Lĩnh vực", "Thủ tục đang có hiệu lực"]
    assert [line[:3] for line in read[1:]] == [
        [TEST_AGENCY, "Hộ tịch", "2"],
        [TEST_AGENCY, "Xây dựng", "1"],
        ["Tổng cộng", "", "3"],
    ]
    book = openpyxl.load_workbook(io.BytesIO(exports.download("xlsx", "r", tables).get_data()))
    assert book.sheetnames == [
        "Theo cơ quan và lĩnh vực",
        "Hết hiệu lực vẫn nhận hồ sơ",
        "Hết hiệu lực vẫn cung cấp",
        "Sắp có hiệu lực trong 30 ngày",
        "Không phát sinh hồ sơ 365 ngày",
    ]
    expired = list(book["Hết hiệu lực vẫn nhận hồ sơ"].iter_rows(values_only=True))
    assert expired[1][0] == "9.100001" and expired[1][-2] == 2 and expired[1][-1] == datetime(2026, 7, 7, 14, 0)
    assert len(list(book["Hết hiệu lực vẫn cung cấp"].iter_rows())) == 1  # the headings only
    assert [r[0] for r in book["Không phát sinh hồ sơ 365 ngày"].iter_rows(min_row=2, values_only=True)] == ["9.100003"]


def test_the_catalogue_answers_postal_reception(uow, small_catalogue):
    with uow.transaction() as session:
        views = {v.code: queries.procedure_view(v) for v in queries.listed_on(session, ON)}
    assert views["9.100004"]["postal_reception"] is False and views["9.100005"]["postal_reception"] is True
    assert views["2.000635"]["postal_reception"] is True  # every version before the field was added


# --- over HTTP -----------------------------------------------------------------------------

OTHER_COUNTER = token("counter", agency=OTHER_AGENCY, sub="canbo.khac")
TODAY = "2026-11-26"  # the running services' business day (tests.system.BUSINESS_MORNING)


def get(system, path, headers=COUNTER, **params):
    return requests.get(system.url("intake", path), params=params, headers=headers, timeout=30)


def posted(system, headers=COUNTER, **overrides):
    answer = requests.post(
        system.url("intake", "/api/dossiers"),
        json=dossier_body(**overrides),
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


@pytest.mark.e2e
def test_the_book_over_http_in_every_format_for_whom_it_may_concern(system):
    mine, theirs = posted(system), posted(system, OTHER_COUNTER)
    period = {"from": TODAY, "to": TODAY}

    answer = get(system, "/api/register/book", **period, format="json")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    book = answer.json()
    assert book["from"] == book["to"] == TODAY and book["agency"]["code"] == "000.00.06.H56"
    codes = [r["code"] for r in book["rows"]]
    assert mine in codes and theirs not in codes
    assert [r["number"] for r in book["rows"]] == list(range(1, len(codes) + 1))
    # a counter reads its own agency whatever it asks for
    asked = get(system, "/api/register/book", **period, format="json", agency=OTHER_AGENCY).json()
    assert asked["agency"] == book["agency"] and [r["code"] for r in asked["rows"]] == codes
    everyone = [r["code"] for r in get(system, "/api/register/book", ADMIN, **period, format="json").json()["rows"]]
    assert {mine, theirs} <= set(everyone)
    only = get(system, "/api/register/book", ADMIN, **period, format="json", agency=OTHER_AGENCY).json()
    assert theirs in [r["code"] for r in only["rows"]] and mine not in [r["code"] for r in only["rows"]]

    page = get(system, "/api/register/book", **period)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "SỔ THEO DÕI HỒ SƠ" in page.text and mine in page.text and theirs not in page.text
    assert "script-src" in page.headers["Content-Security-Policy"]

    as_csv = get(system, "/api/register/book", **period, format="csv")
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    assert as_csv.headers["Content-Disposition"] == f'attachment; filename="so-theo-doi-ho-so-{TODAY}-{TODAY}.csv"'
    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [line[1] for line in lines[1:]] == codes

    as_xlsx = get(system, "/api/register/book", **period, format="xlsx")
    assert as_xlsx.status_code == 200 and as_xlsx.headers["Content-Type"] == exports.XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    assert [line[1] for line in sheet.iter_rows(min_row=2, values_only=True)] == codes

    assert get(system, "/api/register/book", {}, **period).status_code == 401
    for headers in (officer("TUPHAP"), token("portal", sub="dichvucong")):
        refused = get(system, "/api/register/book", headers, **period)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


@pytest.mark.e2e
def test_bad_periods_are_400_in_vietnamese(system):
    for params, field in (
        ({"to": TODAY}, "from"),
        ({"from": TODAY}, "to"),
        ({"from": "26/11/2026", "to": TODAY}, "from"),
        ({"from": TODAY, "to": "2026-11-25"}, "to"),
        ({"from": "2025-11-01", "to": TODAY}, "to"),
        ({"from": TODAY, "to": TODAY, "format": "pdf"}, "format"),
    ):
        answer = get(system, "/api/register/book", **params)
        assert answer.status_code == 400, (params, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "invalid_input" and field in error["fields"], answer.text
        assert error["message"] == "Dữ liệu chưa hợp lệ, xem từng trường"


@pytest.mark.e2e
def test_the_catalogue_report_over_http(system):
    answer = get(system, "/api/procedures/report", ADMIN)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    report = answer.json()
    assert report["on"] == TODAY and report["agency"] is None
    assert report["offered_after_expiry"] == [] and report["expired_still_submitted"] == []
    assert report["headline"]["in_effect"] >= 3
    assert report["headline"]["online_services"] == (
        report["headline"]["online_full"] + report["headline"]["online_partial"]
    )
    mine = get(system, "/api/procedures/report", agency=OTHER_AGENCY).json()  # a counter: its own agency
    assert mine["agency"] == "000.00.06.H56"
    assert {row["agency_code"] for row in mine["by_agency_field"]} <= {"000.00.06.H56"}

    as_csv = get(system, "/api/procedures/report", ADMIN, format="csv", on="2026-12-01")
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    assert "bao-cao-danh-muc-thu-tuc-2026-12-01.csv" in as_csv.headers["Content-Disposition"]
    assert as_csv.content.decode("utf-8-sig").splitlines()[-1].startswith("Tổng cộng,")
    as_xlsx = get(system, "/api/procedures/report", ADMIN, format="xlsx")
    assert as_xlsx.headers["Content-Type"] == exports.XLSX_TYPE
    assert len(openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).sheetnames) == 5

    refused = get(system, "/api/procedures/report", officer("TUPHAP"))
    assert refused.status_code == 403
    bad = get(system, "/api/procedures/report", ADMIN, on="hôm nay")
    assert bad.status_code == 400 and "on" in bad.json()["error"]["fields"]
    version = get(system, "/api/procedures/2.000635", {}).json()["in_effect"]
    assert version["postal_reception"] is True
