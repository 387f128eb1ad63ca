"""The one clock of the system.

Every rule asks `now()`; tests freeze it with `set_now()`, and whole processes can
be shifted by MOTCUA_CLOCK_OFFSET_SECONDS (the same offset for every process of a
run, so they agree and a restarted one carries on), which lets end-to-end tests
pin the calendar to a working morning without touching the host.
"""

import os
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_offset = float(os.environ.get("MOTCUA_CLOCK_OFFSET_SECONDS") or 0)  # added to the wall clock
_frozen: datetime | None = None


def now() -> datetime:
    if _frozen is not None:
        return _frozen
    return datetime.fromtimestamp(time.time() + _offset, TZ)


def set_now(moment: datetime | None) -> None:
    """Freeze the clock at `moment` (aware datetime); None unfreezes it."""
    global _frozen
    _frozen = moment.astimezone(TZ) if moment is not None else None


def offset_to(moment: datetime) -> float:
    """The MOTCUA_CLOCK_OFFSET_SECONDS that makes the clock read `moment` now."""
    return moment.timestamp() - time.time()


def local(moment: datetime) -> datetime:
    return moment.astimezone(TZ)


# The range of input the system reasons about. A moment a client gives (a reception
# time, a tracking event) lies within a year of now; a calendar day (catalogue
# validity, calendar overrides) within the years the holiday rules cover. Beyond
# them datetime arithmetic overflows (year 1, 9999-12-31) and nothing real lies there.
MOMENT_SPAN = timedelta(days=366)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def near_now(moment: datetime, span: timedelta = MOMENT_SPAN) -> bool:
    """Whether an aware `moment` lies within `span` of now."""
    current = now()
    try:
        return current - span <= moment <= current + span
    except (TypeError, OverflowError):
        return False


def plausible_day(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY
