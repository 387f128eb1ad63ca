"""GET /api/calendar/days?year=: the year's days off with their reason (the weekend,
a public holiday of the `holidays` package, an administrator's override) and the
weekend days worked, as the appointments count them."""

from datetime import date

import pytest
import requests

from services.intake.adapters.queries import year_days
from shared.calendar import WorkingCalendar
from tests.system import ADMIN, COUNTER, officer

pytestmark = pytest.mark.e2e


def days(system, year, headers=ADMIN):
    return requests.get(system.url("intake", "/api/calendar/days"), params={"year": year}, headers=headers, timeout=10)


def test_the_year_lists_holidays_weekends_and_overrides_with_their_reason(system):
    answer = days(system, 2027)
    assert answer.status_code == 200, answer.text
    year = answer.json()
    off = {d["day"]: d for d in year["days_off"]}
    assert off["2027-01-01"] == {"day": "2027-01-01", "kind": "holiday", "reason": "Tết Dương lịch"}
    assert off["2027-01-02"]["kind"] == "weekend" and off["2027-01-02"]["reason"] == "Thứ Bảy"
    assert off["2027-09-02"]["kind"] == "holiday" and "Quốc khánh" in off["2027-09-02"]["reason"]
    assert "2027-01-04" not in off  # a Monday
    before = year["working_days"]

    # an extra day off on a Monday and a Saturday worked: both listed, the count follows
    extra = requests.put(
        system.url("intake", "/api/calendar/overrides/2027-03-08"),
        json={"kind": "day_off", "note": "Nghỉ thử lịch"},
        headers=ADMIN,
        timeout=10,
    )
    worked = requests.put(
        system.url("intake", "/api/calendar/overrides/2027-03-13"),
        json={"kind": "working_day", "note": "Làm bù thử"},
        headers=ADMIN,
        timeout=10,
    )
    try:
        assert extra.status_code == 200 and worked.status_code == 200
        after = days(system, 2027, headers=COUNTER).json()
        off = {d["day"]: d for d in after["days_off"]}
        assert off["2027-03-08"] == {"day": "2027-03-08", "kind": "override", "reason": "Nghỉ thêm: Nghỉ thử lịch"}
        assert {"day": "2027-03-13", "kind": "override", "reason": "Làm bù: Làm bù thử"} in after[
            "weekend_working_days"
        ]
        assert "2027-03-13" not in off
        assert after["working_days"] == before  # one day less, one day more
        assert after["version"] >= worked.json()["version"]
    finally:
        for day in ("2027-03-08", "2027-03-13"):
            requests.delete(system.url("intake", f"/api/calendar/overrides/{day}"), headers=ADMIN, timeout=10)
    assert days(system, 2027).json()["days_off"] == year["days_off"]


def test_the_year_is_checked_and_the_calendar_is_staff_only(system):
    assert days(system, "hai-nghin").status_code == 400
    assert days(system, 1999).status_code == 400
    missing = requests.get(system.url("intake", "/api/calendar/days"), headers=ADMIN, timeout=10)
    assert missing.status_code == 400 and "year" in missing.json()["error"]["fields"]
    assert days(system, 2027, headers={}).status_code == 401
    assert days(system, 2027, headers=officer("QLDT")).status_code == 403


def test_a_make_up_saturday_is_a_working_day_with_the_day_it_pays_for():
    year = year_days(WorkingCalendar(), [], 2026)
    assert {"day": date(2026, 8, 22), "kind": "makeup", "reason": "Làm bù cho ngày nghỉ 31/08/2026"} in year[
        "weekend_working_days"
    ]
    off = {d["day"]: d["kind"] for d in year["days_off"]}
    assert off[date(2026, 8, 31)] == "holiday" and date(2026, 8, 22) not in off
    assert year["working_days"] + len(year["days_off"]) == 365
