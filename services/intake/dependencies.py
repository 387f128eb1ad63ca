"""intake's dependency providers: the citizen lookup's limits.

The ID number travels in a POST body, never in a URL. Guessing is limited twice: per
client (LOOKUP_RATE_PER_MINUTE) and per dossier code (LOOKUP_WRONG_IDS_PER_HOUR
wrong ID numbers, then 429 for that code until the hour has passed), so that many
addresses together cannot try ID numbers against one code either."""

import math

from nameko.extensions import DependencyProvider

from shared.http import ApiError, trusted_networks
from shared.rate_limit import RateLimiter, WindowLimiter


def admit(limits, client):
    """429 for a client that asks too often (counted before anything else is read)."""
    if not limits.per_client.allow(client):
        seconds = limits.per_client.retry_after(client)
        raise ApiError(
            429,
            "rate_limited",
            "Tra cứu quá nhiều lần; vui lòng thử lại sau ít phút",
            headers={"Retry-After": str(seconds)},
        )


def guarded(limits, code, lookup):
    """`lookup()` behind the per-code limit: 429 for a code whose ID number was got
    wrong too many times this hour, even with the right one. A lookup that raises
    (no such dossier, or the wrong ID number) counts as a wrong attempt."""
    attempt = limits.per_code.begin(code)
    if attempt is None:
        seconds = limits.per_code.retry_after(code)
        raise ApiError(
            429,
            "too_many_wrong_ids",
            "Mã hồ sơ này đã bị nhập sai số giấy tờ quá nhiều lần; vui lòng thử lại sau khoảng "
            f"{max(1, math.ceil(seconds / 60))} phút",
            headers={"Retry-After": str(seconds)},
        )
    view = lookup()
    limits.per_code.forgive(attempt)
    return view


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
            WindowLimiter(int(config.get("LOOKUP_WRONG_IDS_PER_HOUR", 5))),
            trusted_networks(config.get("TRUSTED_PROXIES") or ""),
        )

    def get_dependency(self, worker_ctx):
        return self.limits


class Files(DependencyProvider):
    """`self.files`: the file store (shared.files.file_store: MOTCUA_FILES_URL, by
    default the filesystem under var/files), made once when the container sets up."""

    def setup(self):
        from shared.files import file_store

        self.store = file_store()

    def get_dependency(self, worker_ctx):
        return self.store
