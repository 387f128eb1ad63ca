"""intake's read side: views and listings answered straight from its tables (the
shapes are documented in answers.py: keep them in step)."""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import holidays
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.intake.adapters import orm
from services.intake.domain import fees, policies
from services.intake.domain.errors import DossierNotFound, FileNotFound, FormNotAvailable, NotReceived
from services.intake.domain.model import (
    OPEN_STATUSES,
    Agency,
    CalendarOverride,
    Dossier,
    DossierFile,
    FileKind,
    PostalStatus,
    ProcedureVersion,
    ReturnMethod,
    Transition,
    portal_number,
)
from shared import calendar_store, logs, scope
from shared.calendar import WorkingCalendar

# --- the register ------------------------------------------------------------------------


def by_code_or_reference(code: str) -> sa.ColumnElement[bool]:
    """Every dossier URL takes the code or the submission reference (CONTRACT
    "Submission references and codes"): until reception `code` holds the reference."""
    return sa.or_(orm.dossiers.c.code == code, orm.dossiers.c.reference == code)


def readable_dossier(session: Session, code: str, claims: dict[str, Any], departments: Sequence[str] = ()) -> Dossier:
    """The dossier (by code or reference) when the reader's scope covers it
    (shared.scope: its agency, as stored, so a reference is scoped too), else the same
    404 as for a code that does not exist: a crawl of sequential codes learns nothing."""
    dossier = session.scalars(sa.select(Dossier).where(by_code_or_reference(code))).first()
    if dossier is None or not scope.allowed(claims, dossier.agency_code, departments):
        raise DossierNotFound(scope.dossier_not_found(code))
    return dossier


def dossier_view(session: Session, dossier: Dossier) -> dict[str, Any]:
    history = session.scalars(
        sa.select(Transition)
        .where(orm.dossier_history.c.dossier_code == dossier.code)
        .order_by(orm.dossier_history.c.at, orm.dossier_history.c.id)
    ).all()
    return {
        "code": dossier.legal_code,
        "reference": dossier.reference,
        "portal_reference": dossier.portal_reference,
        "agency_code": dossier.agency_code,
        "status": dossier.status,
        "status_number": portal_number(dossier.status),
        "channel": dossier.channel,
        "procedure": {"code": dossier.procedure_code, "version": dossier.procedure_version},
        "applicant": applicant_view(dossier),
        "sets": dossier.sets,
        "documents": dossier.documents,
        "submitted_at": dossier.submitted_at,
        "handed_over_at": dossier.handed_over_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "returned_at": dossier.returned_at,
        "return_method": dossier.return_method,
        "outcome": dossier.outcome,
        "reason": dossier.closing_reason,
        "flags": {
            "overdue": dossier.overdue,
            "rescheduled": dossier.rescheduled,
            "return_method": dossier.return_method,
            "postal_status": dossier.postal_status,
        },
        "history": [{"status": h.status, "at": h.at, "actor": h.actor, "note": h.note} for h in history],
        "forms": printable_forms(dossier),
        "files": [file_view(f) for f in dossier.files if f.kind != FileKind.RESULT],
        "result_file": file_view(dossier.result_file) if dossier.result_file is not None else None,
        "fee_exemption": exemption_view(session, dossier),
        "payments": dossier.payments or {},
    }


def exemption_view(session: Session, dossier: Dossier) -> dict[str, Any] | None:
    """The applicant's exemption as submitted, with its category's name and the items it
    waives (domain/fees.py: the lệ phí, at their full amounts). The procedure is read
    only for an exempted dossier: every dossier view passes here."""
    if not dossier.fee_exemption:
        return None
    code = dossier.fee_exemption["code"]
    schedule = procedure_of(session, dossier).fee_schedule()
    names = {e.code: e.name for e in schedule.exemptions}
    return {
        **dossier.fee_exemption,
        "name": names.get(code, code),
        "waived": [{"name": i.name, "amount": i.amount, "kind": i.kind} for i in fees.waived(schedule, code)],
    }


# --- files ------------------------------------------------------------------


def file_view(file: DossierFile) -> dict[str, Any]:
    """A file of a dossier as the upload answers it and the dossier view lists it."""
    return {
        "id": file.id,
        "document": file.document,
        "name": file.name,
        "type": file.media_type,
        "size": file.size,
        "sha256": file.sha256,
        "uploaded_at": file.uploaded_at,
        "uploaded_by": file.uploaded_by,
    }


def dossier_file(session: Session, file_id: str) -> DossierFile:
    """A file by its id (its dossier_code is the dossier's key now); 404 when none."""
    found = session.get(DossierFile, file_id)
    if found is None:
        raise FileNotFound(f"Không tìm thấy tệp {file_id}")
    return found


