"""The register's search without a database: the page cursor, the folding of names,
the query's validation, and the departments a dossier keeps from processing's events
(an officer's scope)."""

from __future__ import annotations

import base64
import json
import unicodedata
from datetime import date, datetime, timedelta

import pytest

from services.intake.adapters import register
from services.intake.adapters.queries import folded
from services.intake.schemas import DossierListQuery
from shared import clock
from shared.http import ApiError, load
from tests.unit.intake.fakes import work_with_demo_catalogue
from tests.unit.intake.test_reception import COUNTER, THURSDAY_MORNING, follow, submitted

MOMENT = datetime(2026, 11, 26, 8, 15, 30, 123456, tzinfo=clock.TZ)
CODE = "000.00.06.H56-261126-0042"


def test_a_cursor_names_the_position_it_was_made_from() -> None:
    text = register.cursor((MOMENT, CODE))
    assert register.position(text) == (MOMENT, CODE)
    assert register.position(text)[0].utcoffset() == timedelta(hours=7)
    assert text.isascii() and "=" not in text and "/" not in text and "+" not in text  # plain in a URL


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        "not a cursor",
        "%%%",
        b64(b"\xff\xfe"),
        b64(b"[1, 2"),
        b64(json.dumps({"at": MOMENT.isoformat(), "code": CODE}).encode()),
        b64(json.dumps([MOMENT.isoformat()]).encode()),
        b64(json.dumps([MOMENT.isoformat(), CODE, "x"]).encode()),
        b64(json.dumps(["26/11/2026", CODE]).encode()),
        b64(json.dumps([MOMENT.replace(tzinfo=None).isoformat(), CODE]).encode()),  # no offset
        b64(json.dumps([MOMENT.isoformat(), 42]).encode()),
        b64(json.dumps([MOMENT.isoformat(), ""]).encode()),
        b64(json.dumps([MOMENT.isoformat(), "x" * 41]).encode()),
    ],
)
def test_anything_else_is_no_cursor(text: str) -> None:
    with pytest.raises(ValueError):
        register.position(text)


@pytest.mark.parametrize(
    "name,as_compared",
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("NGUYỄN VĂN AN", "nguyen van an"),
        ("  Đặng   Thị\tÁnh  ", "dang thi anh"),
        ("Đoàn Đức Đạt", "doan duc dat"),
        ("Công ty TNHH Hưng Thịnh", "cong ty tnhh hung thinh"),
        (unicodedata.normalize("NFD", "Nguyễn Văn An"), "nguyen van an"),  # as some keyboards send it
        ("", ""),
        (None, ""),
    ],
)
def test_names_are_compared_without_case_accents_or_extra_spaces(name: str | None, as_compared: str) -> None:
    assert folded(name) == as_compared


def query(**params: str) -> dict:
    return load(DossierListQuery, params)


def refused(**params: str) -> dict:
    with pytest.raises(ApiError) as refusal:
        query(**params)
    assert refusal.value.status == 400 and refusal.value.code == "invalid_input"
    return refusal.value.fields


def test_the_search_takes_its_filters_and_a_cursor_of_a_previous_page() -> None:
    loaded = query(
        status="in_progress",
        procedure="2.000635",
        field="Hộ tịch",
        channel="online",
        received_from="2026-11-01",
        received_to="2026-11-30",
        due_before="2026-12-05",
        overdue="true",
        q=" nguyen van an ",
        limit="20",
        after=register.cursor((MOMENT, CODE)),
    )
    assert loaded == {
        "status": "in_progress",
        "procedure": "2.000635",
        "field": "Hộ tịch",
        "channel": "online",
        "received_from": date(2026, 11, 1),
        "received_to": date(2026, 11, 30),
        "received_on": None,
        "due_before": date(2026, 12, 5),
        "overdue": True,
        "q": "nguyen van an",
        "limit": 20,
        "after": (MOMENT, CODE),
    }
    blank = query(status="", q="", after="", overdue="")  # a blank parameter is no filter
    assert blank["status"] is None and blank["q"] is None and blank["after"] is None and blank["overdue"] is None
    assert blank["limit"] == register.LIMIT


@pytest.mark.parametrize(
    "params,field,words",
    [
        ({"after": "not-a-cursor"}, "after", "next"),
        ({"after": b64(b'["2026-11-26T08:00:00", "X"]')}, "after", "trang"),
        ({"status": "lost"}, "status", "Trạng thái"),
        ({"channel": "fax"}, "channel", "Kênh nộp"),
        ({"overdue": "maybe"}, "overdue", "true hoặc false"),
        ({"received_from": "2026-11-30", "received_to": "2026-11-01"}, "received_to", "trước ngày bắt đầu"),
        ({"received_from": "30/11/2026"}, "received_from", "YYYY-MM-DD"),
        ({"due_before": "tomorrow"}, "due_before", "YYYY-MM-DD"),
        ({"q": "an"}, "q", "Từ 3"),
        ({"q": "x" * 101}, "q", "đến 100"),
        ({"limit": "0"}, "limit", "từ 1 đến 200"),
        ({"limit": "201"}, "limit", "từ 1 đến 200"),
        ({"procedure": "1" * 21}, "procedure", "Tối đa 20"),
    ],
)
def test_a_bad_parameter_is_named_in_words(params: dict[str, str], field: str, words: str) -> None:
    fields = refused(**params)
    assert list(fields) == [field] and words in fields[field][0]


def test_processing_tells_which_departments_had_the_dossier() -> None:
    work = work_with_demo_catalogue(THURSDAY_MORNING.date())
    dossier = submitted(work, COUNTER)
    t = THURSDAY_MORNING
    follow(work, dossier, "processing_started", t + timedelta(hours=1), department="TUPHAP", step=1)
    follow(work, dossier, "processing_started", t + timedelta(hours=2), department="TUPHAP", step=1)  # again
    follow(work, dossier, "dossier_transferred", t + timedelta(hours=3), from_department="TUPHAP", to_department="TNMT")
    follow(work, dossier, "result_ready", t + timedelta(hours=5), finished_at=t, summary="xong", return_method="postal")
    # a late event still names a department that had a task, though the status stays
    follow(work, dossier, "processing_started", t + timedelta(hours=4), department="LANHDAO", step=2)
    assert dossier.status == "result_ready"
    assert [(d.department, d.dossier_code, d.submitted_at) for d in dossier.departments] == [
        ("TUPHAP", dossier.code, dossier.submitted_at),
        ("TNMT", dossier.code, dossier.submitted_at),
        ("LANHDAO", dossier.code, dossier.submitted_at),
    ]
