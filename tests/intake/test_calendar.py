"""The working-day calendar: properties of the appointment (hypothesis), and the
administrators' overrides that intake owns and announces."""
from datetime import date, datetime, time, timedelta

import holidays
from hypothesis import given, settings, strategies as st

from shared import calendar_store, clock
from shared.calendar import WorkingCalendar
from services.intake import calendar_admin, catalog
from tests.intake.conftest import THURSDAY_MORNING, outbox

YEARS = range(2025, 2029)
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 6, 30)).map(
    lambda m: m.replace(second=0, microsecond=0, tzinfo=clock.TZ))
durations = st.integers(min_value=0, max_value=40)
cutoffs = st.sampled_from([None, time(15, 0), time(11, 0)])
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
calendars = st.builds(lambda off, on: WorkingCalendar(days_off=off, working_days=on - off),
                      st.frozensets(days, max_size=8), st.frozensets(days, max_size=8))
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


def test_overrides_are_stored_announced_with_increasing_versions_and_used(uow, at):
    at(THURSDAY_MORNING)
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    with uow.transaction() as session:
        procedure = catalog.in_effect(session, "2.000635", THURSDAY_MORNING.date())
        before = calendar_admin.appointment(calendar_store.load(session), procedure, datetime(
            2026, 11, 26, 16, 0, tzinfo=clock.TZ))
        _, first = calendar_admin.set_override(session, friday, "day_off", "nghỉ bù", "quantri")
    with uow.transaction() as session:
        _, second = calendar_admin.set_override(session, saturday, "working_day", "làm bù", "quantri")
    with uow.transaction() as session:
        after = calendar_admin.appointment(calendar_store.load(session), procedure, datetime(
            2026, 11, 26, 16, 0, tzinfo=clock.TZ))
        listing = calendar_admin.listing(session)
        events = outbox(session, "calendar_changed")
    assert second == first + 1 and listing["version"] == second
    assert before.date() == friday and after.date() == saturday
    assert [o["kind"] for o in listing["overrides"]] == ["day_off", "working_day"]
    last = events[-1]
    assert last["dossier_code"] == calendar_store.NOT_A_DOSSIER
    assert last["data"] == {"version": second, "days_off": ["2026-11-27"], "working_days": ["2026-11-28"]}

    with uow.transaction() as session:
        third = calendar_admin.remove_override(session, friday)
        calendar_admin.remove_override(session, saturday)
    with uow.transaction() as session:
        assert third == second + 1
        assert calendar_admin.appointment(calendar_store.load(session), procedure, datetime(
            2026, 11, 26, 16, 0, tzinfo=clock.TZ)) == before
        assert outbox(session, "calendar_changed")[-1]["data"]["days_off"] == []
