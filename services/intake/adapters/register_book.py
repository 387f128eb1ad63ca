"""The tracking book (Sổ theo dõi hồ sơ, Form 06 of Circular 01/2018/TT-VPCP): every
dossier an agency received in a period, in the order received, numbered, with what
became of it. Read from the register and its audit trail (dossier_history: what
Dossier._move logs) in two queries whatever the period: the dossiers, then the
trail entries the book needs of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import jinja2
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.intake.adapters import orm, pages
from services.intake.domain.model import Agency, Channel, DossierStatus, PostalStatus, ReturnMethod
from shared import clock
from shared.exports import Table

# the actor of the entries processing's events log (Dossier.follow): its note names the department
PROCESSING = "processing"
RESULTS = {DossierStatus.RESULT_READY: "Có kết quả", DossierStatus.REJECTED: "Dừng xử lý"}
TRAIL = (DossierStatus.IN_PROGRESS, *RESULTS)  # the entries the book reads
CHANNELS = {Channel.ONLINE: "Nộp trực tuyến", Channel.POSTAL: "Nộp qua bưu chính công ích"}
POSTAL_RETURN = {
    None: "Trả kết quả qua bưu chính",
    PostalStatus.SHIPPED: "Trả kết quả qua bưu chính: đang chuyển phát",
    PostalStatus.DELIVERY_FAILED: "Trả kết quả qua bưu chính: phát không thành công",
    PostalStatus.RETURNED_TO_COUNTER: "Bưu chính chuyển trả kết quả về Bộ phận Một cửa",
    PostalStatus.DELIVERED: "Trả kết quả qua bưu chính: đã phát",
}

# the columns of the form, in its order
COLUMNS = (
    ("number", "STT"),
    ("code", "Mã hồ sơ"),
    ("procedure", "Tên thủ tục hành chính"),
    ("sets", "Số lượng hồ sơ (bộ)"),
    ("applicant_name", "Tên cá nhân, tổ chức"),
    ("address", "Địa chỉ"),
    ("phone", "Số điện thoại"),
    ("department", "Cơ quan chủ trì giải quyết"),
    ("received_at", "Nhận hồ sơ"),
    ("due_at", "Hẹn trả kết quả"),
    ("transferred_at", "Chuyển hồ sơ đến cơ quan giải quyết"),
    ("result_at", "Trả kết quả: thời điểm"),
    ("result", "Trả kết quả: kết quả"),
    ("returned_at", "Ngày trả"),
    ("notes", "Ghi chú"),
)
TITLE = "SỔ THEO DÕI HỒ SƠ"

_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(pages.TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


@dataclass(frozen=True)
class Entry:
    """An entry of a dossier's audit trail, as the book reads it."""

    status: str
    at: datetime
    actor: str
    note: str


def scoped_agency(claims: Mapping[str, Any], asked: str | None) -> str | None:
    """The agency a report covers: a counter's own, whatever it asks (none configured:
    an agency nobody has); an administrator's choice, None for every agency."""
    if claims.get("role") == "admin":
        return asked
    return claims.get("agency") or ""


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """The days from `start` to `end`, both included, in Vietnam's time: from the first
    midnight to the one after the last day."""
    return datetime.combine(start, time(0), clock.TZ), datetime.combine(end + timedelta(days=1), time(0), clock.TZ)


def notes(dossier: Mapping[str, Any]) -> list[str]:
    """The book's remarks on a dossier: how it came in (other than at the counter), a
    withdrawal with its reason, a new appointment, lateness, a return by post."""
    said = []
    if dossier["channel"] in CHANNELS:
        said.append(CHANNELS[dossier["channel"]])
    if dossier["status"] == DossierStatus.WITHDRAWN:
        said.append(f"Rút hồ sơ: {dossier['closing_reason']}" if dossier["closing_reason"] else "Rút hồ sơ")
    if dossier["rescheduled"]:
        said.append("Hẹn lại")
    if dossier["overdue"]:
        said.append("Quá hạn")
    if dossier["return_method"] == ReturnMethod.POSTAL:
        said.append(POSTAL_RETURN[dossier["postal_status"]])
    return said


