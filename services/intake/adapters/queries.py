"""intake's read side: views and listings answered straight from its tables (the
shapes are documented in answers.py: keep them in step)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.intake.adapters import orm
from services.intake.domain.errors import DossierNotFound
from services.intake.domain.model import (
    Agency,
    CalendarOverride,
    Dossier,
    PostalStatus,
    ProcedureVersion,
    ReturnMethod,
    Transition,
    portal_number,
)
from shared import calendar_store, logs, scope

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
    }


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
        "fee": version.fee,
        "documents": version.documents,
        "return_methods": version.return_methods,
        "supplement_clock": version.supplement_clock,
        "cutoff": version.cutoff,
        "effective_from": version.effective_from,
        "effective_to": version.effective_to,
        "legal_basis": version.legal_basis,
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
    if not code or not value or field not in LOOKUP_FIELDS:
        raise DossierNotFound(LOOKUP_NOT_FOUND)
    row = session.execute(
        sa.select(Dossier, orm.procedures.c.name)
        .join(orm.procedures, orm.procedures.c.id == orm.dossiers.c.procedure_id)
        .where(by_code_or_reference(code))
    ).first()
    # Compare even when there is no dossier, so timing does not tell whether a code exists.
    expected = (filed_identifiers(row[0], field) if row else None) or ["x" * 12]
    matches = [hmac.compare_digest(e.encode(), value.encode()) for e in expected]
    if not any(matches) or row is None:
        raise DossierNotFound(LOOKUP_NOT_FOUND)
    dossier, procedure_name = row[0], row[1]
    return {
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
    }


def collect(dossier: Dossier) -> dict[str, str]:
    """Where the citizen gets the result (never the address itself)."""
    if dossier.return_method == ReturnMethod.POSTAL and dossier.postal_status != PostalStatus.RETURNED_TO_COUNTER:
        return {"method": "postal", "where": "Bưu chính chuyển đến địa chỉ đã đăng ký"}
    return {"method": "counter", "where": f"Bộ phận Một cửa, cơ quan {dossier.agency_code}"}
