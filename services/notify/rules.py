"""Delivery rules as plain functions: which events deserve a message, quiet hours,
retry backoff, the providers' rate limit, and what a listing may show."""
import time as _time
from datetime import datetime, time, timedelta

import eventlet

from shared import clock

# The citizen-facing events of the contract (source service, event type).
CITIZEN_EVENTS = (
    ("intake", "dossier_received"), ("intake", "dossier_refused"), ("processing", "supplement_requested"),
    ("processing", "dossier_rejected"), ("processing", "deadline_extended"), ("processing", "result_ready"),
    ("postal", "shipment_created"), ("postal", "shipment_delivered"), ("postal", "shipment_returned"),
    ("intake", "dossier_returned"),
)


def worth_telling(env):
    """One message per step: a result delivered by post was already announced by
    shipment_delivered, so the dossier_returned that follows it says nothing new."""
    return not (env["event_type"] == "dossier_returned" and env["data"].get("where") == "postal")


def parse_quiet_hours(text):
    """'21:00-07:00' -> (21:00, 07:00); empty -> None (no quiet hours)."""
    if not text:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in str(text).split("-"))
    return start, end


def quiet_until(moment, quiet_hours):
    """When `moment` falls in the quiet hours, the moment they end (the morning);
    else None. The period may wrap past midnight."""
    if not quiet_hours:
        return None
    start, end = quiet_hours
    local = clock.local(moment)
    t = local.time()
    if start <= end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    return datetime.combine(end_day, end, clock.TZ) if inside else None


def backoff(attempts, base_seconds, cap_seconds=3600):
    """Delay before the next try after `attempts` tries: base, 2x base, 4x base..."""
    return min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds)


class RateLimit:
    """A token bucket per provider: `rate` sends per second, bursts of `burst`.
    It limits this process; several instances each get the same allowance."""

    def __init__(self, rate, burst=None, monotonic=_time.monotonic, sleep=eventlet.sleep):
        self.rate = float(rate)
        self.capacity = float(burst or max(1.0, self.rate))
        self.tokens = self.capacity
        self.monotonic, self.sleep = monotonic, sleep
        self.updated = monotonic()

    def wait_time(self):
        """Take a token if one is there (0.0), else how long until one is."""
        now = self.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def acquire(self):
        """Wait (green) for a token. Waiting holds the event in the broker, not lost."""
        if self.rate <= 0:
            return
        while (delay := self.wait_time()) > 0:
            self.sleep(delay)


def mask_address(address):
    """'0912345678' -> '091*****78', 'hoa@example.vn' -> 'h**@example.vn'."""
    if not address:
        return address
    if "@" in address:
        user, domain = address.split("@", 1)
        return user[:1] + "*" * max(len(user) - 1, 1) + "@" + domain
    return address[:3] + "*" * max(len(address) - 5, 1) + address[-2:]
