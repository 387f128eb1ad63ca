"""The working-day calendar the appointment is counted on: its properties
(hypothesis), Tết and the cut-off."""

from datetime import date, datetime, time, timedelta

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import clock
from shared.calendar import WorkingCalendar

YEARS = range(2025, 2029)
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 6, 30)).map(
    lambda m: m.replace(second=0, microsecond=0, tzinfo=clock.TZ)
)
durations = st.integers(min_value=0, max_value=40)
cutoffs = st.sampled_from([None, time(15, 0), time(11, 0)])
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
calendars = st.builds(
    lambda off, on: WorkingCalendar(days_off=off, working_days=on - off),
    st.frozensets(days, max_size=8),
    st.frozensets(days, max_size=8),
)
HOLIDAYS = {d for d in holidays.VN(years=YEARS)}


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations, cutoffs)
def test_an_appointment_is_a_working_moment_never_before_reception(calendar, received, duration, cutoff):
    due = calendar.due_at(received, duration, cutoff)
    assert due >= received
    assert calendar.is_working_day(due.date())
    t = due.timetz().replace(tzinfo=None)
    assert any(start <= t <= end for start, end in calendar.hours)  # 17:00 closes the day


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations, durations, cutoffs)
def test_a_longer_duration_never_gives_an_earlier_appointment(calendar, received, a, b, cutoff):
    shorter, longer = sorted((a, b))
    assert calendar.due_at(received, shorter, cutoff) <= calendar.due_at(received, longer, cutoff)


@settings(max_examples=300, deadline=None)
@given(moments, st.integers(min_value=1, max_value=30))
def test_every_holiday_and_extra_day_off_is_skipped(received, duration):
    extra_off = received.date() + timedelta(days=3)
    calendar = WorkingCalendar(days_off=[extra_off])
    due = calendar.due_at(received, duration)
    counted = set()
    day = received.date()
    while day <= due.date():
        counted.add(day)
        day += timedelta(days=1)
    working = [d for d in counted if calendar.is_working_day(d)]
    assert due.date() not in HOLIDAYS or calendar.is_working_day(due.date())
    assert extra_off not in working and not (HOLIDAYS & set(working) - calendar.working_days)
    # N working days of 8 hours need at least N working days after the start (the start day may be partial)
    assert len(working) >= duration


@settings(max_examples=100, deadline=None)
@given(moments, durations)
def test_a_make_up_working_day_counts(received, duration):
    saturday = received.date() + timedelta(days=(5 - received.weekday()) % 7 or 7)
    plain, with_makeup = WorkingCalendar(), WorkingCalendar(working_days=[saturday])
    assert with_makeup.due_at(received, duration) <= plain.due_at(received, duration)
    assert with_makeup.is_working_day(saturday)


def test_lunar_new_year_and_cutoff_move_the_appointment():
    calendar = WorkingCalendar()
    # Friday 13 Feb 2026 at 16:00, after the 15:00 cut-off; Tết 2026 is 16-20 Feb.
    received = datetime(2026, 2, 13, 16, 0, tzinfo=clock.TZ)
    due = calendar.due_at(received, 1, time(15, 0))
    assert due == datetime(2026, 2, 23, 17, 0, tzinfo=clock.TZ)
    # the same moment without a cut-off still counts the last working hour of Friday
    assert calendar.due_at(received, 1) == datetime(2026, 2, 23, 16, 0, tzinfo=clock.TZ)
