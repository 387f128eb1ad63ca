"""The citizen's lookup (tra cứu hồ sơ): the dossier code and the ID number together,
or nothing. The answer never shows the ID number or an address."""
import hmac
import threading
import time

import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from shared.http import ApiError
from services.intake.models import Dossier, Procedure

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


def collect(dossier):
    """Where the citizen gets the result (never the address itself)."""
    if dossier.return_method == "postal" and dossier.postal_status != "returned_to_counter":
        return {"method": "postal", "where": "Bưu chính chuyển đến địa chỉ đã đăng ký"}
    return {"method": "counter", "where": f"Bộ phận Một cửa, cơ quan {dossier.agency_code}"}


class RateLimiter:
    """A token bucket per client: `rate` requests per `per` seconds, bursts up to
    `rate`. Kept in the process: each intake instance limits on its own."""

    def __init__(self, rate, per=60.0, max_clients=100_000):
        self.rate, self.per, self.max_clients = rate, per, max_clients
        self.buckets = {}
        self.lock = threading.Lock()

    def allow(self, client, now=None):
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, last = self.buckets.get(client, (self.rate, now))
            tokens = min(self.rate, tokens + (now - last) * self.rate / self.per)
            if len(self.buckets) >= self.max_clients:
                self.buckets.clear()  # a flood of addresses: start afresh rather than grow
            allowed = tokens >= 1
            self.buckets[client] = (tokens - 1 if allowed else tokens, now)
            return allowed


class LookupLimiter(DependencyProvider):
    """The service's one RateLimiter for the citizen lookup (LOOKUP_RATE_PER_MINUTE per client)."""

    def setup(self):
        self.limiter = RateLimiter(int(self.container.config.get("LOOKUP_RATE_PER_MINUTE", 30)))

    def get_dependency(self, worker_ctx):
        return self.limiter