def referenced(session: Session, candidates: Sequence[str]) -> set[str]:
    """Which of these SHA-256s a dossier's file refers to: what the sweep keeps."""
    table = orm.dossier_files
    return set(session.scalars(sa.select(table.c.sha256).where(table.c.sha256.in_(list(candidates))).distinct()))


def printable_forms(dossier: Dossier) -> list[str]:
    """The printable forms the dossier has now (the rules of its /receipt and /forms/NN
    routes): 01 once received, 02 once asked to be completed, 03 once refused."""
    forms = []
    try:
        dossier.require_received()
        forms.append("01")
    except NotReceived:
        pass
    for form in ("02", "03"):
        try:
            dossier.require_form(form)
            forms.append(form)
        except FormNotAvailable:
            pass
    return forms


# --- the register's search (adapters/register.py) -------------------------------------------


def folded(text: str | None) -> str:
    """A name as the search compares it: no case, no accents, đ as d, single spaces
    (dossiers.applicant_folded holds the applicant's)."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _person_view(person: dict[str, Any]) -> dict[str, Any]:
    """An applicant as submitted (a representative, the one acted for), identity
    numbers of persons masked [Decree 13/2023/NĐ-CP]; an enterprise code is public."""
    view = {k: v for k, v in person.items() if k not in ("phone", "email", "address")}
    for name in ("id_number", "passport_number"):
        if view.get(name):
            view[name] = logs.mask_id(view[name])
    if isinstance(view.get("representative"), dict):
        view["representative"] = _person_view(view["representative"])
    return view


def applicant_view(dossier: Dossier) -> dict[str, Any]:
    """Who filed the dossier: `full_name` is the display name for every kind (a
    person's full name, an organisation's name), as before issue 13; ID and passport
    numbers masked, the enterprise code in full."""
    view: dict[str, Any] = {
        "kind": dossier.applicant_kind,
        "full_name": dossier.applicant_name,
        "id_number": logs.mask_id(dossier.id_number) if dossier.id_number else None,
    }
    if dossier.applicant_kind == "organisation":
        view.update(
            name=dossier.applicant_name,
            organisation_code=dossier.organisation_code,
            representative=_person_view(dossier.representative or {}),
        )
    elif dossier.applicant_kind == "foreigner":
        view.update(passport_number=logs.mask_id(dossier.passport_number), nationality=dossier.nationality)
    if dossier.on_behalf_of:
        view.update(on_behalf_of=_person_view(dossier.on_behalf_of), authorisation=dossier.authorisation)
    return view


def submission_answer(dossier: Dossier, procedure: ProcedureVersion) -> dict[str, Any]:
    """A counter dossier answers its code; an online or postal submission its reference
    and no code (CONTRACT "Submission references and codes")."""
    if dossier.legal_code is None:
        return {
            "reference": dossier.reference,
            "status": dossier.status,
            "received_at": None,
            "due_at": None,
            "procedure": {"code": procedure.code, "name": procedure.name, "version": procedure.version},
        }
    return {
        "code": dossier.code,
        "status": dossier.status,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "procedure": {"code": procedure.code, "name": procedure.name, "version": procedure.version},
    }


def agency_of(session: Session, dossier: Dossier) -> Agency:
    """The receiving agency's configuration, or its code standing for its name."""
    return session.get(Agency, dossier.agency_code) or Agency.unconfigured(dossier.agency_code)


def last_transition(session: Session, dossier: Dossier, status: str) -> Transition | None:
    """The latest entry of the audit trail into `status` (who refused, and when)."""
    return session.scalars(
        sa.select(Transition)
        .where(orm.dossier_history.c.dossier_code == dossier.code, orm.dossier_history.c.status == status)
        .order_by(orm.dossier_history.c.at.desc(), orm.dossier_history.c.id.desc())
    ).first()


def agencies(session: Session) -> list[dict[str, Any]]:
    return [
        {"code": a.code, "name": a.name, "address": a.address, "place": a.place, "head_title": a.head_title}
        for a in session.scalars(sa.select(Agency).order_by(orm.agencies.c.code))
    ]


def procedure_of(session: Session, dossier: Dossier) -> ProcedureVersion:
    procedure = session.get(ProcedureVersion, dossier.procedure_id)
    assert procedure is not None  # a foreign key
    return procedure


# --- the catalogue ---------------------------------------------------------------------


def versions_of(session: Session, code: str) -> list[ProcedureVersion]:
    return list(
        session.scalars(
            sa.select(ProcedureVersion).where(orm.procedures.c.code == code).order_by(orm.procedures.c.effective_from)
        )
    )


