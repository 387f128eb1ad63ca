"""A national public service portal simulator (`motcua portal-sim`): a real HTTP server
that plays the Cổng Dịch vụ công quốc gia for the connector (services/portal), in tests
and in `motcua up`. It speaks shared/national_portal.py's protocol: every /api/v1
request must carry the shared secret's signature (401 {"error": "invalid_signature"}
otherwise), and the dossiers it pushes are signed the same way.

The API (/api/v1, signed):

- `POST /api/v1/dossier-statuses` takes one STATUS record, keyed by its status_id: a new
  one is appended to its dossier's list in order of arrival ("accepted"), the same one
  again changes nothing ("duplicate", counted as a repeat), the same status_id with
  another status number is a 409 conflict, a malformed record a 400 naming its fields.
  `GET /api/v1/dossier-statuses?dossier_key=` answers the records as they arrived.
- `GET /api/v1/dossiers?province=&after=&limit=` the dossiers the portal took, in the
  order taken (`after`: the opaque cursor `next` of the page before; `next` is null
  when nothing follows yet), `GET /api/v1/files/<id>` a dossier's file,
  `GET /api/v1/catalog?province=` the national catalogue.

Faults, for /api/v1 only (/control and /health always answer): `POST /control/down`
(503 {"error": "unavailable"} and no pushes) until `POST /control/up`;
`POST /control/slow` {"seconds"} (every answer that late); `POST /control/errors`
{"count": n} (the next n answer 500) or {"rate": 0..1} (that share, at random).

Control (unsigned, for tests and the developer):

- `GET /control/statuses?dossier_code=X`: every record of the dossier X names, X being
  any of a record's dossier_key, dossier_code, reference or portal_reference (a code
  changes at reception; the records keep one dossier_key), with that dossier's repeats;
  without the parameter, every dossier's status numbers and the totals.
- `POST /control/dossiers` {DOSSIER fields, "push": true, "times": 1}: the portal takes
  a dossier, the missing fields filled in (a citizen applying for 1.000105 with the
  catalogue's documents, one small PDF per document), keeps it for the poll and pushes
  it, signed, `times` times to the connector. Files may be given as {document, name,
  media_type, content_base64}, with "sha256" to advertise a wrong digest on purpose.
  `POST /control/push` {"portal_reference", "times"} pushes a held dossier again.
- `GET /control/catalog`, `PUT /control/catalog` {"procedures"}: the national catalogue,
  replaced whole or refused whole (400 naming each field). It starts as intake's demo
  catalogue (services/intake/catalog/demo.json) in the national format, so that a fresh
  system is in step with the simulator.
"""

import base64
import binascii
import hashlib
import json
import logging
import mimetypes
import random
import re
import threading
import time
import unicodedata
import uuid
from datetime import date, datetime
from importlib import resources
from typing import Any, TypeGuard
from urllib.parse import parse_qsl, urlsplit

import requests

from devtools.fake_server import JsonHandler, Running, Server
from shared import clock
from shared import national_portal as protocol

log = logging.getLogger("portal-sim")

API_PREFIX = "/api/v1/"
DEFAULT_PROVINCE = "H56"
DEFAULT_PROCEDURE = "1.000105"
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
MAX_PUSHES = 10
PUSH_TIMEOUT_SECONDS = 10

# intake's catalogue -> the national one: the old level 1-4, or the Decree 42 service level
SERVICE_OF_LEVEL: dict[Any, str] = {4: "toan_trinh", 3: "mot_phan"}
NATIONAL_SERVICE = {intake: national for national, intake in protocol.ONLINE_SERVICES.items()}
FEE_KINDS = ("le_phi", "phi")

PROCEDURE_CODE = re.compile(r"[0-9]\.[0-9]{6}\Z")  # 1.001776
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{2,59}\Z")  # what intake takes as a portal reference
SHA256 = re.compile(r"[0-9a-f]{64}\Z")

APPLICANT_KINDS = ("citizen", "organisation", "foreigner")
APPLICANT_TEXT = (
    "full_name",
    "name",
    "id_number",
    "organisation_code",
    "passport_number",
    "nationality",
    "phone",
    "email",
    "address",
)
DEFAULT_APPLICANT = {
    "kind": "citizen",
    "full_name": "Nguyễn Văn Cổng",
    "id_number": "031090001234",  # 031: born in Hải Phòng
    "phone": "0912345678",
    "email": "cong@example.vn",
    "address": "Số 10 Lạch Tray, phường Lạch Tray, quận Ngô Quyền, thành phố Hải Phòng",
}
STATUS_TEXT = ("dossier_code", "reference", "portal_reference", "status_name", "agency_code", "procedure_code", "note")
DEFAULT_NOTIFY = {"sms": True, "email": True}
RETURN_METHODS = ("counter", "postal")

