"""The register's search (GET /api/dossiers): the dossiers in the reader's scope
(shared.scope's rule, as a query), filtered, newest submission first, a page at a time.

Pages are keyset pages: the cursor names the last dossier shown (its submission time
and code) and the next page starts after it, so a deep page costs what the first does
and a dossier registered meanwhile neither repeats a row nor hides one."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.intake.adapters import orm
from services.intake.adapters.queries import folded
from shared import clock

LIMIT, MAX = 50, 200

Position = tuple[datetime, str]  # (submitted_at, code) of the last dossier of a page


def cursor(position: Position) -> str:
    """The opaque `next` of a page: where the following page starts."""
    submitted_at, code = position
    raw = json.dumps([submitted_at.isoformat(), code], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def position(text: str) -> Position:
    """The position a cursor names; ValueError when it is not one this module made."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        submitted_at, code = json.loads(raw)
        moment = datetime.fromisoformat(submitted_at)
    except (binascii.Error, UnicodeDecodeError, TypeError, ValueError) as exc:
        raise ValueError("not a cursor") from exc
    if moment.tzinfo is None or not isinstance(code, str) or not 0 < len(code) <= 40:
        raise ValueError("not a cursor")
    return moment, code


def search(
    session: Session,
    claims: dict[str, Any],
    *,
    status: str | None = None,
    procedure: str | None = None,
    field: str | None = None,
    channel: str | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    received_on: date | None = None,
    due_before: date | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    limit: int = LIMIT,
    after: Position | None = None,
) -> dict[str, Any]:
    """A page of the register in the reader's scope: {"dossiers": [...], "next": a
    cursor, or None on the last page}. Days are Vietnam's; a day of reception is the
    submission's for a dossier not received; `q` is exactly a code, reference, portal
    number or identifier, or a part of the applicant's name without case or accents."""
    table = orm.dossiers
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:  # a page reads a few rows: parallel workers would only add their start (and stall merges)
        session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
    source, newest, where = _in_scope(claims)
    if status:
        where.append(table.c.status == status)
    if procedure:
        where.append(table.c.procedure_code == procedure)
    if field:  # the catalogue is small: its ids, rather than a join the planner misjudges
        ids = session.scalars(sa.select(orm.procedures.c.id).where(orm.procedures.c.field == field)).all()
        where.append(table.c.procedure_id.in_(ids))
    if channel:
        where.append(table.c.channel == channel)
    firsts = [d for d in (received_from, received_on) if d is not None]
    lasts = [d for d in (received_to, received_on) if d is not None]
    if firsts or lasts:
        start = _start_of(max(firsts)) if firsts else None
        end = _start_of(min(lasts) + timedelta(days=1)) if lasts else None
        where.append(_registered_within(start, end))
        if postgresql:
            where.extend(_submitted_around(session, newest[0], table.c.received_at, start, end))
    if due_before is not None:
        where.append(table.c.due_at < _start_of(due_before))
        if postgresql:
            where.extend(_submitted_around(session, newest[0], table.c.due_at, None, _start_of(due_before)))
    if overdue is not None:
        where.append(table.c.overdue.is_(overdue))
    if q:
        where.append(_matching(q))
    if after is not None:
        where.append(sa.tuple_(*newest) < after)
    limit = max(1, min(limit, MAX))
    rows = session.execute(
        sa.select(
            table.c.code,
            table.c.reference,
            table.c.status,
            table.c.channel,
            table.c.procedure_id,
            table.c.procedure_code,
            table.c.applicant_name,
            table.c.submitted_at,
            table.c.received_at,
            table.c.due_at,
        )
        .select_from(source)
        .where(*where)
        .order_by(*(column.desc() for column in newest))
        .limit(limit + 1)  # one more tells whether a next page exists
    ).all()
    page = rows[:limit]
    # the names apart: joined in, the catalogue skews the plans of the search
    catalogue = orm.procedures.c
    names: dict[int, str] = dict(
        session.execute(sa.select(catalogue.id, catalogue.name).where(catalogue.id.in_({r.procedure_id for r in page})))
        .tuples()
        .all()
    )
    return {
        "dossiers": [_row(row, names[row.procedure_id]) for row in page],
        "next": cursor((page[-1].submitted_at, page[-1].code)) if len(rows) > limit else None,
    }