def listed_on(session: Session, day: date) -> list[ProcedureVersion]:
    """Every procedure version in effect on `day`, by code."""
    table = orm.procedures
    return list(
        session.scalars(
            sa.select(ProcedureVersion)
            .where(table.c.effective_from <= day, sa.or_(table.c.effective_to.is_(None), table.c.effective_to >= day))
            .order_by(table.c.code)
        )
    )


def procedure_view(version: ProcedureVersion) -> dict[str, Any]:
    return {
        "code": version.code,
        "version": version.version,
        "name": version.name,
        "field": version.field,
        "level": version.level,
        "online_service": version.online_service,
        "agency_code": version.agency_code,
        "duration_days": version.duration_days,
        "route": version.route,
        "fee": version.fee,  # the total of `fees`, for the screens that show one amount
        "fees": version.fees,
        "fee_exemptions": version.fee_exemptions,
        "documents": version.documents,
        "return_methods": version.return_methods,
        "supplement_clock": version.supplement_clock,
        "cutoff": version.cutoff,
        "effective_from": version.effective_from,
        "effective_to": version.effective_to,
        "legal_basis": version.legal_basis,
        "postal_reception": version.postal_reception,
    }


# --- the calendar ----------------------------------------------------------------------


def override_view(override: CalendarOverride) -> dict[str, Any]:
    return {
        "day": override.day,
        "kind": override.kind,
        "note": override.note,
        "set_by": override.set_by,
        "set_at": override.set_at,
    }


def calendar_overrides(session: Session) -> dict[str, Any]:
    version = session.scalar(sa.select(calendar_store.calendar_snapshot.c.version)) or 0
    overrides = session.scalars(sa.select(CalendarOverride).order_by(orm.calendar_overrides.c.day)).all()
    return {"version": version, "overrides": [override_view(o) for o in overrides]}


WEEKEND_WORDS = {5: "Thứ Bảy", 6: "Chủ nhật"}
_MAKEUP = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def year_days(calendar: WorkingCalendar, overrides: Sequence[CalendarOverride], year: int) -> dict[str, Any]:
    """The year as the appointments count it (shared.calendar): each day off with why
    (an administrator's override, a public holiday of the `holidays` package, the
    weekend) and each weekend day that is worked (an override, or a make-up day the
    government swapped for a day off), with the number of working days."""
    noted = {o.day: o for o in overrides if o.day.year == year}
    named = holidays.VN(years=year, language="vi")
    makeup: dict[date, date] = {}  # the Saturday worked -> the day off it pays for
    for day_off, name in holidays.VN(years=year, language="en_US").items():
        for month, day, y in _MAKEUP.findall(name):
            makeup[date(int(y), int(month), int(day))] = day_off
    days_off, weekend_working, working = [], [], 0
    day = date(year, 1, 1)
    while day.year == year:
        override = noted.get(day)
        note = f": {override.note}" if override is not None and override.note else ""
        if not calendar.is_working_day(day):
            if override is not None and override.kind == "day_off":
                days_off.append({"day": day, "kind": "override", "reason": "Nghỉ thêm" + note})
            elif day in named:
                days_off.append({"day": day, "kind": "holiday", "reason": named[day]})
            else:
                weekend = WEEKEND_WORDS.get(day.weekday(), "Ngày nghỉ")
                days_off.append({"day": day, "kind": "weekend", "reason": weekend})
        else:
            working += 1
            if day.weekday() >= 5:
                if override is not None and override.kind == "working_day":
                    weekend_working.append({"day": day, "kind": "override", "reason": "Làm bù" + note})
                else:
                    paid = makeup.get(day)
                    reason = f"Làm bù cho ngày nghỉ {paid:%d/%m/%Y}" if paid else "Ngày làm việc"
                    weekend_working.append({"day": day, "kind": "makeup", "reason": reason})
        day += timedelta(days=1)
    return {"year": year, "working_days": working, "days_off": days_off, "weekend_working_days": weekend_working}


def calendar_days(session: Session, year: int) -> dict[str, Any]:
    """GET /api/calendar/days: year_days on the calendar appointments are counted on
    (the stored snapshot) with the overrides' notes, under the overrides' version."""
    version = session.scalar(sa.select(calendar_store.calendar_snapshot.c.version)) or 0
    overrides = session.scalars(sa.select(CalendarOverride).order_by(orm.calendar_overrides.c.day)).all()
    return {**year_days(calendar_store.load(session), overrides, year), "version": version}


# --- the citizen's lookup (tra cứu hồ sơ) -------------------------------------------------

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
LOOKUP_NOT_FOUND = "Không tìm thấy hồ sơ với mã hồ sơ và số giấy tờ (CCCD, mã số doanh nghiệp hoặc số hộ chiếu) đã nhập"
LOOKUP_FIELDS = ("id_number", "organisation_code", "passport_number")


