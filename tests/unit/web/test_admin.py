"""The administrators' pages' own logic, without a browser: the calendar's month
grids, a refused catalogue file's problems in words, the import's summary, the
account form's checks, the uploads' text and the status notes."""

from datetime import date, datetime

from services.web.pages import admin
from shared import clock

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)


def test_the_year_of_the_calendar_page_is_checked():
    assert admin.parse_year(None, 2026) == 2026
    assert admin.parse_year(" 2027 ", 2026) == 2027
    assert admin.parse_year("hai-nghin", 2026) is None
    assert admin.parse_year("1999", 2026) is None and admin.parse_year("2100", 2026) is None


def test_a_month_grid_starts_on_monday_and_marks_the_days_off_and_worked():
    marked = {
        "2026-08-22": {"day": "2026-08-22", "kind": "makeup", "reason": "Làm bù", "off": False},
        "2026-08-31": {"day": "2026-08-31", "kind": "holiday", "reason": "Ngày nghỉ", "off": True},
    }
    weeks = admin.month_grid(2026, 8, marked)
    assert weeks[0][:5] == [None] * 5  # 01/08/2026 is a Saturday
    assert weeks[0][5]["day"] == date(2026, 8, 1) and weeks[0][5]["kind"] == "work"
    cells = {c["iso"]: c for week in weeks for c in week if c}
    assert len(cells) == 31 and all(len(week) == 7 for week in weeks)
    assert cells["2026-08-22"]["kind"] == "makeup" and not cells["2026-08-22"]["off"]
    assert cells["2026-08-31"]["off"] and cells["2026-08-31"]["reason"] == "Ngày nghỉ"


def test_the_year_view_counts_and_lists_the_notable_days_by_month():
    answer = {
        "year": 2027,
        "working_days": 248,
        "days_off": [
            {"day": "2027-01-01", "kind": "holiday", "reason": "Tết Dương lịch"},
            {"day": "2027-01-02", "kind": "weekend", "reason": "Thứ Bảy"},
            {"day": "2027-03-08", "kind": "override", "reason": "Nghỉ thêm"},
        ],
        "weekend_working_days": [{"day": "2027-03-13", "kind": "override", "reason": "Làm bù"}],
    }
    view = admin.year_view(answer)
    assert view["counts"] == {"weekend": 1, "holiday": 1, "override": 1} and view["days_off"] == 3
    assert [d["day"] for d in view["months"][0]["notable"]] == ["2027-01-01"]  # not the weekend
    assert [(d["day"], d["off"]) for d in view["months"][2]["notable"]] == [("2027-03-08", True), ("2027-03-13", False)]
    assert view["months"][1]["notable"] == [] and len(view["months"]) == 12


def test_a_refused_catalogue_file_is_told_entry_by_entry_with_its_code():
    document = {"procedures": [{"code": "3.000001"}, {"name": "không mã"}], "agencies": [{"code": "H56"}]}
    fields = {
        "procedures": {"0": {"level": ["Mức độ dịch vụ công từ 1 đến 4"]}, "1": ["Thời gian hiệu lực chồng lên"]},
        "agencies": {"0": {"code": ["Mã cơ quan có dạng 000.00.06.H56"]}},
        "_schema": ["Tệp thiếu danh sách thủ tục"],
    }
    assert admin.catalogue_problems(fields, document) == [
        "Thủ tục thứ 1 (mã 3.000001): level: Mức độ dịch vụ công từ 1 đến 4",
        "Thủ tục thứ 2: Thời gian hiệu lực chồng lên",
        "Cơ quan thứ 1 (mã H56): code: Mã cơ quan có dạng 000.00.06.H56",
        "_schema: Tệp thiếu danh sách thủ tục",
    ]
    nested = {"procedures": {"0": {"route": {"1": {"days": ["Không được âm"]}}}}}
    assert admin.catalogue_problems(nested, {"procedures": "không phải danh sách"}) == [
        "Thủ tục thứ 1: route.2.days: Không được âm"
    ]


def test_an_import_answer_is_summed_up_and_counts_only_what_changes():
    answer = {
        "added": [{"code": "3.000001"}],
        "changed": [],
        "expired": [{"code": "3.000002"}],
        "unchanged": [{"code": "2.000635"}, {"code": "1.001776"}],
        "missing_from_source": [{"code": "1.000105"}],
        "agencies": [{"code": "000.00.06.H56", "status": "unchanged"}],
    }
    assert admin.import_changes(answer) == 2
    assert admin.import_summary(answer) == "1 thủ tục thêm mới, 0 thay đổi, 1 hết hiệu lực, 2 không đổi"
    quiet = {**answer, "added": [], "expired": [], "agencies": [{"code": "X", "status": "changed"}]}
    assert admin.import_changes(quiet) == 1 and admin.import_summary(quiet).endswith("1 cơ quan thêm mới hoặc thay đổi")
    assert admin.import_changes({**quiet, "agencies": []}) == 0


