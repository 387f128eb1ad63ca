"""intake's dependency providers: the citizen lookup's limits.

The ID number travels in a POST body, never in a URL. Guessing is limited twice: per
client (LOOKUP_RATE_PER_MINUTE) and per dossier code (LOOKUP_WRONG_IDS_PER_HOUR
wrong ID numbers, then 429 for that code until the hour has passed), so that many
addresses together cannot try ID numbers against one code either."""

import math
import threading
import time
from collections import OrderedDict, deque

from nameko.extensions import DependencyProvider

from shared.http import ApiError, trusted_networks


def admit(limits, client):
    """429 for a client that asks too often (counted before anything else is read)."""
    if not limits.per_client.allow(client):
        raise ApiError(429, "rate_limited", "Tra cứu quá nhiều lần; vui lòng thử lại sau ít phút")


def guarded(limits, code, lookup):
    """`lookup()` behind the per-code limit: 429 for a code whose ID number was got
    wrong too many times this hour, even with the right one. A lookup that raises
    (no such dossier, or the wrong ID number) counts as a wrong attempt."""
    attempt = limits.per_code.begin(code)
    if attempt is None:
        minutes = max(1, math.ceil(limits.per_code.retry_after(code) / 60))
        raise ApiError(
            429,
            "too_many_wrong_ids",
            f"Mã hồ sơ này đã bị nhập sai số giấy tờ quá nhiều lần; vui lòng thử lại sau khoảng {minutes} phút",
        )
    view = lookup()
    limits.per_code.right(attempt)
    return view


class RateLimiter:
    """A token bucket per client: `rate` requests per `per` seconds, bursts up to
    `rate`. Kept in the process: each intake instance limits on its own. At most
    `max_clients` buckets: the least recently seen client is forgotten first, so a
    flood of addresses never resets everyone else's bucket."""

    def __init__(self, rate, per=60.0, max_clients=100_000):
        self.rate, self.per, self.max_clients = rate, per, max_clients
        self.buckets = OrderedDict()
        self.lock = threading.Lock()

    def allow(self, client, now=None):
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, last = self.buckets.pop(client, (self.rate, now))
            tokens = min(self.rate, tokens + (now - last) * self.rate / self.per)
            allowed = tokens >= 1
            self.buckets[client] = (tokens - 1 if allowed else tokens, now)  # now the most recent
            while len(self.buckets) > self.max_clients:
                self.buckets.popitem(last=False)
            return allowed


class WrongIdLimiter:
    """At most `limit` wrong ID numbers per dossier code in `window` seconds; then
    every lookup of that code is refused until the oldest wrong one leaves the
    window. An attempt is counted when it starts (so concurrent guesses cannot slip
    past the limit) and forgiven when the ID number was right. Codes that do not
    exist are counted alike: the limit must not tell which codes exist."""

    def __init__(self, limit=5, window=3600.0, max_codes=100_000):
        self.limit, self.window, self.max_codes = limit, window, max_codes
        self.attempts = OrderedDict()  # code -> deque of monotonic times, least recently used first
        self.lock = threading.Lock()

    def begin(self, code, now=None):
        """A token for `right`, or None when the code is locked for now."""
        now = time.monotonic() if now is None else now
        with self.lock:
            times = self.attempts.pop(code, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            allowed = len(times) < self.limit
            if allowed:
                times.append(now)
            if times:
                self.attempts[code] = times
            while len(self.attempts) > self.max_codes:
                self.attempts.popitem(last=False)
            return (code, now) if allowed else None

    def right(self, token):
        """The ID number matched: the attempt does not count."""
        code, started = token
        with self.lock:
            times = self.attempts.get(code)
            if times and started in times:
                times.remove(started)

    def retry_after(self, code, now=None):
        """Seconds until the code answers again."""
        now = time.monotonic() if now is None else now
        with self.lock:
            times = self.attempts.get(code)
            return max(0.0, times[0] + self.window - now) if times else 0.0


class Limits:
    def __init__(self, per_client, per_code, trusted_proxies):
        self.per_client, self.per_code, self.trusted_proxies = per_client, per_code, trusted_proxies


class LookupLimiter(DependencyProvider):
    """The service's limits of the citizen lookup: LOOKUP_RATE_PER_MINUTE per client,
    LOOKUP_WRONG_IDS_PER_HOUR per dossier code, and the reverse proxies whose
    X-Forwarded-For names the client (TRUSTED_PROXIES)."""

    def setup(self):
        config = self.container.config
        self.limits = Limits(
            RateLimiter(int(config.get("LOOKUP_RATE_PER_MINUTE", 30))),
            WrongIdLimiter(int(config.get("LOOKUP_WRONG_IDS_PER_HOUR", 5))),
            trusted_networks(config.get("TRUSTED_PROXIES") or ""),
        )

    def get_dependency(self, worker_ctx):
        return self.limits
