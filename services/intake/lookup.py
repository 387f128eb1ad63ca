"""The citizen's lookup (tra cứu hồ sơ): the dossier code and the ID number together,
or nothing. The answer never shows the ID number or an address.

The ID number travels in a POST body, never in a URL (URLs end up in proxy and
access logs, browser history and Referer headers). Guessing is limited twice: per
client (LOOKUP_RATE_PER_MINUTE) and per dossier code (LOOKUP_WRONG_IDS_PER_HOUR
wrong ID numbers, then 429 for that code until the hour has passed), so that many
addresses together cannot try ID numbers against one code either."""
import hmac
import math
import threading
import time
from collections import OrderedDict, deque

import sqlalchemy as sa
from marshmallow import RAISE, Schema, fields, validate
from nameko.extensions import DependencyProvider

from shared.http import ApiError, trusted_networks
from services.intake.models import Dossier, Procedure
from services.intake.schemas import check_id_number

NOT_FOUND = ApiError(404, "not_found", "Không tìm thấy hồ sơ với mã hồ sơ và số CCCD đã nhập")

STATUS_LABELS = {
    "submitted": "Mới đăng ký, chờ bộ phận một cửa kiểm tra",
    "received": "Đã tiếp nhận",
    "refused": "Không được tiếp nhận",
    "in_progress": "Đang xử lý",
    "supplement_requested": "Cần bổ sung giấy tờ",
    "awaiting_payment": "Chờ thực hiện nghĩa vụ tài chính",
    "withdrawn": "Đã rút hồ sơ",
    "rejected": "Dừng xử lý",
    "result_ready": "Đã có kết quả",
    "returned": "Đã trả kết quả",
}


def lookup(session, code, id_number):
    """The citizen's view, or the same 404 whether the code exists or not."""
    if not code or not id_number:
        raise NOT_FOUND
    row = session.execute(sa.select(Dossier, Procedure.name).join(Procedure, Procedure.id == Dossier.procedure_id)
                          .where(Dossier.code == code)).first()
    # Compare even when there is no dossier, so timing does not tell whether a code exists.
    expected = row.Dossier.id_number if row else "x" * 12
    if not hmac.compare_digest(expected.encode(), id_number.encode()) or row is None:
        raise NOT_FOUND
    dossier = row.Dossier
    return {
        "code": dossier.code, "procedure": row.name, "status": dossier.status,
        "status_label": STATUS_LABELS[dossier.status], "received_at": dossier.received_at,
        "appointment": dossier.due_at, "returned_at": dossier.returned_at,
        "overdue": dossier.overdue, "rescheduled": dossier.rescheduled,
        "collect": collect(dossier),
    }


def admit(limits, client):
    """429 for a client that asks too often (counted before anything else is read)."""
    if not limits.per_client.allow(client):
        raise ApiError(429, "rate_limited", "Tra cứu quá nhiều lần; vui lòng thử lại sau ít phút")


def guarded_lookup(uow, limits, code, id_number):
    """`lookup` behind the per-code limit: 429 for a code whose ID number was got
    wrong too many times this hour, even with the right one."""
    attempt = limits.per_code.begin(code)
    if attempt is None:
        minutes = max(1, math.ceil(limits.per_code.retry_after(code) / 60))
        raise ApiError(429, "too_many_wrong_ids",
                       f"Mã hồ sơ này đã bị nhập sai số CCCD quá nhiều lần; vui lòng thử lại sau khoảng {minutes} phút")
    with uow.transaction() as session:
        view = lookup(session, code, id_number)
    limits.per_code.right(attempt)
    return view


def collect(dossier):
    """Where the citizen gets the result (never the address itself)."""
    if dossier.return_method == "postal" and dossier.postal_status != "returned_to_counter":
        return {"method": "postal", "where": "Bưu chính chuyển đến địa chỉ đã đăng ký"}
    return {"method": "counter", "where": f"Bộ phận Một cửa, cơ quan {dossier.agency_code}"}


class LookupQuery(Schema):
    """POST /api/lookup (and the /tra-cuu form): {code, id_number}."""
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Regexp(
        r"[0-9A-Za-z._-]{1,40}\Z", error="Mã hồ sơ có dạng 000.00.06.H56-261126-0001"),
        error_messages={"required": "Bắt buộc nhập mã hồ sơ"})
    id_number = fields.String(required=True, validate=check_id_number,
                              error_messages={"required": "Bắt buộc nhập số CCCD"})


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
        self.limits = Limits(RateLimiter(int(config.get("LOOKUP_RATE_PER_MINUTE", 30))),
                             WrongIdLimiter(int(config.get("LOOKUP_WRONG_IDS_PER_HOUR", 5))),
                             trusted_networks(config.get("TRUSTED_PROXIES") or ""))

    def get_dependency(self, worker_ctx):
        return self.limits
