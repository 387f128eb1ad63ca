"""The portal connector's pages' framework-free helpers: statuses and dossiers from the
portal in words, the staleness report's values side by side, a pull's report and who
ran it, the forms' choices."""

from services.web.pages import portal

SENT = {
    "status_id": "K-1/1",
    "dossier_key": "K-1",
    "seq": 1,
    "number": 2,
    "name": "Được tiếp nhận",
    "dossier_code": "000.00.06.H56-261126-0001",
    "sent_at": "2026-11-26T01:05:00+00:00",
    "parked_at": None,
    "attempts": 0,
    "last_error": None,
}


def test_a_status_is_sent_waiting_or_parked_with_its_moment_in_vietnams_time():
    sent = portal.status_row(SENT)
    assert (sent["state"], sent["state_words"], sent["when"]) == ("sent", "Đã gửi", "08:05 26/11/2026")
    waiting = portal.status_row({**SENT, "sent_at": None, "attempts": 2, "last_error": "HTTP 503"})
    assert (waiting["state"], waiting["state_words"], waiting["when"]) == ("waiting", "Đang chờ gửi", "")
    parked = portal.status_row({**SENT, "sent_at": None, "parked_at": "2026-11-26T02:00:00+00:00"})
    assert (parked["state"], parked["when"]) == ("parked", "09:00 26/11/2026")
    rows = portal.sent_rows({"dossier_code": "X", "statuses": [SENT, {**SENT, "seq": 2, "sent_at": None}]})
    assert [r["state"] for r in rows] == ["sent", "waiting"]
    assert portal.sent_rows({}) == []


def test_the_portal_reachable_or_not_since_when_and_why():
    assert portal.reachability({"reachable": True, "since": None})["reachable"] is True
    down = portal.reachability(
        {"reachable": False, "since": "2026-11-26T01:00:00+00:00", "reason": "HTTP 503", "url": "http://x"}
    )
    assert down["reachable"] is False
    assert "Không kết nối được" in down["text"] and "08:00 26/11/2026" in down["text"] and "HTTP 503" in down["text"]


def test_a_dossier_from_the_portal_in_words():
    row = portal.arrival_row({"state": "submitted", "via": "poll", "files": 3, "files_done": 1})
    assert row["state_words"] == "Đã chuyển vào hệ thống, đang lấy tệp"
    assert row["via_words"] == "Hệ thống tự lấy về"
    assert row["files_words"] == "1/3"
    assert portal.arrival_row({"state": "odd", "via": None})["state_words"] == "odd"


def test_who_pulled_the_catalogue():
    assert portal.pulled_by("nightly") == "Tự động hằng đêm"
    assert portal.pulled_by("admin//quantri.test") == "quantri.test"
    assert portal.pulled_by("motcua portal catalog-pull") == "motcua portal catalog-pull"
    assert portal.pulled_by(None) == ""


def test_intakes_refusal_of_a_pull_reads_as_its_message():
    refused = {"error": 'HTTP 422: {"error": {"code": "invalid_catalog", "message": "Tệp danh mục không hợp lệ"}}'}
    assert portal.pull_error(refused) == "Tệp danh mục không hợp lệ (HTTP 422)"
    assert portal.pull_error({"error": "Không đọc được danh mục trên Cổng (HTTP 503)"}) == (
        "Không đọc được danh mục trên Cổng (HTTP 503)"
    )
    assert portal.pull_error({"error": "HTTP 400: {not json"}) == "HTTP 400: {not json"
    assert portal.pull_error({"error": {"error": {"message": "Sai"}}}) == "Sai"
    assert portal.pull_error({}) == ""


PREVIEW = {
    "pulled_at": "2026-11-26T01:30:00.123456+00:00",
    "dry_run": True,
    "outcome": "applied",
    "entries": 1,
    "unmapped": [{"code": "1.000001", "name": "Mới", "problems": ["cần khai báo quy trình"]}],
    "applied": {
        "added": [],
        "changed": [],
        "expired": [{"code": "1.099107", "name": "Thủ tục thử", "version": 1, "effective_to": "2026-11-25"}],
        "unchanged": [],
        "missing_from_source": [{"code": "2.000635", "name": "Khác", "version": 1}],
    },
}


