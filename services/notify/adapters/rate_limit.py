"""The providers' rate limit: a token bucket per channel."""

import time as _time


def _green_sleep(seconds):
    import eventlet  # the service's green sleep; tests pass their own

    eventlet.sleep(seconds)


class RateLimit:
    """`rate` sends per second, bursts of `burst`. It limits this process; several
    instances each get the same allowance."""

    def __init__(self, rate, burst=None, monotonic=_time.monotonic, sleep=_green_sleep):
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