def _in_scope(claims: dict[str, Any]) -> tuple[sa.FromClause, tuple[Any, Any], list[Any]]:
    """What the reader may see (shared.scope.allowed): the rows to read, the columns
    (submitted_at, code) they are ordered by, and the conditions. An officer's rows are
    read through its department's entries, in their order (submitted_at is copied there)."""
    table = orm.dossiers
    role = claims.get("role")
    if role == "officer":
        had = orm.dossier_departments
        return (
            table.join(had, had.c.dossier_code == table.c.code),
            (had.c.submitted_at, had.c.dossier_code),
            [had.c.department == (claims.get("department") or "")],
        )
    newest = (table.c.submitted_at, table.c.code)
    if role == "admin":
        return table, newest, []
    if role == "counter":
        return table, newest, [table.c.agency_code == (claims.get("agency") or "")]  # no agency: nothing
    return table, newest, [sa.false()]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), clock.TZ)


def _registered_within(start: datetime | None, end: datetime | None) -> sa.ColumnElement[bool]:
    """Received within [start, end) (either may be open), or not received and submitted then."""
    table = orm.dossiers

    def within(column: Any) -> sa.ColumnElement[bool]:
        return sa.and_(*([column >= start] if start else []), *([column < end] if end else []))

    return sa.or_(within(table.c.received_at), sa.and_(table.c.received_at.is_(None), within(table.c.submitted_at)))


def _submitted_around(
    session: Session, submitted_at: Any, moment: Any, start: datetime | None, end: datetime | None
) -> list[Any]:
    """Bounds on `submitted_at`, the column the rows are read in, for the dossiers
    whose `moment` (received_at, due_at) lies within [start, end) or, not received,
    that were submitted then: without them a month two years back is searched from
    today on. A moment lies from its submission by a gap between the shortest and the
    longest in the register (a postal hand-over, the reception, may precede its
    registration), read at the two ends of its index (ix_dossiers_reception_gap,
    ix_dossiers_appointment_gap)."""
    gap = moment - orm.dossiers.c.submitted_at
    shortest, longest = session.execute(sa.select(sa.func.min(gap), sa.func.max(gap))).one()
    bounds = []
    if start is not None:
        bounds.append(submitted_at >= start - max(longest or timedelta(0), timedelta(0)))
    if end is not None:
        bounds.append(submitted_at < end - min(shortest or timedelta(0), timedelta(0)))
    return bounds


def _matching(q: str) -> sa.ColumnElement[bool]:
    """Exactly the code, reference or national portal number, the ID number, enterprise
    code or passport number as typed (each indexed), or a part of the folded name (its
    trigram index)."""
    table = orm.dossiers
    exactly = sa.or_(
        table.c.code == q,
        table.c.reference == q,
        table.c.portal_reference == q,
        table.c.id_number == q,
        table.c.organisation_code == q.replace("-", ""),
        table.c.passport_number == q.upper(),
    )
    wanted = folded(q)
    return sa.or_(exactly, table.c.applicant_folded.contains(wanted, autoescape=True)) if wanted else exactly


def _row(row: Any, procedure_name: str) -> dict[str, Any]:
    return {
        # until reception `code` holds the reference (CONTRACT "Submission references and codes")
        "code": None if row.reference is not None and row.code == row.reference else row.code,
        "reference": row.reference,
        "status": row.status,
        "channel": row.channel,
        "procedure": {"code": row.procedure_code, "name": procedure_name},
        "applicant_name": row.applicant_name,
        "submitted_at": row.submitted_at,
        "received_at": row.received_at,
        "due_at": row.due_at,
    }