def test_a_pulls_report_says_what_expires_in_a_preview_and_what_expired_once_applied():
    lists = portal.applied_lists(PREVIEW)
    assert [(group["key"], group["title"]) for group in lists] == [("expired", "Sẽ hết hiệu lực")]
    assert [item["code"] for item in lists[0]["items"]] == ["1.099107"]
    assert portal.applied_lists({**PREVIEW, "dry_run": False})[0]["title"] == "Đã hết hiệu lực"
    preview = portal.pull_summary(PREVIEW)
    assert preview.startswith("Xem trước (chưa thay đổi gì)")
    assert "1 thủ tục sẽ hết hiệu lực" in preview and "1 mục chưa đồng bộ được" in preview
    assert portal.pull_summary({**PREVIEW, "dry_run": False}).startswith("Đã đồng bộ danh mục")
    assert portal.pull_summary({"outcome": "nothing_to_do", "dry_run": False}).startswith("Danh mục đã khớp")
    down = portal.pull_summary({"outcome": "unreachable", "error": "Không đọc được danh mục trên Cổng"})
    assert down == "Chưa đồng bộ được danh mục: Không đọc được danh mục trên Cổng"
    assert portal.outcome_words("applied", True) == "Đã xem trước (danh mục chưa thay đổi)"
    assert portal.outcome_words("refused", False) == "Danh mục thủ tục không nhận bản cập nhật"


def test_the_differences_show_each_value_here_and_upstream_as_people_read_them():
    rows = portal.difference_rows(
        [
            {
                "code": "1.099107",
                "name": "Thủ tục thử",
                "kind": "different",
                "fields": {
                    "fees": {
                        "local": [{"name": "Lệ phí", "amount": 50000, "kind": "le_phi"}],
                        "national": [{"name": "Lệ phí", "amount": None, "kind": "le_phi"}],
                    },
                    "name": {"local": "Thủ tục thử", "national": "Thủ tục thử (sửa)"},
                    "effective_to": {"local": None, "national": "2026-12-31"},
                    "online_service": {"local": "partial", "national": "full"},
                    "documents": {"local": ["Đơn"], "national": ["Đơn", "Ảnh"]},
                    "duration_days": {"local": 3, "national": 5},
                },
            },
            {"code": "1.099108", "name": "Bỏ", "kind": "only_local", "fields": {}},
        ]
    )
    different, gone = rows
    assert different["kind_words"] == "Khác nội dung" and gone["kind_words"] == "Không còn trên CSDL quốc gia"
    shown = {f["label"]: (f["local"], f["national"]) for f in different["fields"]}
    assert [f["label"] for f in different["fields"]][0] == "Tên thủ tục"  # the connector's order
    assert shown["Phí, lệ phí"] == ("Lệ phí: 50.000 đồng (lệ phí)", "Lệ phí: chưa có mức thu (lệ phí)")
    assert shown["Có hiệu lực đến hết ngày"] == ("Không thời hạn", "31/12/2026")
    assert shown["Dịch vụ công trực tuyến"] == ("Một phần", "Toàn trình")
    assert shown["Thành phần hồ sơ"] == ("Đơn", "Đơn; Ảnh")
    assert shown["Thời hạn giải quyết"] == ("3 ngày làm việc", "5 ngày làm việc")
    assert portal.shown("legal_basis", "") == "(không có)"


def test_a_pull_is_found_by_its_moment_whatever_the_offset_it_is_written_in():
    pulls = [
        {"pulled_at": "2026-11-26T08:30:00.123456+07:00", "outcome": "applied"},
        {"pulled_at": "2026-11-26T01:00:00+00:00", "outcome": "nothing_to_do"},
    ]
    assert portal.find_pull(pulls, "2026-11-26T01:30:00.123456+00:00") is pulls[0]
    assert portal.find_pull(pulls, "2026-11-26T01:30:00+00:00") is None
    assert portal.find_pull(pulls, "2026-11-26T01:00:00") is None  # no offset: no moment
    assert portal.find_pull(pulls, "hôm qua") is None
    row = portal.pull_rows(pulls)[0]
    assert row["run_words"] == "Đồng bộ" and row["link"].startswith("/quan-tri/cong-dvc/danh-muc?lan=2026-11-26T08")


def test_the_forms_choices_are_read_or_refused():
    assert portal.resend_target({"dossier_key": " K-1 ", "seq": "2"}) == ("K-1", 2)
    for bad in ({"dossier_key": "K-1", "seq": "0"}, {"dossier_key": "", "seq": "1"}, {"dossier_key": "K", "seq": "²"}):
        assert portal.resend_target(bad) is None
    assert portal.resend_target({"dossier_key": "K" * 61, "seq": "1"}) is None
    assert portal.run_choice({"chay": "xem-truoc"}) is True
    assert portal.run_choice({"chay": "dong-bo"}) is False
    assert portal.run_choice({"chay": "xoa"}) is None
    assert portal.run_choice({}) is None
