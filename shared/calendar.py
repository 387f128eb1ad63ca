"""The working-day calendar of Vietnamese public administration.

Public holidays come from the `holidays` package (Vietnam, lunar dates and the
government's swapped days included); administrators add overrides of both kinds on
top: an extra day off, or a make-up working day. Working hours default to
07:00-11:30 and 13:30-17:00, so one working day is 8 working hours, and a duration
of N working days is N x 8 working hours counted from the first working moment at
or after reception.
"""

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from shared.clock import TZ

DEFAULT_HOURS = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


@lru_cache(maxsize=64)
def _official_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up working days) that the package knows for the year."""
    vn = holidays.VN(years=year)
    days_off = set(vn.keys())
    makeup: set[date] = set()
    for name in vn.values():
        for month, day, y in _SUBSTITUTED.findall(name):
            makeup.add(date(int(y), int(month), int(day)))
    return frozenset(days_off), frozenset(makeup)


class WorkingCalendar:
    def __init__(
        self,
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
        hours: Iterable[tuple[time, time]] = DEFAULT_HOURS,
    ) -> None:
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)
        self.hours = tuple(hours)

    @property
    def day_length(self) -> int:
        return sum((_seconds(end) - _seconds(start) for start, end in self.hours))

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        official_off, official_makeup = _official_year(day.year)
        if day in official_makeup:
            return True
        return day.weekday() < 5 and day not in official_off

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days_to_date(self, day: date, count: int) -> date:
        """The date `count` working days after `day` (J+count)."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def start_of_day(self, day: date) -> datetime:
        return datetime.combine(day, self.hours[0][0], TZ)

    def is_working_moment(self, moment: datetime) -> bool:
        moment = moment.astimezone(TZ)
        if not self.is_working_day(moment.date()):
            return False
        t = moment.timetz().replace(tzinfo=None)
        return any(start <= t < end for start, end in self.hours)

    def next_working_moment(self, moment: datetime) -> datetime:
        """The moment itself when it is working time, else the next start of a
        working period."""
        moment = moment.astimezone(TZ)
        day = moment.date()
        if self.is_working_day(day):
            t = moment.timetz().replace(tzinfo=None)
            for start, end in self.hours:
                if t < start:
                    return datetime.combine(day, start, TZ)
                if t < end:
                    return moment
        return self.start_of_day(self.next_working_day(day))

    def add_working_seconds(self, moment: datetime, seconds: float) -> datetime:
        """The moment after `seconds` of working time from `moment`. The result lies
        within working time (an exact period end counts as working: an appointment
        at 17:00 is the end of that day)."""
        current = self.next_working_moment(moment)
        remaining = seconds
        while True:
            day = current.date()
            t = current.timetz().replace(tzinfo=None)
            for start, end in self.hours:
                if t >= end:
                    continue
                begin = max(t, start)
                available = _seconds(end) - _seconds(begin)
                if remaining <= available:
                    return datetime.combine(day, begin, TZ) + timedelta(seconds=remaining)
                remaining -= available
            current = self.start_of_day(self.next_working_day(day))

    def due_at(self, received_at: datetime, duration_days: int, cutoff: time | None = None) -> datetime:
        """The appointment for a dossier received at `received_at`: a dossier received
        after the procedure's cut-off (or outside working time) counts from the next
        working morning."""
        received_at = received_at.astimezone(TZ)
        start = received_at
        if (
            cutoff is not None
            and self.is_working_day(received_at.date())
            and received_at.timetz().replace(tzinfo=None) >= cutoff
        ):
            start = self.start_of_day(self.next_working_day(received_at.date()))
        start = self.next_working_moment(start)
        if duration_days <= 0:
            return start
        return self.add_working_seconds(start, duration_days * self.day_length)


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def parse_time(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None
