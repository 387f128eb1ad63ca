"""The legal constants and deadline rules of department work, as pure functions of a
working-day calendar (shared.calendar): step due dates, the transfer moment, the
supplement window and clock (restart or pause), due-soon flags and the control
slip's verdict. Sources: Decree 61/2018/NĐ-CP Art. 15-20 (the lifecycle, as
shared/DOMAIN.md summarises it) unless a line says otherwise; the finer articles
are those issue 13 cites (Art. 18 transfer, Art. 19 apology, Art. 19-20 rejection)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from shared.calendar import WorkingCalendar
from shared.clock import TZ

# Paper dossiers received later than this go to the department the next working
# morning; online dossiers go at once, whenever they are received (Decree 61/2018
# Art. 18, as issue 13 cites it; DOMAIN.md lifecycle step 4, "transfer ... (paper
# dossiers)").
TRANSFER_CUTOFF = time(15, 0)
# The channels whose dossiers arrive on paper (the counter, and the post's hand-over
# at the counter): only these wait for the next morning after the cut-off.
PAPER_CHANNELS = frozenset({"counter", "postal"})
# A supplement request must go out within 3 working days of reception (Decree 61/2018
# Art. 15-20; DOMAIN.md lifecycle step 5, "supplement after appraisal").
SUPPLEMENT_WINDOW_DAYS = 3
# Flagged "due soon" when the deadline is within one working day: the last moment to
# issue the apology with a new date (DOMAIN.md lifecycle step 5, "will be late").
DUE_SOON_DAYS = 1
# The apology (Form 04) moves the date only once (DOMAIN.md lifecycle step 5).
EXTENSIONS_ALLOWED = 1
# A department that will be late sends the apology at least one working day before
# the due date (Decree 61/2018 Art. 19, as issue 13 cites it; DOMAIN.md lifecycle
# step 5, "at least 1 working day before the deadline"): see extension_limit.
EXTENSION_NOTICE_DAYS = 1
# The electronic result: a PDF, at most 20 MB (as a dossier's files), told by
# its first bytes.
RESULT_MAX_BYTES = 20 * 1024 * 1024
RESULT_MEDIA_TYPE = "application/pdf"
RESULT_MAGIC = b"%PDF-"
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


def transfer_moment(calendar: WorkingCalendar, received_at: datetime, channel: str = "counter") -> datetime:
    """When a dossier (or its completed supplement) reaches the department [Decree
    61/2018 Art. 18, as issue 13 cites it]: a paper dossier (`PAPER_CHANNELS`) the
    same working day, or the next working morning when received after the cut-off
    or outside working hours; an online dossier at once, whenever it is received."""
    if channel not in PAPER_CHANNELS:
        return received_at
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


def working_moment_before(calendar: WorkingCalendar, moment: datetime, seconds: int) -> datetime:
    """The latest moment that still leaves `seconds` of working time before `moment`
    (counting back through working hours only, so the result is a working moment or
    the start of a working period, never inside a night, lunch break or day off)."""
    moment = moment.astimezone(TZ)
    remaining, day = float(seconds), moment.date()
    while True:
        if calendar.is_working_day(day):
            for begin, finish in reversed(calendar.hours):
                lo = datetime.combine(day, begin, TZ)
                hi = min(moment, datetime.combine(day, finish, TZ))
                if hi <= lo:
                    continue
                available = (hi - lo).total_seconds()
                if remaining <= available:
                    return hi - timedelta(seconds=remaining)
                remaining -= available
        day -= timedelta(days=1)


def extension_limit(calendar: WorkingCalendar, due_at: datetime) -> datetime:
    """The last moment to ask for a new date (the apology, Form 04): one working day
    (EXTENSION_NOTICE_DAYS x the working day's hours) of working time before the
    current due date [Decree 61/2018 Art. 19, as issue 13 cites it]. A request at
    this moment is in time; one after it is too late. E.g. due Wed 08:00 with
    07:00-11:30 and 13:30-17:00 hours: the limit is Tue 08:00."""
    return working_moment_before(calendar, due_at, EXTENSION_NOTICE_DAYS * calendar.day_length)


def extension_in_time(calendar: WorkingCalendar, due_at: datetime, asked_at: datetime) -> bool:
    """May the apology with a new date still be issued at `asked_at`?"""
    return asked_at <= extension_limit(calendar, due_at)


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
    channel: str = "counter",
) -> tuple[datetime | None, int, datetime]:
    """(new plan start or None, paused working seconds, new dossier due) once the
    completed dossier arrives. restart: the deadline counts from zero again [Decree
    61/2018 Art. 16], from the moment the completed dossier reaches the department
    (transfer_moment: a paper supplement after the cut-off counts from the next
    morning, an online one at once); pause: the due date moves by the working time
    spent waiting."""
    if clock_rule == SupplementClock.PAUSE:
        waited = working_seconds_between(calendar, requested_at, completed_at)
        return None, waited, calendar.add_working_seconds(old_due, waited) if waited else old_due
    start = transfer_moment(calendar, completed_at, channel)
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


def rejected_late(rejected_at: datetime, due_at: datetime) -> bool:
    """A rejection must come within the processing deadline [Decree 61/2018 Art.
    19-20, as issue 13 cites them; DOMAIN.md lifecycle 5, "within the deadline"]. A
    late one is still made (the applicant is owed the answer) but counted late, as
    the control slip counts it: by date (Form 05, timeliness)."""
    return timeliness(rejected_at, due_at) == Timeliness.LATE


def claim_lapsed(claimed_at: datetime | None, now: datetime, idle_seconds: float) -> bool:
    """A claim left idle longer than idle_seconds (CLAIM_IDLE_SECONDS) counts as waiting again."""
    return claimed_at is not None and claimed_at < now - timedelta(seconds=idle_seconds)


def result_file_name(name: str | None) -> str:
    """The result file's name as sent, for its download (Content-Disposition): no
    folder (either separator), no control characters, at most 200 characters (the
    end kept: the extension), "ket-qua.pdf" when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip()
    return base[-200:] or "ket-qua.pdf"
