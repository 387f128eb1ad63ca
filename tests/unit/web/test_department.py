"""The department screens' logic without a server (services/web/queue_view.py): the
queue's classification and counts, the officer's own items, the supplement rows,
the apology's new date and the APIs' field errors under the forms' names."""

import re
from datetime import datetime, timedelta

from services.web import queue_view as qv
from services.web.form_errors import flatten, rename
from shared.clock import TZ

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)


def item(code, due, status="waiting", claimed_by=None, overdue=False, due_soon=False, available=None):
    return {
        "task_id": f"t-{code}",
        "dossier_code": code,
        "department": "QLDT",
        "step": 1,
        "status": status,
        "available_at": (available or NOW - timedelta(hours=2)).isoformat(),
        "due_at": due.isoformat(),
        "claimed_by": claimed_by,
        "claimed_at": (NOW - timedelta(minutes=5)).isoformat() if claimed_by else None,
        "decision": None,
        "overdue": overdue,
        "due_soon": due_soon,
    }


def test_past_due_is_overdue_even_when_the_answer_was_computed_a_moment_earlier():
    assert qv.classify(item("A", NOW - timedelta(days=1), overdue=True), NOW) == qv.OVERDUE
    # the API said on time a second before its due moment; the page, later, sees it late
    assert qv.classify(item("B", NOW - timedelta(seconds=1)), NOW) == qv.OVERDUE
    assert qv.classify(item("C", NOW + timedelta(hours=3), due_soon=True), NOW) == qv.DUE_SOON
    assert qv.classify(item("D", NOW + timedelta(days=5)), NOW) == qv.ON_TIME
    # due soon is processing's working-day flag, not a 24-hour clock: a Monday due seen on Friday
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=TZ)
    monday = datetime(2026, 11, 30, 15, 0, tzinfo=TZ)
    assert qv.classify(item("E", monday, due_soon=True), friday) == qv.DUE_SOON
    assert qv.classify(item("F", monday, due_soon=False), friday) == qv.ON_TIME


def test_the_queue_keeps_the_apis_order_and_counts_and_sets_apart_my_items():
    answer = {
        "department": "QLDT",
        "counts": {"open": 7, "claimed": 3, "overdue": 2, "due_soon": 1},
        "items": [
            item("LATE", NOW - timedelta(hours=1), overdue=True),
            item("MINE", NOW + timedelta(hours=2), "claimed", "qldt.test", due_soon=True),
            item("THEIRS", NOW + timedelta(days=2), "claimed", "khac.qldt"),
            item("LATER", NOW + timedelta(days=3), available=NOW + timedelta(hours=20)),
        ],
    }
    queue = qv.queue_view(answer, "qldt.test", NOW)
    assert [r.code for r in queue.rows] == ["LATE", "MINE", "THEIRS", "LATER"]
    assert [r.state for r in queue.rows] == [qv.OVERDUE, qv.DUE_SOON, qv.ON_TIME, qv.ON_TIME]
    assert [r.code for r in queue.mine] == ["MINE"]
    assert queue.counts == {"waiting": 4, "claimed": 3, "overdue": 2, "due_soon": 1, "mine": 1}
    assert queue.total == 7 and queue.truncated
    theirs, later = queue.rows[2], queue.rows[3]
    assert (theirs.held_by, theirs.mine, theirs.not_yet) == ("khac.qldt", False, False)
    assert (later.held_by, later.not_yet) == (None, True)
    assert queue.rows[0].state_words == "Quá hạn"


def test_an_empty_queue_counts_nothing():
    queue = qv.queue_view({"department": "QLDT", "counts": {}, "items": []}, "qldt.test", NOW)
    assert queue.rows == [] and not queue.truncated
    assert queue.counts == {"waiting": 0, "claimed": 0, "overdue": 0, "due_soon": 0, "mine": 0}


def test_the_step_of_my_department_is_the_one_i_hold_then_the_open_one_then_the_last():
    tasks = [
        {"task_id": "1", "department": "QLDT", "status": "done", "claimed_by": "qldt.test"},
        {"task_id": "2", "department": "LANHDAO", "status": "waiting", "claimed_by": None},
    ]
    assert qv.current_step(tasks, "QLDT", "qldt.test")["task_id"] == "1"
    assert qv.current_step(tasks, "LANHDAO", "lanhdao.test")["task_id"] == "2"
    assert qv.current_step(tasks, "TUPHAP", "tuphap.test") is None
    back = [*tasks, {"task_id": "3", "department": "QLDT", "status": "claimed", "claimed_by": "qldt.test"}]
    assert qv.current_step(back, "QLDT", "qldt.test")["task_id"] == "3"
    held_by_other = [*tasks, {"task_id": "4", "department": "QLDT", "status": "claimed", "claimed_by": "khac"}]
    assert qv.current_step(held_by_other, "QLDT", "qldt.test")["task_id"] == "4"


