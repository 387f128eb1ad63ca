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


def readable_dossier(session: Session, code: str, claims: dict[str, Any], departments: Sequence[str] = ()) -> Dossier:
    """The dossier when the reader's scope covers it (shared.scope), else the same
    404 as for a code that does not exist: a crawl of sequential codes learns nothing."""
    dossier = session.scalars(sa.select(Dossier).where(orm.dossiers.c.code == code)).first()
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
        "code": dossier.code,
        "agency_code": dossier.agency_code,
        "status": dossier.status,
        "status_number": portal_number(dossier.status),
        "channel": dossier.channel,
        "procedure": {"code": dossier.procedure_code, "version": dossier.procedure_version},
        "applicant": {"full_name": dossier.applicant_name, "id_number": logs.mask_id(dossier.id_number)},
        "documents": dossier.documents,
        "submitted_at": dossier.submitted_at,
        "handed_over_at": dossier.handed_over_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "returned_at": dossier.returned_at,
        "return_method": dossier.return_method,
        "reason": dossier.closing_reason,
        "flags": {
            "overdue": dossier.overdue,
            "rescheduled": dossier.rescheduled,
            "return_method": dossier.return_method,
            "postal_status": dossier.postal_status,
        },
        "history": [{"status": h.status, "at": h.at, "actor": h.actor, "note": h.note} for h in history],
    }


def submission_answer(dossier: Dossier, procedure: ProcedureVersion) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "status": dossier.status,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "procedure": {"code": procedure.code, "name": procedure.name, "version": procedure.version},
    }


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
LOOKUP_NOT_FOUND = "Không tìm thấy hồ sơ với mã hồ sơ và số CCCD đã nhập"


def lookup(session: Session, code: str, id_number: str) -> dict[str, Any]:
    """The citizen's view: the dossier code and the ID number together, or the same
    404 whether the code exists or not. Never the ID number or an address."""
    if not code or not id_number:
        raise DossierNotFound(LOOKUP_NOT_FOUND)
    row = session.execute(
        sa.select(Dossier, orm.procedures.c.name)
        .join(orm.procedures, orm.procedures.c.id == orm.dossiers.c.procedure_id)
        .where(orm.dossiers.c.code == code)
    ).first()
    # Compare even when there is no dossier, so timing does not tell whether a code exists.
    expected = row[0].id_number if row else "x" * 12
    if not hmac.compare_digest(expected.encode(), id_number.encode()) or row is None:
        raise DossierNotFound(LOOKUP_NOT_FOUND)
    dossier, procedure_name = row[0], row[1]
    return {
        "code": dossier.code,
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
