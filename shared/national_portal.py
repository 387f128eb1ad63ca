"""The national public service portal's protocol (Cổng Dịch vụ công quốc gia), as the
connector (services/portal) and the simulator (`motcua portal-sim`) both speak it, so
they cannot drift apart. Bodies are JSON (UTF-8); every request either way carries

    X-Portal-Timestamp: <seconds since the epoch>
    X-Portal-Signature: <hex HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret>

(a GET signs an empty body). A receiver refuses a wrong signature, or a timestamp more
than SKEW_SECONDS away from its clock, with 401.

The exchanges (paths below the portal's base URL, PORTAL_URL):

- statuses out: `POST /api/v1/dossier-statuses` with one STATUS record. The portal keys
  it by `status_id` ("<dossier key>/<seq>"): the same record again answers 200
  {"result": "duplicate"} and changes nothing, a new one 200 {"result": "accepted"}.
  `GET /api/v1/dossier-statuses?dossier_key=` answers {"statuses": [records as held]}.
- dossiers in: the portal pushes one DOSSIER to the connector's
  `POST /api/portal/dossiers`; `GET /api/v1/dossiers?province=&after=&limit=` answers
  {"dossiers": [...], "next": cursor or null} in the order the portal took them (the
  poll). A file is read with a signed `GET /api/v1/files/<id>` (its bytes).
- catalogue: `GET /api/v1/catalog?province=` answers {"province", "procedures":
  [CATALOGUE entries]}.

STATUS record: {status_id, dossier_key, seq, dossier_code, reference, portal_reference,
status (1-10, NUMBERS), status_name, at (ISO 8601), agency_code, procedure_code, note}.

DOSSIER: {portal_reference, submitted_at, procedure_code, agency_code, applicant
{kind, full_name, id_number, phone, email, address, ...as intake's submission},
documents [{name, copies}], return_method, delivery_address, notify {sms, email},
files [{id, document, name, media_type, size, sha256}]}.

CATALOGUE entry: {code, name, field, agency_code, online_service ("toan_trinh",
"mot_phan", "khong"), duration_days (working days), documents [names], fees [{name,
amount (đồng) or null when the law gives no figure, kind ("le_phi", "phi")}],
effective_from, effective_to (YYYY-MM-DD or null), status ("active", "expired"),
legal_basis}.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_HEADER = "X-Portal-Signature"
SKEW_SECONDS = 300

STATUSES_PATH = "/api/v1/dossier-statuses"
DOSSIERS_PATH = "/api/v1/dossiers"
FILES_PATH = "/api/v1/files"
CATALOG_PATH = "/api/v1/catalog"
# where the portal pushes a dossier, on the connector
PUSH_PATH = "/api/portal/dossiers"

# The national status numbers of a dossier (trạng thái hồ sơ).
NUMBERS = {
    1: "Mới đăng ký",
    2: "Được tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}

# the national catalogue's online service levels -> intake's (Decree 42/2022/NĐ-CP Art. 11)
ONLINE_SERVICES = {"toan_trinh": "full", "mot_phan": "partial", "khong": "none"}
CATALOGUE_STATUSES = ("active", "expired")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes = b"", now: float | None = None) -> dict[str, str]:
    """The headers that sign `body` (b"" for a GET)."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: str, headers: Any, body: bytes, now: float | None = None) -> bool:
    """The request's signature is the one `secret` gives, and it is recent."""
    timestamp, given = headers.get(TIMESTAMP_HEADER) or "", headers.get(SIGNATURE_HEADER) or ""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return (
        age <= SKEW_SECONDS and bool(given) and hmac.compare_digest(given.lower(), signature(secret, timestamp, body))
    )


def status_id(dossier_key: str, seq: int) -> str:
    return f"{dossier_key}/{seq}"
