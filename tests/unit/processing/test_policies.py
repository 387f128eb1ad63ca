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


def test_the_15h_cutoff_is_for_paper_dossiers_online_ones_go_at_once():
    """Decree 61/2018 Art. 18 (as issue 13 cites it): paper dossiers (counter, postal)
    received after 15:00 go to the department the next working morning; online
    dossiers go at once, whenever they are received."""
    for paper in ("counter", "postal"):
        assert deadlines.transfer_moment(CAL, at(26, 15, 0), paper) == at(27, 7)  # 15:00 is already after
        assert deadlines.transfer_moment(CAL, at(26, 14, 59), paper) == at(26, 14, 59)
        assert deadlines.transfer_moment(CAL, at(28, 10), paper) == at(30, 7)  # Saturday: Monday morning
    assert deadlines.transfer_moment(CAL, at(26, 16), "online") == at(26, 16)
    assert deadlines.transfer_moment(CAL, at(26, 21), "online") == at(26, 21)  # evening: still at once
    assert deadlines.transfer_moment(CAL, at(28, 10), "online") == at(28, 10)
    # a restarted deadline counts from the same moment: an online supplement at 16:00 at once
    start, _, due = deadlines.resumed_due(CAL, "restart", ROUTE, at(2, 8, month=12), at(26, 9), at(30, 16), "online")
    assert start == at(30, 16) and due == at(4, 16, month=12)


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


def test_the_apology_is_due_one_working_day_before_the_deadline():
    """Decree 61/2018 Art. 19 (as issue 13 cites it): the apology with a new date
    (Form 04) is sent at least one working day before the due date. The limit is one
    working day (8 working hours) of working time before the due moment."""
    assert deadlines.extension_limit(CAL, at(2, 8, month=12)) == at(1, 8, month=12)  # Wed 08:00: Tue 08:00
    assert deadlines.extension_limit(CAL, at(30, 10)) == at(27, 10)  # Monday: the Friday before
    assert deadlines.extension_limit(CAL, at(2, 12, month=12)) == at(1, 13, 30, month=12)  # due in the lunch break
    assert deadlines.extension_limit(CAL, at(1, 17, month=12)) == at(1, 7, month=12)  # end of day: its morning
    # public holidays do not count: 30 Apr and 1 May 2026 (Thu, Fri) are days off
    assert deadlines.extension_limit(CAL, datetime(2026, 5, 4, 8, tzinfo=TZ)) == datetime(2026, 4, 29, 8, tzinfo=TZ)


def test_an_apology_at_the_limit_is_in_time_and_one_minute_later_is_too_late():
    """Decree 61/2018 Art. 19 (as issue 13 cites it): both sides of the boundary."""
    due = at(2, 8, month=12)
    assert deadlines.extension_in_time(CAL, due, at(1, 8, month=12))
    assert deadlines.extension_in_time(CAL, due, at(30, 16))
    assert deadlines.extension_in_time(CAL, due, at(1, 7, 30, month=12))
    assert not deadlines.extension_in_time(CAL, due, at(1, 8, 1, month=12))
    assert not deadlines.extension_in_time(CAL, due, at(1, 16, month=12))
    assert not deadlines.extension_in_time(CAL, due, at(2, 9, month=12))  # after the deadline itself


def test_a_rejection_after_the_deadline_is_counted_late_by_date():
    """Decree 61/2018 Art. 19-20 (as issue 13 cites them): the rejection comes within
    the processing deadline; a late one is counted late as Form 05 counts (by date)."""
    due = at(2, 8, month=12)
    assert not deadlines.rejected_late(at(1, 16, month=12), due)
    assert not deadlines.rejected_late(at(2, 16, month=12), due)  # on the due date: on time
    assert deadlines.rejected_late(at(3, 7, month=12), due)
