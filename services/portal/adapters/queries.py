"""The connector's reads for its screens and its API."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.portal.adapters.orm import arrivals, catalogue_pulls, statuses
from services.portal.domain.model import Arrival, ArrivalState, StatusRecord
from shared import national_portal


def _moment(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def status_view(record: StatusRecord) -> dict[str, Any]:
    return {
        "status_id": record.status_id,
        "dossier_key": record.dossier_key,
        "seq": record.seq,
        "number": record.number,
        "name": national_portal.NUMBERS[record.number],
        "status": record.status,
        "dossier_code": record.dossier_code,
        "changed_at": _moment(record.changed_at),
        "sent_at": _moment(record.sent_at),
        "attempts": record.attempts,
        "next_try_at": _moment(record.next_try_at),
        "last_error": record.last_error,
        "parked_at": _moment(record.parked_at),
    }


def records_of(session: Session, code: str) -> list[StatusRecord]:
    """Every record of the dossier a code, reference or portal number names, in seq order."""
    key = session.scalar(
        sa.select(statuses.c.dossier_key)
        .where(
            sa.or_(
                statuses.c.dossier_key == code,
                statuses.c.dossier_code == code,
                statuses.c.portal_reference == code,
            )
        )
        .limit(1)
    )
    if key is None:
        return []
    return list(session.scalars(sa.select(StatusRecord).where(statuses.c.dossier_key == key).order_by(statuses.c.seq)))


def arrival_view(arrival: Arrival) -> dict[str, Any]:
    applicant = arrival.dossier.get("applicant") or {}
    return {
        "portal_reference": arrival.portal_reference,
        "via": arrival.via,
        "state": arrival.state,
        "reference": arrival.reference,
        "arrived_at": _moment(arrival.arrived_at),
        "files": len(arrival.dossier.get("files") or []),
        "files_done": len(arrival.files_done or []),
        "attempts": arrival.attempts,
        "last_error": arrival.last_error,
        "applicant": applicant.get("full_name") or applicant.get("name"),
        "procedure_code": arrival.dossier.get("procedure_code"),
    }


def pulls(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(catalogue_pulls)
        .order_by(catalogue_pulls.c.pulled_at.desc(), catalogue_pulls.c.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "pulled_at": _moment(row.pulled_at),
            "by": row.by,
            "dry_run": row.dry_run,
            "outcome": row.outcome,
            "report": row.report,
        }
        for row in rows
    ]


def status_counts(session: Session) -> dict[str, Any]:
    """The ledger's statuses owed (not sent, not parked), sent and parked, and the last sent."""
    counts = session.execute(
        sa.select(
            sa.func.count().filter(statuses.c.sent_at.is_(None), statuses.c.parked_at.is_(None)),
            sa.func.count().filter(statuses.c.sent_at.is_not(None)),
            sa.func.count().filter(statuses.c.parked_at.is_not(None), statuses.c.sent_at.is_(None)),
            sa.func.max(statuses.c.sent_at),
        )
    ).one()
    return {"owed": counts[0], "sent": counts[1], "parked": counts[2], "last_sent_at": _moment(counts[3])}


def arrival_states(session: Session) -> dict[str, int]:
    rows = session.execute(sa.select(arrivals.c.state, sa.func.count()).group_by(arrivals.c.state)).all()
    return {state: n for state, n in rows}


def overview(session: Session) -> dict[str, Any]:
    """How far the portal is from the register: owed, sent, parked; the dossiers in."""
    states = arrival_states(session)
    parked = session.scalars(
        sa.select(StatusRecord)
        .where(statuses.c.parked_at.is_not(None), statuses.c.sent_at.is_(None))
        .order_by(statuses.c.parked_at)
        .limit(100)
    )
    latest = session.scalars(sa.select(Arrival).order_by(arrivals.c.arrived_at.desc()).limit(50))
    last = pulls(session, 1)
    return {
        "statuses": status_counts(session),
        "arrivals": {
            "waiting": states.get(ArrivalState.NEW, 0) + states.get(ArrivalState.SUBMITTED, 0),
            "done": states.get(ArrivalState.DONE, 0),
            "refused": states.get(ArrivalState.REFUSED, 0),
        },
        "parked": [status_view(r) for r in parked],
        "arrivals_latest": [arrival_view(a) for a in latest],
        "last_pull": last[0] if last else None,
    }
