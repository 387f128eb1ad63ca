"""The procedure catalogue: which version of a procedure is in effect on a day."""
import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from shared.http import ApiError
from services.intake.models import Procedure

DEMO_FILE = Path(__file__).parent / "catalog" / "demo.json"


def in_effect(session, code, day):
    """The version of `code` in effect on `day`; 422 saying why when there is none."""
    versions = session.scalars(sa.select(Procedure).where(Procedure.code == code)
                               .order_by(Procedure.effective_from)).all()
    if not versions:
        raise ApiError(422, "unknown_procedure", f"Thủ tục {code} không có trong danh mục",
                       {"procedure_code": ["Không có trong danh mục thủ tục"]})
    for version in versions:
        if version.effective_from <= day and (version.effective_to is None or day <= version.effective_to):
            return version
    if day < versions[0].effective_from:
        raise ApiError(422, "procedure_not_yet_effective",
                       f"Thủ tục {code} chỉ có hiệu lực từ {versions[0].effective_from:%d/%m/%Y}",
                       {"procedure_code": ["Chưa có hiệu lực"]})
    raise ApiError(422, "procedure_expired", f"Thủ tục {code} đã hết hiệu lực",
                   {"procedure_code": ["Đã hết hiệu lực"]})


def seed_demo(session):
    """Load the illustrative catalogue into an empty database (local quick start)."""
    if session.scalar(sa.select(sa.func.count()).select_from(Procedure)):
        return 0
    entries = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["procedures"]
    for entry in entries:
        session.add(Procedure(
            code=entry["code"], version=1, name=entry["name"], field=entry["field"], level=entry["level"],
            agency_code=entry["agency_code"], duration_days=entry["duration_days"], route=entry["route"],
            fee=entry["fee"], documents=entry["documents"], return_methods=entry["return_methods"],
            supplement_clock=entry["supplement_clock"], cutoff=entry["cutoff"],
            effective_from=date.fromisoformat(entry["effective_from"]),
            effective_to=date.fromisoformat(entry["effective_to"]) if entry["effective_to"] else None,
            legal_basis=entry["legal_basis"]))
    return len(entries)