def test_the_account_form_tells_every_problem_at_once():
    problems = admin.account_problems({"username": "A B", "full_name": "", "role": "counter"}, "ngan")
    assert set(problems) == {"username", "full_name", "agency", "password"}
    good = {"username": "quay.moi", "full_name": "Vũ Thị Mới", "role": "counter", "agency": "000.00.06.H56"}
    assert admin.account_problems(good, "mot-mat-khau-du-dai") == {}
    assert set(admin.account_problems({**good, "role": "officer"}, "mot-mat-khau-du-dai")) == {"department"}


def test_an_account_row_says_active_locked_or_disabled():
    from services.web.domain.model import Account

    account = Account("quay.a", "Vũ A", "counter", "000.00.06.H56", None, "hash", NOW)
    assert admin.account_row(account, NOW)["state"] == "active"
    account.locked_until = datetime(2026, 11, 26, 8, 15, tzinfo=clock.TZ)
    locked = admin.account_row(account, NOW)
    assert locked["state"] == "locked" and locked["state_words"] == "Tạm khoá đến 08:15 26/11/2026"
    account.active = False
    assert admin.account_row(account, NOW)["state_words"] == "Đã vô hiệu hoá"


def test_an_upload_gives_the_file_first_else_the_pasted_text():
    from werkzeug.datastructures import MultiDict

    pasted = MultiDict({"noi_dung": '{"procedures": []}\r\n'})
    assert admin.catalogue_text(pasted, {}) == ('{"procedures": []}\n', {})
    chosen = {"tep": ("dm.json", '\ufeff{"a": 1}'.encode())}
    assert admin.catalogue_text(MultiDict({"noi_dung": "bỏ qua"}), chosen) == ('{"a": 1}', {})  # no byte order mark
    latin = {"tep": ("dm.json", "{'ấ'}".encode("utf-16"))}
    assert "không phải văn bản UTF-8" in admin.catalogue_text(MultiDict(), latin)[1]["tep"][0]
    assert "tep" in admin.catalogue_text(MultiDict({"noi_dung": "  "}), {})[1]


def test_the_json_of_a_catalogue_is_an_object_and_its_digest_ignores_line_breaks():
    assert admin.catalogue_document('{"procedures": []}') == ({"procedures": []}, {})
    assert "dòng 2, cột 1" in admin.catalogue_document('{"procedures":\n')[1]["noi_dung"][0]
    assert "đối tượng JSON" in admin.catalogue_document("[1, 2]")[1]["noi_dung"][0]
    assert admin.catalogue_document('{"fee": NaN}')[1]  # not JSON
    assert admin.catalogue_document("[" * 100_000)[1]  # too deep for the parser: refused, not a 500
    assert admin.digest('{\r\n"a": 1}') == admin.digest('{\n"a": 1}') != admin.digest('{"a": 1}')


def test_the_status_notes_say_what_is_wrong_with_a_service():
    down = {"service": "intake", "up": False, "error": "không trả lời (ConnectionError)"}
    assert admin.status_notes(down) == ["không trả lời (ConnectionError)"]
    unhealthy = {"up": False, "health": {"status": "unavailable", "database": "ok", "broker": "error: OSError"}}
    assert admin.status_notes(unhealthy) == ["lỗi kết nối broker: error: OSError"]
    busy = {"up": True, "health": {"status": "ok"}, "consumers_missing": 2, "overdue_dossiers": 3}
    assert admin.status_notes(busy) == ["2 hàng đợi xử lý không có tiến trình nhận", "3 hồ sơ quá hạn"]


def test_a_version_is_told_in_effect_expired_or_not_yet():
    today = date(2026, 11, 26)
    assert admin.version_state({"effective_from": "2026-01-01", "effective_to": None}, today) == "Đang có hiệu lực"
    assert admin.version_state({"effective_from": "2026-01-01", "effective_to": "2026-11-25"}, today) == (
        "Đã hết hiệu lực"
    )
    assert admin.version_state({"effective_from": "2026-12-01", "effective_to": None}, today) == "Chưa có hiệu lực"
    assert admin.route_words([{"department": "QLDT", "days": 12}, {"department": "LANHDAO", "days": 3}]) == (
        "QLDT (12 ngày) → LANHDAO (3 ngày)"
    )
    assert admin.catalogue_departments([{"route": [{"department": "QLDT"}]}, {"route": None}]) == {"QLDT"}
