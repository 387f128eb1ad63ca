from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.calendar import WorkingCalendar
from shared.clock import TZ

cal = WorkingCalendar()


def at(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def test_weekends_and_public_holidays_are_not_working_days():
    assert not cal.is_working_day(date(2026, 11, 28))  # Saturday
    assert not cal.is_working_day(date(2026, 9, 2))  # National Day
    assert not cal.is_working_day(date(2026, 2, 17))  # Tết (lunar)
    assert not cal.is_working_day(date(2026, 4, 27))  # Hùng Kings, observed (26 Apr is a Sunday)
    assert cal.is_working_day(date(2026, 11, 26))


def test_swapped_days_of_the_official_calendar():
    # 31 Aug 2026 is a day off paid back by working Saturday 22 Aug 2026
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.is_working_day(date(2026, 8, 22))


def test_administrator_overrides_win():
    custom = WorkingCalendar(days_off=[date(2026, 11, 27)], working_days=[date(2026, 11, 28)])
    assert not custom.is_working_day(date(2026, 11, 27))
    assert custom.is_working_day(date(2026, 11, 28))


def test_one_working_day_is_eight_working_hours():
    assert cal.due_at(at(2026, 11, 26, 9), 1) == at(2026, 11, 27, 9)
    # Friday 16:00 + 1 day -> Monday 16:00
    assert cal.due_at(at(2026, 11, 27, 16), 1) == at(2026, 11, 30, 16)


def test_received_after_hours_counts_from_next_working_morning():
    assert cal.due_at(at(2026, 11, 26, 18), 1) == at(2026, 11, 27, 17)
    assert cal.due_at(at(2026, 11, 26, 12), 0) == at(2026, 11, 26, 13, 30)  # lunch break


def test_cutoff_moves_to_next_working_day():
    assert cal.due_at(at(2026, 11, 26, 15, 30), 1, time(15, 0)) == at(2026, 11, 27, 17)
    assert cal.due_at(at(2026, 11, 26, 14, 0), 1, time(15, 0)) == at(2026, 11, 27, 14)


def test_transit_dates_skip_weekend_and_holiday():
    # handed over Tuesday 1 Sep 2026 (a holiday itself), J+2: 3 Sep, 4 Sep
    assert cal.add_working_days_to_date(date(2026, 9, 1), 2) == date(2026, 9, 4)
    # Thursday + 2 working days -> Monday
    assert cal.add_working_days_to_date(date(2026, 11, 26), 2) == date(2026, 11, 30)


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(TZ))


@settings(max_examples=300, deadline=None)
@given(moments, st.integers(min_value=1, max_value=40))
def test_due_is_a_working_moment_after_reception(received, days):
    due = cal.due_at(received, days)
    assert due > received
    # a due moment lies in working time (a period's end included)
    assert cal.is_working_moment(due) or cal.is_working_moment(due - timedelta(seconds=1))


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(min_value=1, max_value=30))
def test_longer_duration_is_never_earlier(received, days):
    assert cal.due_at(received, days + 1) > cal.due_at(received, days)


@settings(max_examples=60, deadline=None)
@given(moments, st.integers(min_value=1, max_value=12))
def test_each_working_day_between_counts_once(received, days):
    """Count whole working days between start and due: exactly `days` day-lengths
    of working time, so every holiday in between was skipped."""
    start = cal.next_working_moment(received)
    due = cal.due_at(received, days)
    worked, t = 0, start
    while t < due:
        if cal.is_working_moment(t):
            worked += 60
        t += timedelta(minutes=1)
    # minute resolution: allow one partial minute at each end
    assert abs(worked - days * cal.day_length) <= 120
