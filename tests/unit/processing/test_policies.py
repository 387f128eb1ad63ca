"""processing's deadline rules (domain.policies) on the working-day calendar: no server."""

from datetime import datetime

from services.processing.domain import policies as deadlines
from shared.calendar import WorkingCalendar
from tests.unit.processing.fakes import MORNING, ROUTE, TZ

CAL = WorkingCalendar()


def at(day, hour, minute=0, month=11):
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def test_each_step_gets_its_own_due_date_and_the_last_is_capped_by_the_dossier():
    dues = deadlines.step_due_dates(CAL, MORNING, ROUTE, at(2, 8, month=12))
    assert dues == [at(30, 8), at(1, 8, month=12), at(2, 8, month=12)]
    # a dossier due earlier than the route's sum caps every later step
    assert deadlines.step_due_dates(CAL, MORNING, ROUTE, at(1, 12, month=12))[-2:] == [
        at(1, 8, month=12),
        at(1, 12, month=12),
    ]


def test_transfer_is_the_same_day_or_the_next_working_morning_after_15h():
    assert deadlines.transfer_moment(CAL, at(26, 14, 59)) == at(26, 14, 59)
    assert deadlines.transfer_moment(CAL, at(27, 15, 30)) == at(30, 7)  # Friday afternoon: Monday morning


def test_working_time_between_skips_nights_lunch_and_weekends():
    assert deadlines.working_seconds_between(CAL, at(26, 8), at(26, 10)) == 2 * 3600
    assert deadlines.working_seconds_between(CAL, at(26, 11), at(26, 14)) == 3600  # 11:00-11:30, 13:30-14:00
    assert deadlines.working_seconds_between(CAL, at(27, 16), at(30, 8)) == 2 * 3600  # weekend free
    assert deadlines.working_seconds_between(CAL, at(30, 8), at(27, 8)) == 0


def test_pause_moves_the_deadline_by_the_working_time_waited():
    start, paused, due = deadlines.resumed_due(CAL, "pause", ROUTE, at(2, 8, month=12), at(26, 9), at(27, 9))
    assert start is None and paused == 8 * 3600
    assert due == at(3, 8, month=12)


def test_restart_counts_the_whole_duration_again_from_the_completed_dossier():
    start, paused, due = deadlines.resumed_due(CAL, "restart", ROUTE, at(2, 8, month=12), at(26, 9), at(30, 10))
    assert (start, paused) == (at(30, 10), 0)
    assert due == at(4, 10, month=12)  # 4 working days from Monday 10:00
    # completed after the cut-off: counts from the next working morning
    late = deadlines.resumed_due(CAL, "restart", ROUTE, at(2, 8, month=12), at(26, 9), at(30, 16))
    assert late[0] == at(1, 7, month=12)


def test_supplement_window_is_three_working_days_from_reception():
    assert deadlines.supplement_deadline(CAL, MORNING) == at(1, 8, month=12)


def test_flags_and_control_slip_verdicts():
    soon = deadlines.due_soon_limit(CAL, at(27, 16))  # one working day from Friday 16:00: Monday 16:00
    assert soon == at(30, 16)
    assert deadlines.flags(at(30, 12), at(27, 16), soon) == {"overdue": False, "due_soon": True}
    assert deadlines.flags(at(1, 12, month=12), at(27, 16), soon) == {"overdue": False, "due_soon": False}
    assert deadlines.flags(at(27, 15), at(27, 16), soon) == {"overdue": True, "due_soon": False}
    assert deadlines.timeliness(at(26, 9), at(27, 8)) == "ahead"
    assert deadlines.timeliness(at(27, 16), at(27, 8)) == "on_time"
    assert deadlines.timeliness(at(30, 7), at(27, 17)) == "late"