# what is said about a field, in the answers' "fields"
REQUIRED = "Bắt buộc nhập"
TEXT = "Phải là chuỗi ký tự, không để trống"
TEXT_OR_NULL = "Phải là chuỗi ký tự hoặc null"


class Refused(Exception):
    """A request the portal turns down: HTTP status and the JSON answer."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("error"))
        self.status, self.body = status, body


def invalid(error: str, problems: dict[str, list[str]]) -> Refused:
    return Refused(400, {"error": error, "fields": problems})


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> TypeGuard[int | float]:
    return _whole(value) or isinstance(value, float)


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or not DAY.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 moment with its offset, else None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def province_of(agency_code: Any, default: str) -> str:
    """ "000.00.06.H56" -> "H56": an agency code ends with its province's code."""
    if isinstance(agency_code, str) and "." in agency_code:
        return agency_code.rsplit(".", 1)[1]
    return default


# the catalogue


def national_entry(procedure: dict[str, Any]) -> dict[str, Any]:
    """One procedure of intake's catalogue file as the national catalogue lists it."""
    if procedure.get("online_service") in NATIONAL_SERVICE:
        online_service = NATIONAL_SERVICE[procedure["online_service"]]
    else:
        online_service = SERVICE_OF_LEVEL.get(procedure.get("level"), "khong")
    return {
        "code": procedure["code"],
        "name": procedure["name"],
        "field": procedure.get("field"),
        "agency_code": procedure.get("agency_code"),
        "online_service": online_service,
        "duration_days": procedure.get("duration_days"),
        "documents": list(procedure.get("documents") or []),
        "fees": [
            {"name": fee.get("name"), "amount": fee.get("amount"), "kind": fee.get("kind")}
            for fee in procedure.get("fees") or []
        ],
        "effective_from": procedure.get("effective_from"),
        "effective_to": procedure.get("effective_to"),
        "status": "active",
        "legal_basis": procedure.get("legal_basis"),
    }


def demo_catalog() -> list[dict[str, Any]]:
    """intake's demo catalogue in the national format (what a fresh system imports)."""
    demo = resources.files("services.intake") / "catalog" / "demo.json"
    return [national_entry(procedure) for procedure in json.loads(demo.read_text(encoding="utf-8"))["procedures"]]


def check_catalog(document: Any) -> list[dict[str, Any]]:
    """The entries of a national catalogue ({"procedures": [...]} or the list itself),
    or Refused 400 "invalid_catalog" naming every wrong field: all or nothing."""
    procedures = document.get("procedures") if isinstance(document, dict) else document
    if not isinstance(procedures, list):
        raise invalid("invalid_catalog", {"procedures": ["Phải là danh sách thủ tục"]})
    problems: dict[str, list[str]] = {}
    for index, entry in enumerate(procedures):
        _check_entry(f"procedures[{index}]", entry, problems)
    if problems:
        raise invalid("invalid_catalog", problems)
    return [{**e, "effective_to": e.get("effective_to"), "legal_basis": e.get("legal_basis")} for e in procedures]


