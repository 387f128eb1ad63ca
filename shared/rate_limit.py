"""Limits kept in one process: a token bucket per client, and a sliding window of
counted attempts per key. Each remembers a bounded number of clients or keys, the
least recently seen forgotten first, so a flood of new addresses never resets
everyone else's limit."""

import math
import threading
import time
from collections import OrderedDict, deque
from typing import Any


class RateLimiter:
    """`rate` requests per `per` seconds for each client, in bursts of up to `rate`."""

    def __init__(self, rate: int, per: float = 60.0, max_clients: int = 100_000) -> None:
        self.rate, self.per, self.max_clients = rate, per, max_clients
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def _refilled(self, client: str, now: float) -> float:
        tokens, last = self.buckets.pop(client, (self.rate, now))
        return min(self.rate, tokens + (now - last) * self.rate / self.per)

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens = self._refilled(client, now)
            allowed = tokens >= 1
            self.buckets[client] = (tokens - 1 if allowed else tokens, now)  # now the most recent
            while len(self.buckets) > self.max_clients:
                self.buckets.popitem(last=False)
            return allowed

    def retry_after(self, client: str, now: float | None = None) -> int:
        """Whole seconds until the client's next request is allowed (0: now)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens = self._refilled(client, now)
            self.buckets[client] = (tokens, now)
            return 0 if tokens >= 1 else math.ceil((1 - tokens) * self.per / self.rate)


class WindowLimiter:
    """At most `limit` counted attempts per key in `window` seconds. An attempt is
    counted when it begins (concurrent ones cannot slip past the limit) and may be
    forgiven afterwards (a right ID number, a submission that made no dossier)."""

    def __init__(self, limit: int, window: float = 3600.0, max_keys: int = 100_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self.attempts: OrderedDict[str, deque[float]] = OrderedDict()  # least recently used first
        self.lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self.attempts.pop(key, None) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def begin(self, key: str, now: float | None = None) -> Any:
        """A place to `forgive`, or None when the key has used all of its attempts."""
        now = time.monotonic() if now is None else now
        with self.lock:
            times = self._recent(key, now)
            allowed = len(times) < self.limit
            if allowed:
                times.append(now)
            if times:
                self.attempts[key] = times
            while len(self.attempts) > self.max_keys:
                self.attempts.popitem(last=False)
            return (key, now) if allowed else None

    def forgive(self, place: Any) -> None:
        """The attempt does not count after all."""
        key, started = place
        with self.lock:
            times = self.attempts.get(key)
            if times and started in times:
                times.remove(started)

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Whole seconds until the key may try again (0: now)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            times = self._recent(key, now)
            if times:
                self.attempts[key] = times
            if len(times) < self.limit:
                return 0
            return max(1, math.ceil(times[0] + self.window - now))
