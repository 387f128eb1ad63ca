"""The one clock of the system.

Every rule asks `now()`; tests freeze it with `set_now()`, and whole processes can
be shifted by MOTCUA_CLOCK_OFFSET_SECONDS (the same offset for every process of a
run, so they agree and a restarted one carries on), which lets end-to-end tests
pin the calendar to a working morning without touching the host.
"""
import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_offset = float(os.environ.get("MOTCUA_CLOCK_OFFSET_SECONDS") or 0)  # added to the wall clock
_frozen = None


def now():
    if _frozen is not None:
        return _frozen
    return datetime.fromtimestamp(time.time() + _offset, TZ)


def set_now(moment):
    """Freeze the clock at `moment` (aware datetime); None unfreezes it."""
    global _frozen
    _frozen = moment.astimezone(TZ) if moment is not None else None


def offset_to(moment):
    """The MOTCUA_CLOCK_OFFSET_SECONDS that makes the clock read `moment` now."""
    return moment.timestamp() - time.time()


def local(moment):
    return moment.astimezone(TZ)