def _check_entry(at: str, entry: Any, problems: dict[str, list[str]]) -> None:
    def wrong(name: str, message: str) -> None:
        problems.setdefault(f"{at}.{name}" if name else at, []).append(message)

    if not isinstance(entry, dict):
        return wrong("", "Phải là một thủ tục (đối tượng JSON)")
    if not (isinstance(entry.get("code"), str) and PROCEDURE_CODE.match(entry["code"])):
        wrong("code", "Mã thủ tục có dạng 1.001776")
    for name in ("name", "agency_code", "field"):
        if not _text(entry.get(name)):
            wrong(name, TEXT)
    if entry.get("online_service") not in protocol.ONLINE_SERVICES:
        wrong("online_service", f"Mức độ dịch vụ công trực tuyến là {', '.join(protocol.ONLINE_SERVICES)}")
    days = entry.get("duration_days")
    if not (_whole(days) and 0 <= days <= 365):
        wrong("duration_days", "Thời hạn giải quyết là số ngày làm việc nguyên, từ 0 đến 365")
    documents = entry.get("documents")
    if not isinstance(documents, list) or not all(_text(name) for name in documents):
        wrong("documents", "Phải là danh sách tên giấy tờ")
    fees = entry.get("fees")
    if not isinstance(fees, list):
        wrong("fees", "Phải là danh sách phí, lệ phí")
    else:
        for number, fee in enumerate(fees):
            if not isinstance(fee, dict):
                wrong(f"fees[{number}]", "Phải là {name, amount, kind}")
                continue
            if not _text(fee.get("name")):
                wrong(f"fees[{number}].name", TEXT)
            amount = fee.get("amount", "missing")
            if amount is not None and not (_whole(amount) and amount >= 0):
                wrong(f"fees[{number}].amount", "Số tiền là số đồng nguyên không âm, hoặc null khi luật không quy định")
            if fee.get("kind") not in FEE_KINDS:
                wrong(f"fees[{number}].kind", "Loại là le_phi hoặc phi")
    first = _day(entry.get("effective_from"))
    if first is None:
        wrong("effective_from", "Ngày có dạng YYYY-MM-DD")
    if entry.get("effective_to") is not None:
        last = _day(entry["effective_to"])
        if last is None:
            wrong("effective_to", "Ngày có dạng YYYY-MM-DD, hoặc null")
        elif first is not None and last < first:
            wrong("effective_to", "Không được trước ngày bắt đầu hiệu lực")
    if entry.get("status") not in protocol.CATALOGUE_STATUSES:
        wrong("status", f"Trạng thái là {' hoặc '.join(protocol.CATALOGUE_STATUSES)}")
    if entry.get("legal_basis") is not None and not isinstance(entry["legal_basis"], str):
        wrong("legal_basis", TEXT_OR_NULL)


def load_catalog(path: str) -> list[dict[str, Any]]:
    """A national-format catalogue file (`--catalog`); ValueError says what is wrong."""
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the catalogue {path}: {exc}") from exc
    try:
        return check_catalog(document)
    except Refused as refused:
        fields = json.dumps(refused.body["fields"], ensure_ascii=False)
        raise ValueError(f"invalid catalogue {path}: {fields}") from None


# status records


def check_status(record: Any) -> dict[str, Any]:
    """A STATUS record as the protocol has it, or Refused 400 "invalid_record"."""
    if not isinstance(record, dict):
        raise invalid("invalid_record", {"": ["Phải là một bản ghi trạng thái (đối tượng JSON)"]})
    problems: dict[str, list[str]] = {}
    key, seq, number = record.get("dossier_key"), record.get("seq"), record.get("status")
    if not _text(key):
        problems["dossier_key"] = [TEXT]
    if not (_whole(seq) and seq >= 1):
        problems["seq"] = ["Số thứ tự là số nguyên từ 1"]
    if not (_whole(number) and number in protocol.NUMBERS):
        problems["status"] = ["Trạng thái là số nguyên từ 1 đến 10"]
    expected = protocol.status_id(key, seq) if _text(key) and _whole(seq) else None
    if record.get("status_id") is None:
        problems["status_id"] = [REQUIRED]
    elif expected is not None and record["status_id"] != expected:
        problems["status_id"] = [f"Phải là {expected} (dossier_key/seq)"]
    if "at" not in record or record["at"] is None:
        problems["at"] = [REQUIRED]
    elif _moment(record["at"]) is None:
        problems["at"] = ["Thời điểm theo ISO 8601, có múi giờ (ví dụ 2026-03-02T09:15:00+07:00)"]
    for name in STATUS_TEXT:
        if record.get(name) is not None and not isinstance(record[name], str):
            problems[name] = [TEXT_OR_NULL]
    if problems:
        raise invalid("invalid_record", problems)
    return record


# the files the simulator makes


