"""The legal constants and deadline rules of department work, as pure functions of a
working-day calendar (shared.calendar): step due dates, the transfer moment, the
supplement window and clock (restart or pause), due-soon flags and the control
slip's verdict. Sources: Decree 61/2018/NĐ-CP Art. 15-20 (the lifecycle, as
shared/DOMAIN.md summarises it) unless a line says otherwise."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from shared.calendar import WorkingCalendar
from shared.clock import TZ

# Paper dossiers received later than this go to the department the next working
# morning (Decree 61/2018 Art. 15-20; DOMAIN.md lifecycle step 4, "transfer").
TRANSFER_CUTOFF = time(15, 0)
# A supplement request must go out within 3 working days of reception (Decree 61/2018
# Art. 15-20; DOMAIN.md lifecycle step 5, "supplement after appraisal").
SUPPLEMENT_WINDOW_DAYS = 3
# Flagged "due soon" when the deadline is within one working day: the last moment to
# issue the apology with a new date (DOMAIN.md lifecycle step 5, "will be late").
DUE_SOON_DAYS = 1
# The apology (Form 04) moves the date only once (DOMAIN.md lifecycle step 5).
EXTENSIONS_ALLOWED = 1
# Not a legal limit: a new date more than a year after the current one is a typing error.
MAX_EXTENSION = timedelta(days=366)
# The one-stop counter (Bộ phận Một cửa): first and last party on every control slip.
COUNTER = "MOTCUA"


class SupplementClock(StrEnum):
    """What a supplement does to the deadline, set per procedure."""

    RESTART = "restart"  # counts from zero again once the complete dossier arrives [Decree 61/2018 Art. 16]
    PAUSE = "pause"  # the practice of some systems: the due date moves by the time spent waiting


class Timeliness(StrEnum):
    """The control slip's verdict (Form 05: trước hạn / đúng hạn / quá hạn)."""

    AHEAD = "ahead"
    ON_TIME = "on_time"
    LATE = "late"


Route = Sequence[Mapping[str, Any]]  # [{"department": ..., "days": ...}, ...]


def transfer_moment(calendar: WorkingCalendar, received_at: datetime) -> datetime:
    """The same working day, or the next working morning after the cut-off."""
    moment: datetime = calendar.due_at(received_at, 0, TRANSFER_CUTOFF)
    return moment


def step_due_dates(
    calendar: WorkingCalendar, start: datetime, route: Route, dossier_due: datetime, paused_seconds: int = 0
) -> list[datetime]:
    """Due moment of each step: cumulative days of the route from `start`, shifted by
    the time paused, never after the dossier's own deadline."""
    dues, days = [], 0
    for step in route:
        days += step["days"]
        due: datetime = calendar.due_at(start, days)
        if paused_seconds:
            due = calendar.add_working_seconds(due, paused_seconds)
        dues.append(min(due, dossier_due))
    return dues


def total_days(route: Iterable[Mapping[str, Any]]) -> int:
    return sum(int(step["days"]) for step in route)


def working_seconds_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> int:
    """Working time between two moments (0 when end is not after start)."""
    start, end = start.astimezone(TZ), end.astimezone(TZ)
    if end <= start:
        return 0
    total, day = 0.0, start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
            for begin, finish in calendar.hours:
                lo = max(start, datetime.combine(day, begin, TZ))
                hi = min(end, datetime.combine(day, finish, TZ))
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(total)


def supplement_deadline(calendar: WorkingCalendar, received_at: datetime) -> datetime:
    """The last moment a department may ask for a supplement."""
    limit: datetime = calendar.due_at(received_at, SUPPLEMENT_WINDOW_DAYS)
    return limit


def resumed_due(
    calendar: WorkingCalendar,
    clock_rule: str,
    route: Route,
    old_due: datetime,
    requested_at: datetime,
    completed_at: datetime,
) -> tuple[datetime | None, int, datetime]:
    """(new plan start or None, paused working seconds, new dossier due) once the
    completed dossier arrives. restart: the deadline counts from zero again [Decree
    61/2018 Art. 16]; pause: the due date moves by the working time spent waiting."""
    if clock_rule == SupplementClock.PAUSE:
        waited = working_seconds_between(calendar, requested_at, completed_at)
        return None, waited, calendar.add_working_seconds(old_due, waited) if waited else old_due
    start = transfer_moment(calendar, completed_at)
    due: datetime = calendar.due_at(start, total_days(route))
    return start, 0, due


def due_soon_limit(calendar: WorkingCalendar, now: datetime) -> datetime:
    """Deadlines at or before this moment are due soon."""
    limit: datetime = calendar.due_at(now, DUE_SOON_DAYS)
    return limit


def flags(due_at: datetime, now: datetime, soon_limit: datetime) -> dict[str, bool]:
    overdue = now > due_at
    return {"overdue": overdue, "due_soon": not overdue and due_at <= soon_limit}


def timeliness(done_at: datetime | None, due_at: datetime | None) -> Timeliness | None:
    """Control-slip verdict by date (Form 05): ahead of time, on time (on the due date), late."""
    if done_at is None or due_at is None:
        return None
    done, due = done_at.astimezone(TZ).date(), due_at.astimezone(TZ).date()
    if done < due:
        return Timeliness.AHEAD
    return Timeliness.ON_TIME if done == due else Timeliness.LATE


def claim_lapsed(claimed_at: datetime | None, now: datetime, idle_seconds: float) -> bool:
    """A claim left idle longer than idle_seconds (CLAIM_IDLE_SECONDS) counts as waiting again."""
    return claimed_at is not None and claimed_at < now - timedelta(seconds=idle_seconds)