def filed_identifiers(dossier: Dossier, field: str) -> list[str]:
    """The values of `field` (id_number, organisation_code, passport_number) the
    dossier was filed with: the applicant's, and that of the one acted for."""
    values = [getattr(dossier, field, None)]
    if dossier.on_behalf_of:
        values.append(dossier.on_behalf_of.get(field))
    return [v for v in values if v]


def lookup(session: Session, code: str, field: str, value: str) -> dict[str, Any]:
    """The citizen's view: the dossier code (or reference) and the identifier it was
    filed with (`field`: id_number, organisation_code or passport_number), or the same
    404 whether the code exists or not. Never the identifier or an address."""
    dossier, procedure_name, online_service = _looked_up(session, code, field, value)
    return {
        **citizen_steps(session, dossier),
        "code": dossier.legal_code,
        "reference": dossier.reference,
        "procedure": procedure_name,
        "status": dossier.status,
        "status_label": STATUS_LABELS[dossier.status],
        "received_at": dossier.received_at,
        "appointment": dossier.due_at,
        "returned_at": dossier.returned_at,
        "overdue": dossier.overdue,
        "rescheduled": dossier.rescheduled,
        "collect": collect(dossier),
        "result_download": dossier.result_downloadable(policies.returns_electronically(online_service)),
        "payment_due": payment_due(dossier, online_service),
    }


def payment_due(dossier: Dossier, online_service: str) -> dict[str, Any] | None:
    """What the citizen owes now, if anything (open dossiers only), and whether it may
    be paid online."""
    owed = dossier.payment_due() if dossier.status in OPEN_STATUSES else None
    if owed is None:
        return None
    return {
        "stage": owed["stage"],
        "amount": owed["amount"],
        "pay_by": owed["pay_by"],
        "online": policies.accepts_online(online_service),
    }


def _looked_up(session: Session, code: str, field: str, value: str) -> tuple[Dossier, str, str]:
    """The dossier the citizen names with its code (or reference) and identifier, with
    its procedure's name and online service level; the same 404 otherwise."""
    if not code or not value or field not in LOOKUP_FIELDS:
        raise DossierNotFound(LOOKUP_NOT_FOUND)
    row = session.execute(
        sa.select(Dossier, orm.procedures.c.name, orm.procedures.c.online_service)
        .join(orm.procedures, orm.procedures.c.id == orm.dossiers.c.procedure_id)
        .where(by_code_or_reference(code))
    ).first()
    # Compare even when there is no dossier, so timing does not tell whether a code exists.
    expected = (filed_identifiers(row[0], field) if row else None) or ["x" * 12]
    matches = [hmac.compare_digest(e.encode(), value.encode()) for e in expected]
    if not any(matches) or row is None:
        raise DossierNotFound(LOOKUP_NOT_FOUND)
    return row[0], row[1], str(row[2])


def lookup_result(session: Session, code: str, field: str, value: str) -> DossierFile | None:
    """The electronic result the citizen may download (Dossier.result_downloadable), by
    the lookup's code and identifier: the lookup's own 404 for a wrong code or
    identifier (counted by the lookup's limits), None when the dossier has no result
    to download (the caller answers the same 404, not counted as a wrong guess)."""
    dossier, _, online_service = _looked_up(session, code, field, value)
    if not dossier.result_downloadable(policies.returns_electronically(online_service)):
        return None
    return dossier.result_file


def citizen_steps(session: Session, dossier: Dossier) -> dict[str, Any]:
    """What the citizen's timeline shows: each status with its time (never the actor
    or the note), and the receiving agency's public name and office address."""
    history = session.execute(
        sa.select(orm.dossier_history.c.status, orm.dossier_history.c.at)
        .where(orm.dossier_history.c.dossier_code == dossier.code)
        .order_by(orm.dossier_history.c.at, orm.dossier_history.c.id)
    ).all()
    agency = session.get(Agency, dossier.agency_code)
    return {
        "steps": [{"status": str(status), "at": at} for status, at in history],
        "agency": {"code": agency.code, "name": agency.name, "address": agency.address} if agency else None,
    }


def collect(dossier: Dossier) -> dict[str, str]:
    """Where the citizen gets the result (never the address itself)."""
    if dossier.return_method == ReturnMethod.POSTAL and dossier.postal_status != PostalStatus.RETURNED_TO_COUNTER:
        return {"method": "postal", "where": "Bưu chính chuyển đến địa chỉ đã đăng ký"}
    return {"method": "counter", "where": f"Bộ phận Một cửa, cơ quan {dossier.agency_code}"}