def ascii_text(text: str) -> str:
    """ "Bản sao giấy tờ" -> "Ban sao giay to" (the standard PDF fonts are Latin-1)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if ord(c) < 128)


def file_name(document: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text(document)).strip("-").lower()
    return f"{slug or 'tai-lieu'}.pdf"


def pdf_of(title: str) -> bytes:
    """A small valid one-page PDF: the document's name as its title (UTF-16) and on the page."""
    shown = ascii_text(title).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 770 Td ({shown}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Title <FEFF%s> /Producer (motcua portal-sim) >>" % title.encode("utf-16-be").hex().upper().encode(),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class PortalSimulator:
    def __init__(self, secret, push_url=None, province=DEFAULT_PROVINCE, catalog=None, seed=None):
        self.secret, self.push_url, self.province = secret, push_url, province
        self.catalog = demo_catalog() if catalog is None else check_catalog(catalog)
        self.random = random.Random(seed)
        self.records: dict[str, dict[str, Any]] = {}  # status_id -> record
        self.by_key: dict[str, list[dict[str, Any]]] = {}  # dossier_key -> records in arrival order
        self.aliases: dict[str, str] = {}  # any code of a record -> its dossier_key
        self.repeats: dict[str, int] = {}  # dossier_key -> the same record sent again
        self.dossiers: list[dict[str, Any]] = []  # in the order the portal took them
        self.by_reference: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # id -> (media type, bytes)
        self.down, self.slow_seconds, self.error_count, self.error_rate = False, 0.0, 0, 0.0
        self.lock = threading.Lock()

    # the API's gate: faults, then the signature

    def fault(self) -> tuple[float, Refused | None]:
        """How long this /api/v1 answer waits, and the fault it answers instead, if any."""
        with self.lock:
            if self.down:
                return self.slow_seconds, Refused(503, {"error": "unavailable"})
            failing = self.error_count > 0 or (self.error_rate > 0 and self.random.random() < self.error_rate)
            if self.error_count > 0:
                self.error_count -= 1
            return self.slow_seconds, Refused(500, {"error": "internal_error"}) if failing else None

    def check(self, headers, raw: bytes) -> None:
        if not protocol.verify(self.secret, headers, raw):
            raise Refused(401, {"error": "invalid_signature"})

    def faults(self) -> dict[str, Any]:
        with self.lock:
            return {
                "down": self.down,
                "slow_seconds": self.slow_seconds,
                "error_count": self.error_count,
                "error_rate": self.error_rate,
            }

    def set_down(self, down: bool) -> dict[str, Any]:
        with self.lock:
            self.down = down
        log.info("portal %s", "down" if down else "up")
        return self.faults()

    def set_slow(self, body: dict[str, Any]) -> dict[str, Any]:
        seconds = body.get("seconds")
        if not (_number(seconds) and 0 <= seconds <= 600):
            raise invalid("invalid_request", {"seconds": ["Số giây từ 0 đến 600"]})
        with self.lock:
            self.slow_seconds = float(seconds)
        log.info("answers %.2fs late", seconds)
        return self.faults()

    def set_errors(self, body: dict[str, Any]) -> dict[str, Any]:
        count, rate = body.get("count"), body.get("rate")
        problems = {}
        if count is None and rate is None:
            problems["count"] = ["Cần count (số yêu cầu tiếp theo bị lỗi) hoặc rate (tỉ lệ từ 0 đến 1)"]
        if count is not None and not (_whole(count) and 0 <= count <= 10000):
            problems["count"] = ["Số nguyên từ 0 đến 10000"]
        if rate is not None and not (_number(rate) and 0 <= rate <= 1):
            problems["rate"] = ["Tỉ lệ từ 0 đến 1"]
        if problems:
            raise invalid("invalid_request", problems)
        with self.lock:
            self.error_count = self.error_count if count is None else count
            self.error_rate = self.error_rate if rate is None else float(rate)
        log.info("errors: next %s requests, rate %s", count, rate)
        return self.faults()

    # statuses

    def receive(self, record: Any) -> str:
        """Take a STATUS record: "accepted" or "duplicate"; Refused 409 for another status
        number under a status_id already held."""
        record = check_status(record)
        status_id, key = record["status_id"], record["dossier_key"]
        with self.lock:
            held = self.records.get(status_id)
            if held is not None and held["status"] != record["status"]:
                log.info("status %s conflict: held %s, sent %s", status_id, held["status"], record["status"])
                raise Refused(409, {"error": "conflict"})
            if held is not None:
                self.repeats[key] = self.repeats.get(key, 0) + 1
                log.info("status %s duplicate", status_id)
                return "duplicate"
            self.records[status_id] = record
            self.by_key.setdefault(key, []).append(record)
            for name in ("dossier_key", "dossier_code", "reference", "portal_reference"):
                if record.get(name):
                    self.aliases[record[name]] = key
        log.info("status %s accepted (status %s)", status_id, record["status"])
        return "accepted"

    def statuses(self, dossier_key: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.by_key.get(dossier_key, []))

    def lookup(self, code: str) -> dict[str, Any]:
        """Every record of the dossier `code` names, by any of its codes."""
        with self.lock:
            key = self.aliases.get(code)
            return {
                "dossier_code": code,
                "dossier_key": key,
                "statuses": list(self.by_key.get(key, [])) if key else [],
                "repeats": self.repeats.get(key, 0) if key else 0,
            }

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "dossiers": {key: [r["status"] for r in records] for key, records in self.by_key.items()},
                "accepted": len(self.records),
                "repeats": sum(self.repeats.values()),
            }

    # dossiers in

    def new_reference(self) -> str:
        """DVCQG-<yymmdd>-<6 digits>, not yet used (under the lock)."""
        while True:
            reference = f"DVCQG-{clock.now():%y%m%d}-{self.random.randrange(10**6):06d}"
            if reference not in self.by_reference:
                return reference

    def procedure(self, code: Any) -> dict[str, Any] | None:
        with self.lock:
            return next((entry for entry in self.catalog if entry["code"] == code), None)

    def take(self, body: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        """The portal takes a dossier (`POST /control/dossiers`): kept for the poll, pushed
        unless "push" is false. Returns it and the outcome of each push."""
        push, times = body.get("push", True), body.get("times", 1)
        problems: dict[str, list[str]] = {}
        if not isinstance(push, bool):
            problems["push"] = ["Phải là true hoặc false"]
        if not (_whole(times) and 1 <= times <= MAX_PUSHES):
            problems["times"] = [f"Số lần gửi là số nguyên từ 1 đến {MAX_PUSHES}"]
        given = {name: value for name, value in body.items() if name not in ("push", "times")}
        dossier, contents = self.complete(given, problems)
        with self.lock:
            if dossier["portal_reference"] is None:
                dossier["portal_reference"] = self.new_reference()
            elif dossier["portal_reference"] in self.by_reference:
                raise Refused(
                    409, {"error": "conflict", "fields": {"portal_reference": ["Cổng đã có hồ sơ với mã này"]}}
                )
            self.dossiers.append(dossier)
            self.by_reference[dossier["portal_reference"]] = dossier
            for file, content in zip(dossier["files"], contents, strict=True):
                self.files[file["id"]] = (file["media_type"], content)
        log.info("dossier %s taken (%d files)", dossier["portal_reference"], len(contents))
        return dossier, self.deliver(dossier, times) if push else []

    def complete(self, given: dict[str, Any], problems: dict[str, list[str]]) -> tuple[dict[str, Any], list[bytes]]:
        """The DOSSIER with its missing fields filled in, and its files' bytes; Refused 400
        "invalid_dossier" naming every wrong field given."""
        reference = given.get("portal_reference")
        if reference is not None and not (isinstance(reference, str) and REFERENCE.match(reference)):
            problems["portal_reference"] = ["Mã hồ sơ trên Cổng: 3-60 chữ, số, . _ / -"]
        submitted_at = given.get("submitted_at")
        if submitted_at is not None and _moment(submitted_at) is None:
            problems["submitted_at"] = ["Thời điểm theo ISO 8601, có múi giờ (ví dụ 2026-03-02T09:15:00+07:00)"]
        code = given.get("procedure_code", DEFAULT_PROCEDURE)
        entry = self.procedure(code)
        agency_code = given.get("agency_code")
        if not (isinstance(code, str) and PROCEDURE_CODE.match(code)):
            problems["procedure_code"] = ["Mã thủ tục có dạng 1.001776"]
        elif entry is None and agency_code is None:
            problems["procedure_code"] = ["Không có trong danh mục của Cổng; thủ tục ngoài danh mục cần agency_code"]
        if agency_code is None and entry is not None:
            agency_code = entry["agency_code"]
        elif agency_code is not None and not _text(agency_code):
            problems["agency_code"] = [TEXT]
        applicant = self._applicant(given.get("applicant"), problems)
        documents = self._documents(given.get("documents"), entry, problems)
        return_method = given.get("return_method", "counter")
        if return_method not in RETURN_METHODS:
            problems["return_method"] = ["Hình thức trả kết quả là counter hoặc postal"]
        delivery_address = given.get("delivery_address")
        if delivery_address is not None and not isinstance(delivery_address, str):
            problems["delivery_address"] = [TEXT_OR_NULL]
        notify = given.get("notify", {})
        if not isinstance(notify, dict):
            problems["notify"] = ["Phải là {sms, email}"]
            notify = {}
        notify = {**DEFAULT_NOTIFY, **notify}
        for channel in ("sms", "email"):
            if not isinstance(notify[channel], bool):
                problems[f"notify.{channel}"] = ["Phải là true hoặc false"]
        files, contents = self._files(given.get("files"), documents, problems)
        if problems:
            raise invalid("invalid_dossier", problems)
        dossier = {
            **given,  # what else a test sends goes out as given
            "portal_reference": reference,
            "submitted_at": submitted_at or clock.now().isoformat(),
            "procedure_code": code,
            "agency_code": agency_code,
            "applicant": applicant,
            "documents": documents,
            "return_method": return_method,
            "delivery_address": delivery_address,
            "notify": notify,
            "files": files,
        }
        return dossier, contents

    def _applicant(self, applicant: Any, problems: dict[str, list[str]]) -> dict[str, Any]:
        if applicant is None:
            return dict(DEFAULT_APPLICANT)
        if not isinstance(applicant, dict):
            problems["applicant"] = ["Phải là thông tin người nộp (đối tượng JSON)"]
            return {}
        kind = applicant.get("kind", "citizen")
        if kind not in APPLICANT_KINDS:
            problems["applicant.kind"] = ["Loại người nộp là citizen, organisation hoặc foreigner"]
        # a citizen's missing details are the default citizen's; another kind is taken as given
        applicant = {**DEFAULT_APPLICANT, **applicant} if kind == "citizen" else {"kind": kind, **applicant}
        for name in APPLICANT_TEXT:
            if applicant.get(name) is not None and not isinstance(applicant[name], str):
                problems[f"applicant.{name}"] = [TEXT_OR_NULL]
        return applicant

    def _documents(self, documents: Any, entry: dict[str, Any] | None, problems: dict[str, list[str]]) -> list[Any]:
        if documents is None:
            return [{"name": name, "copies": 1} for name in (entry or {}).get("documents", [])]
        if not isinstance(documents, list):
            problems["documents"] = ["Phải là danh sách giấy tờ"]
            return []
        taken = []
        for index, document in enumerate(documents):
            document = {"name": document} if isinstance(document, str) else document
            if not isinstance(document, dict) or not _text(document.get("name")):
                problems[f"documents[{index}].name"] = [TEXT]
                continue
            copies = document.get("copies", 1)
            if not (_whole(copies) and 1 <= copies <= 100):
                problems[f"documents[{index}].copies"] = ["Số bản từ 1 đến 100"]
            taken.append({**document, "copies": copies})
        return taken

    def _files(
        self, files: Any, documents: list[Any], problems: dict[str, list[str]]
    ) -> tuple[list[dict[str, Any]], list[bytes]]:
        """The files' descriptions and bytes: as given (content_base64), else one small PDF
        per document."""
        if files is None:
            made = [
                {"document": d["name"], "name": file_name(d["name"]), "content": pdf_of(d["name"])}
                for d in documents
                if isinstance(d, dict)
            ]
            return self._described(made)
        if not isinstance(files, list):
            problems["files"] = ["Phải là danh sách tệp"]
            return [], []
        given = []
        for index, file in enumerate(files):
            at = f"files[{index}]"
            if not isinstance(file, dict):
                problems[at] = ["Phải là {document, name, media_type, content_base64}"]
                continue
            try:
                content = base64.b64decode(file.get("content_base64") or "", validate=True)
            except (binascii.Error, TypeError, ValueError):
                content = b""
            if not content:
                problems[f"{at}.content_base64"] = ["Nội dung tệp mã hoá base64, không rỗng"]
            if not _text(file.get("name")):
                problems[f"{at}.name"] = [TEXT]
            for name in ("document", "media_type"):
                if file.get(name) is not None and not _text(file[name]):
                    problems[f"{at}.{name}"] = [TEXT]
            digest = file.get("sha256")
            if digest is not None and not (isinstance(digest, str) and SHA256.match(digest)):
                problems[f"{at}.sha256"] = ["64 chữ số hệ 16, chữ thường"]
            described = {name: value for name, value in file.items() if name != "content_base64"}
            given.append({**described, "content": content})
        return self._described(given)

    def _described(self, files: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[bytes]]:
        described, contents = [], []
        for file in files:
            content = file.pop("content")
            name: str = file["name"] if isinstance(file.get("name"), str) else ""
            described.append(
                {
                    "id": uuid.uuid4().hex,
                    "document": file.get("document"),
                    "name": name,
                    "media_type": file.get("media_type") or mimetypes.guess_type(name)[0] or "application/octet-stream",
                    "size": len(content),
                    # a given sha256 is advertised as is: a test of the connector's integrity check
                    "sha256": file.get("sha256") or hashlib.sha256(content).hexdigest(),
                }
            )
            contents.append(content)
        return described, contents

    def again(self, body: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        """`POST /control/push`: push a held dossier again."""
        times = body.get("times", 1)
        if not (_whole(times) and 1 <= times <= MAX_PUSHES):
            raise invalid("invalid_request", {"times": [f"Số lần gửi là số nguyên từ 1 đến {MAX_PUSHES}"]})
        reference = body.get("portal_reference")
        with self.lock:
            dossier = self.by_reference.get(reference) if isinstance(reference, str) else None
        if dossier is None:
            raise Refused(404, {"error": "not_found", "fields": {"portal_reference": ["Cổng không có hồ sơ này"]}})
        return dossier, self.deliver(dossier, times)

    def deliver(self, dossier: dict[str, Any], times: int) -> list[Any]:
        """Push the dossier, signed, `times` times in a row: each push's HTTP status, or
        "error: ..." when it could not be delivered. Nothing while the portal is down."""
        with self.lock:
            if self.down:
                log.info("dossier %s not pushed: the portal is down", dossier["portal_reference"])
                return []
        raw = json.dumps(dossier, ensure_ascii=False).encode()
        outcomes: list[Any] = []
        for _ in range(times):
            if not self.push_url:
                outcome: Any = "error: no push URL configured"
            else:
                headers = {**protocol.signed_headers(self.secret, raw), "Content-Type": "application/json"}
                try:
                    answer = requests.post(self.push_url, data=raw, headers=headers, timeout=PUSH_TIMEOUT_SECONDS)
                    outcome = answer.status_code
                except requests.RequestException as exc:
                    outcome = f"error: {exc.__class__.__name__}: {exc}"
            log.info("dossier %s pushed to %s: %s", dossier["portal_reference"], self.push_url, outcome)
            outcomes.append(outcome)
        return outcomes

    def poll(self, query: dict[str, str]) -> dict[str, Any]:
        """A page of the dossiers taken, in order; `next` is the cursor of the page after,
        null when nothing follows yet."""
        after, limit, province = query.get("after") or "0", query.get("limit") or str(PAGE_SIZE), query.get("province")
        problems = {}
        if not (after.isascii() and after.isdigit()):
            problems["after"] = ["Con trỏ không hợp lệ: dùng giá trị next của trang trước"]
        if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_PAGE_SIZE):
            problems["limit"] = [f"Số hồ sơ mỗi trang từ 1 đến {MAX_PAGE_SIZE}"]
        if problems:
            raise invalid("invalid_request", problems)
        page: list[dict[str, Any]] = []
        following = None
        with self.lock:
            for position in range(int(after), len(self.dossiers)):
                dossier = self.dossiers[position]
                if province and province_of(dossier["agency_code"], self.province) != province:
                    continue
                if len(page) == int(limit):
                    following = str(position)
                    break
                page.append(dossier)
        return {"dossiers": page, "next": following}

    def file(self, file_id: str) -> tuple[str, bytes]:
        with self.lock:
            held = self.files.get(file_id)
        if held is None:
            raise Refused(404, {"error": "not_found"})
        return held

    # the catalogue

    def catalogue(self, province: str | None = None) -> dict[str, Any]:
        province = province or self.province
        with self.lock:
            procedures = [e for e in self.catalog if province_of(e["agency_code"], self.province) == province]
        return {"province": province, "procedures": procedures}

    def replace_catalog(self, document: Any) -> dict[str, Any]:
        procedures = check_catalog(document)
        with self.lock:
            self.catalog = procedures
        log.info("catalogue replaced: %d procedures", len(procedures))
        return {"province": self.province, "procedures": procedures}


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Refused(400, {"error": "invalid_json", "message": "Nội dung phải là một đối tượng JSON"})
    return body


def taken(dossier, pushed):
    """The answer of /control/dossiers and /control/push."""
    return {"portal_reference": dossier["portal_reference"], "dossier": dossier, "pushed": pushed}


def make_server(sim, host="127.0.0.1", port=8012):
    class Handler(JsonHandler):
        def do_GET(self):
            self.route("GET")

        def do_POST(self):
            self.route("POST")

        def do_PUT(self):
            self.route("PUT")

        def route(self, method):
            url = urlsplit(self.path)
            length = self.headers.get("Content-Length") or "0"
            if not (length.isascii() and length.isdigit()):
                self.close_connection = True
                return self.answer(400, {"error": "invalid_request", "fields": {"Content-Length": ["Không hợp lệ"]}})
            raw = self.rfile.read(int(length))
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            try:
                if url.path == "/health" and method == "GET":
                    return self.answer(200, {"status": "ok"})
                if url.path.startswith(API_PREFIX):
                    return self.api(method, url.path, query, raw)
                if url.path.startswith("/control/"):
                    return self.control(method, url.path, query, raw)
                raise Refused(404, {"error": "not_found"})
            except Refused as refused:
                self.answer(refused.status, refused.body)

        def api(self, method, path, query, raw):
            delay, refusal = sim.fault()
            if delay:
                time.sleep(delay)
            if refusal is not None:
                raise refusal
            sim.check(self.headers, raw)
            if (method, path) == ("POST", protocol.STATUSES_PATH):
                return self.answer(200, {"result": sim.receive(parse_json(raw))})
            if method != "GET":
                raise Refused(404, {"error": "not_found"})
            if path == protocol.STATUSES_PATH:
                if not query.get("dossier_key"):
                    raise invalid("invalid_request", {"dossier_key": [REQUIRED]})
                return self.answer(200, {"statuses": sim.statuses(query["dossier_key"])})
            if path == protocol.DOSSIERS_PATH:
                return self.answer(200, sim.poll(query))
            if path.startswith(protocol.FILES_PATH + "/"):
                media_type, content = sim.file(path.removeprefix(protocol.FILES_PATH + "/"))
                return self.send_bytes(media_type, content)
            if path == protocol.CATALOG_PATH:
                return self.answer(200, sim.catalogue(query.get("province")))
            raise Refused(404, {"error": "not_found"})

        def control(self, method, path, query, raw):
            if method == "GET":
                if path == "/control/statuses":
                    if "dossier_code" not in query:
                        return self.answer(200, sim.summary())
                    if not query["dossier_code"]:
                        raise invalid("invalid_request", {"dossier_code": [REQUIRED]})
                    return self.answer(200, sim.lookup(query["dossier_code"]))
                if path == "/control/catalog":
                    return self.answer(200, sim.catalogue())
                raise Refused(404, {"error": "not_found"})
            body = parse_json(raw)
            if (method, path) == ("PUT", "/control/catalog"):
                return self.answer(200, sim.replace_catalog(body))
            if method != "POST":
                raise Refused(404, {"error": "not_found"})
            if path == "/control/dossiers":
                return self.answer(201, taken(*sim.take(body)))
            if path == "/control/push":
                return self.answer(200, taken(*sim.again(body)))
            if path in ("/control/down", "/control/up"):
                return self.answer(200, sim.set_down(path == "/control/down"))
            if path == "/control/slow":
                return self.answer(200, sim.set_slow(body))
            if path == "/control/errors":
                return self.answer(200, sim.set_errors(body))
            raise Refused(404, {"error": "not_found"})

        def send_bytes(self, media_type, content):
            self.send_response(200)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, fmt, *args):
            log.debug(fmt, *args)

    return Server((host, port), Handler)


def start(secret, push_url=None, host="127.0.0.1", port=0, **settings):
    """Serve a new simulator in a background thread (port 0: any free port); `.stop()` ends it.
    Settings: province, catalog (national-format entries), seed."""
    sim = PortalSimulator(secret, push_url, **settings)
    return Running(sim, make_server(sim, host, port))


def command(port, secret, push_url, host="127.0.0.1"):
    """The `motcua` arguments that run the simulator as a process (tests/system.py's
    `System.start(name, *command(...))`, `motcua up`)."""
    return ["portal-sim", "--host", host, "--port", str(port), "--secret", secret, "--push-url", push_url]
