"""The one clock of the system.

Every rule asks `now()`; tests move it with `set_now()`, and a whole process can be
started at a chosen moment with MOTCUA_CLOCK_START (it then runs on from there in
real time), so end-to-end tests can pin the calendar without touching the host.
"""
import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_offset = 0.0  # seconds added to the wall clock
_frozen = None


def _start_from_env():
    start = os.environ.get("MOTCUA_CLOCK_START")
    if start:
        return datetime.fromisoformat(start).timestamp() - time.time()
    return 0.0


_offset = _start_from_env()


def now():
    if _frozen is not None:
        return _frozen
    return datetime.fromtimestamp(time.time() + _offset, TZ)


def set_now(moment):
    """Freeze the clock at `moment` (aware datetime); None unfreezes it."""
    global _frozen
    _frozen = moment.astimezone(TZ) if moment is not None else None


def local(moment):
    return moment.astimezone(TZ)