def book_row(number: int, dossier: Mapping[str, Any], trail: Sequence[Entry]) -> dict[str, Any]:
    """Line `number` of the book: the dossier's columns (with its procedure's `procedure_name`
    and `route`) and its trail entries of TRAIL, oldest first. Handed to processing at its
    first in_progress entry; the department in charge is the one processing started it
    in (that entry's note), else the first step of the procedure's route; the result
    is the latest decision (a result, or a rejection)."""
    transferred = next((e for e in trail if e.status == DossierStatus.IN_PROGRESS), None)
    started = next((e for e in trail if e.status == DossierStatus.IN_PROGRESS and e.actor == PROCESSING), None)
    route = dossier["route"] or []
    department = (started.note if started else "") or (route[0]["department"] if route else "")
    decided = [e for e in trail if e.status in RESULTS]
    result = decided[-1] if decided else None
    return {
        "number": number,
        "code": dossier["code"],
        "procedure_code": dossier["procedure_code"],
        "procedure": dossier["procedure_name"],
        "sets": dossier["sets"],
        "applicant_name": dossier["applicant_name"],
        "address": dossier["address"] or "",
        "phone": dossier["phone"] or "",
        "department": department,
        "received_at": dossier["received_at"],
        "due_at": dossier["due_at"],
        "transferred_at": transferred.at if transferred else None,
        "result_at": result.at if result else None,
        "result": RESULTS[DossierStatus(result.status)] if result else "",
        "returned_at": dossier["returned_at"],
        "notes": notes(dossier),
    }


def book(session: Session, agency: str | None, start: date, end: date) -> list[dict[str, Any]]:
    """The book's lines: the dossiers of `agency` (None: every agency) received from
    `start` to `end` (days in Vietnam's time), oldest first."""
    d, p, h = orm.dossiers, orm.procedures, orm.dossier_history
    first, after = period(start, end)
    where = [d.c.received_at >= first, d.c.received_at < after]
    if agency is not None:
        where.append(d.c.agency_code == agency)
    dossiers = (
        session.execute(
            sa.select(
                d.c.code,
                d.c.procedure_code,
                p.c.name.label("procedure_name"),
                p.c.route,
                d.c.sets,
                d.c.applicant_name,
                d.c.address,
                d.c.phone,
                d.c.channel,
                d.c.status,
                d.c.closing_reason,
                d.c.received_at,
                d.c.due_at,
                d.c.returned_at,
                d.c.rescheduled,
                d.c.overdue,
                d.c.return_method,
                d.c.postal_status,
            )
            .join(p, p.c.id == d.c.procedure_id)
            .where(*where)
            .order_by(d.c.received_at, d.c.code)
        )
        .mappings()
        .all()
    )
    trails: dict[str, list[Entry]] = {}
    entries = session.execute(
        sa.select(h.c.dossier_code, h.c.status, h.c.at, h.c.actor, h.c.note)
        .where(h.c.dossier_code.in_(sa.select(d.c.code).where(*where)), h.c.status.in_(TRAIL))
        .order_by(h.c.at, h.c.id)
    )
    for code, status, at, actor, note in entries:
        trails.setdefault(code, []).append(Entry(status, at, actor, note or ""))
    return [book_row(number, dict(row), trails.get(row["code"], ())) for number, row in enumerate(dossiers, 1)]


def agency_named(session: Session, code: str | None) -> Agency | None:
    """The agency the book is of (its configured name, else its code); None: every agency."""
    if code is None:
        return None
    return session.get(Agency, code) or Agency.unconfigured(code)


def table(rows: Sequence[Mapping[str, Any]]) -> Table:
    return Table(title="Sổ theo dõi hồ sơ", columns=COLUMNS, rows=rows)


def _moment(value: datetime | None) -> str:
    return clock.local(value).strftime("%H:%M %d/%m/%Y") if value else ""


def page(rows: Sequence[Mapping[str, Any]], agency: Agency | None, start: date, end: date, now: datetime) -> str:
    """The book as a printable page (A4 landscape)."""
    return _PAGES.get_template("book.html").render(
        title=TITLE,
        rows=rows,
        agency=agency,
        start=start,
        end=end,
        day=clock.local(now),
        moment=_moment,
        print_script=pages.PRINT_SCRIPT,
    )
