"""Deadline rules on the working-day calendar: step due dates, the supplement
clock (restart or pause), the 3-working-day limit, due-soon and ahead/on time/late.
Pure functions of a WorkingCalendar."""
from datetime import datetime, time, timedelta

from shared.clock import TZ

TRANSFER_CUTOFF = time(15, 0)  # paper dossiers received later go to the department next morning
SUPPLEMENT_WINDOW_DAYS = 3     # a supplement request must go out within 3 working days of reception
DUE_SOON_DAYS = 1              # flagged when the deadline is within one working day


def transfer_moment(calendar, received_at):
    """The same working day, or the next working morning after the cut-off."""
    return calendar.due_at(received_at, 0, TRANSFER_CUTOFF)


def step_due_dates(calendar, start, route, dossier_due, paused_seconds=0):
    """Due moment of each step: cumulative days of the route from `start`, shifted by
    the time paused, never after the dossier's own deadline."""
    dues, days = [], 0
    for step in route:
        days += step["days"]
        due = calendar.due_at(start, days)
        if paused_seconds:
            due = calendar.add_working_seconds(due, paused_seconds)
        dues.append(min(due, dossier_due))
    return dues


def total_days(route):
    return sum(step["days"] for step in route)


def working_seconds_between(calendar, start, end):
    """Working time between two moments (0 when end is not after start)."""
    start, end = start.astimezone(TZ), end.astimezone(TZ)
    if end <= start:
        return 0
    total, day = 0, start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
            for begin, finish in calendar.hours:
                lo = max(start, datetime.combine(day, begin, TZ))
                hi = min(end, datetime.combine(day, finish, TZ))
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(total)


def supplement_deadline(calendar, received_at):
    """The last moment a department may ask for a supplement."""
    return calendar.due_at(received_at, SUPPLEMENT_WINDOW_DAYS)


def resumed_due(calendar, clock_rule, route, old_due, requested_at, completed_at):
    """(new plan start or None, paused working seconds, new dossier due) once the
    completed dossier arrives. restart: the deadline counts from zero again [Decree
    61/2018 Art. 16]; pause: the due date moves by the working time spent waiting."""
    if clock_rule == "pause":
        waited = working_seconds_between(calendar, requested_at, completed_at)
        return None, waited, calendar.add_working_seconds(old_due, waited) if waited else old_due
    start = transfer_moment(calendar, completed_at)
    return start, 0, calendar.due_at(start, total_days(route))


def due_soon_limit(calendar, now):
    """Deadlines at or before this moment are due soon."""
    return calendar.due_at(now, DUE_SOON_DAYS)


def flags(due_at, now, soon_limit):
    overdue = now > due_at
    return {"overdue": overdue, "due_soon": not overdue and due_at <= soon_limit}


def timeliness(done_at, due_at):
    """Control-slip verdict by date: ahead of time, on time (on the due date), late."""
    if done_at is None or due_at is None:
        return None
    done, due = done_at.astimezone(TZ).date(), due_at.astimezone(TZ).date()
    if done < due:
        return "ahead"
    return "on_time" if done == due else "late"