def test_supplement_rows_skip_empty_ones_and_name_the_missing_half():
    pairs = [
        ("csrf_token", "x"),
        ("items.0.name", " Bản vẽ thiết kế "),
        ("items.0.reason", "Thiếu chữ ký"),
        ("items.1.name", ""),
        ("items.1.reason", ""),
        ("items.2.name", "Giấy chứng nhận"),
        ("items.2.reason", ""),
        ("items.999.name", "ngoài giới hạn"),
    ]
    rows = qv.supplement_rows(pairs)
    assert rows.items == [
        {"name": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"},
        {"name": "Giấy chứng nhận", "reason": ""},
    ]
    assert rows.errors == {"items.2.reason": ["Cần nêu lý do cần bổ sung giấy tờ này"]}
    assert rows.row_of_item == [0, 2]
    assert len(rows.rows) == 3 and rows.rows[0]["name"] == "Bản vẽ thiết kế"
    # the API's item 1 is the form's row 2
    assert rows.api_errors({"items.1.name": ["x"], "items": ["y"]}) == {"items.2.name": ["x"], "items": ["y"]}


def test_no_item_at_all_is_named_and_a_row_can_be_added():
    rows = qv.supplement_rows([("items.0.name", ""), ("items.0.reason", "")])
    assert rows.items == [] and "items" in rows.errors
    assert len(qv.supplement_rows((), more=True).rows) == qv.SUPPLEMENT_ROWS + 1
    many = [(f"items.{i}.name", "a") for i in range(qv.MAX_SUPPLEMENT_ROWS)]
    assert len(qv.supplement_rows(many, more=True).rows) == qv.MAX_SUPPLEMENT_ROWS
    only_reason = qv.supplement_rows([("items.0.reason", "thiếu")])
    assert only_reason.errors == {"items.0.name": ["Cần nêu tên giấy tờ cần bổ sung"]}


def test_the_new_date_is_vietnam_time_at_close_of_business_unless_a_time_is_given():
    assert qv.new_due_at("2026-12-21") == ("2026-12-21T17:00:00+07:00", {})
    assert qv.new_due_at("2026-12-21", "09:30") == ("2026-12-21T09:30:00+07:00", {})
    assert qv.new_due_at("21/12/2026")[1] == {"new_date": ["Chọn ngày hẹn mới (ngày/tháng/năm)"]}
    assert qv.new_due_at("", "")[0] is None
    assert set(qv.new_due_at("2026-12-21", "25:99")[1]) == {"new_time"}


def test_api_errors_are_flattened_and_renamed():
    fields = {
        "items": {"1": {"reason": ["Không được để trống"]}},
        "reason": ["Cần nêu lý do"],
        "to_department": "Mã phòng ban sai",
    }
    flat = flatten(fields)
    assert flat == {
        "items.1.reason": ["Không được để trống"],
        "reason": ["Cần nêu lý do"],
        "to_department": ["Mã phòng ban sai"],
    }
    renamed = rename(flat, {"reason": "transfer_reason"})
    assert renamed["transfer_reason"] == ["Cần nêu lý do"] and "reason" not in renamed
    assert flatten(None) == {} and flatten({}) == {}
    assert flatten({"_schema": ["x", {"a": ["y"]}]}) == {"_schema": ["x"], "_schema.a": ["y"]}


def test_transfer_choices_join_processing_and_the_catalogue_without_my_own():
    procedures = [
        {"route": [{"department": "QLDT", "days": 12}, {"department": "LANHDAO", "days": 3}]},
        {"route": [{"department": "TUPHAP", "days": 1}]},
        {"route": None},
    ]
    assert qv.transfer_choices(["TCKH", "QLDT", "MOTCUA"], procedures, "QLDT") == ["LANHDAO", "TCKH", "TUPHAP"]


def render_queue(answer):
    """The queue page's HTML for qldt.test (the template alone, no server)."""
    from types import SimpleNamespace

    from services.web.pages.base import templates

    user = SimpleNamespace(role="officer", full_name="Trần Văn Quản Lý", agency=None, department="QLDT")
    return templates.get_template("department/queue.html").render(
        user=user,
        csrf_token="token",
        csrf_field="csrf_token",
        flash=None,
        path="/phong/QLDT",
        now=NOW,
        department="QLDT",
        queue=qv.queue_view(answer, "qldt.test", NOW),
        qv=qv,
    )


def test_the_queue_page_paints_overdue_rows_red_and_due_soon_amber_with_words():
    answer = {
        "department": "QLDT",
        "counts": {"open": 3, "claimed": 1, "overdue": 1, "due_soon": 1},
        "items": [
            item("LATE", NOW - timedelta(hours=1)),
            item("SOON", NOW + timedelta(hours=3), "claimed", "qldt.test", due_soon=True),
            item("FINE", NOW + timedelta(days=4)),
        ],
    }
    html = render_queue(answer)
    rows = re.findall(r'<tr class="([^"]*)">\s*<th scope="row"><a href="[^"]*">([A-Z]+)</a>', html)
    # the officer's own table first, then the whole queue in the API's order
    assert rows == [("due-soon", "SOON"), ("overdue", "LATE"), ("due-soon mine", "SOON"), ("on-time", "FINE")]
    assert '<span class="badge badge-overdue">Quá hạn</span>' in html  # not by colour alone
    assert '<span class="badge badge-due-soon">Sắp đến hạn</span>' in html
    assert "<strong>1</strong> quá hạn" in html and "<strong>1</strong> bạn đang giữ" in html
    assert 'name="csrf_token" value="token"' in html
