"""The catalogue report: proof that the catalogue the channels work from is current
(no dossier taken under a version past its last day, nothing expired still offered),
what comes into effect soon, what nobody uses, and the headline counts of online
services [Decree 42/2022/NĐ-CP] and postal reception and return [Decision
45/2016/QĐ-TTg], in all and by agency and field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.intake.adapters import orm, queries
from services.intake.adapters.register_book import period
from services.intake.domain.model import OnlineService, Procedure, ProcedureVersion, ReturnMethod
from shared.exports import Table

SOON_DAYS = 30  # coming into effect within this many days
UNUSED_DAYS = 365  # no dossier submitted in this many days, the report's day the last
HEADLINE = ("in_effect", "online_full", "online_partial", "online_services", "postal_return", "postal_reception")


def counts(versions: Iterable[ProcedureVersion]) -> dict[str, int]:
    """The headline counts of these versions (those in effect on a day)."""
    counted = dict.fromkeys(HEADLINE, 0)
    for v in versions:
        counted["in_effect"] += 1
        counted["online_full"] += v.online_service == OnlineService.FULL
        counted["online_partial"] += v.online_service == OnlineService.PARTIAL
        counted["postal_return"] += ReturnMethod.POSTAL in v.return_methods
        counted["postal_reception"] += bool(v.postal_reception)
    counted["online_services"] = counted["online_full"] + counted["online_partial"]
    return counted


def by_agency_field(versions: Iterable[ProcedureVersion]) -> list[dict[str, Any]]:
    """counts() per (agency code, field), in that order."""
    groups: dict[tuple[str, str], list[ProcedureVersion]] = {}
    for v in versions:
        groups.setdefault((v.agency_code, v.field), []).append(v)
    return [{"agency_code": a, "field": f, **counts(vs)} for (a, f), vs in sorted(groups.items())]


def offered_after_expiry(
    on: date, listed: Iterable[ProcedureVersion], versions: Sequence[ProcedureVersion]
) -> list[ProcedureVersion]:
    """Versions past their last day on `on` that a channel would still offer then: the
    catalogue's routes list `listed` (queries.listed_on), a submission takes the
    version the domain finds in effect (Procedure.version_on). Empty in a correct system."""
    by_code: dict[str, list[ProcedureVersion]] = {}
    for v in versions:
        by_code.setdefault(v.code, []).append(v)
    taken = (Procedure(code, vs).version_on(on) for code, vs in by_code.items())
    offered = {id(v): v for v in [*listed, *(v for v in taken if v is not None)]}
    return _ordered(v for v in offered.values() if v.effective_to is not None and v.effective_to < on)


def coming_into_effect(on: date, versions: Iterable[ProcedureVersion]) -> list[ProcedureVersion]:
    """Versions whose first day is after `on`, within SOON_DAYS."""
    soon = on + timedelta(days=SOON_DAYS)
    return _ordered(v for v in versions if on < v.effective_from <= soon)


def unused(in_effect: Iterable[ProcedureVersion], used_codes: set[str]) -> list[ProcedureVersion]:
    """The versions in effect whose procedure (any version of its code) no dossier used."""
    return _ordered(v for v in in_effect if v.code not in used_codes)


def _ordered(versions: Iterable[ProcedureVersion]) -> list[ProcedureVersion]:
    return sorted(versions, key=lambda v: (v.code, v.version))


def version_view(v: ProcedureVersion) -> dict[str, Any]:
    return {
        "code": v.code,
        "version": v.version,
        "name": v.name,
        "agency_code": v.agency_code,
        "field": v.field,
        "online_service": v.online_service,
        "effective_from": v.effective_from,
        "effective_to": v.effective_to,
    }


def _expired_still_submitted(session: Session, on: date, versions: Sequence[ProcedureVersion]) -> list[dict[str, Any]]:
    """Of `versions`, those a dossier was submitted under (dossiers.procedure_id) on a
    day, up to `on`, after the version's last day: with how many and the last
    submission. A postal collection is handed in at its hand-over (the day its version
    was chosen on). One query per version ended before `on`, on the procedure's index
    (days in Vietnam's time, computed here: the same on every database)."""
    d = orm.dossiers
    handed_in = sa.func.coalesce(d.c.handed_over_at, d.c.submitted_at)
    _, end = period(on, on)
    found = []
    for version in sorted(versions, key=lambda v: (v.code, v.version)):
        if version.effective_to is None or version.effective_to >= on:
            continue
        cut, _ = period(version.effective_to + timedelta(days=1), on)  # its first day out of effect
        count, last = session.execute(
            sa.select(sa.func.count(), sa.func.max(handed_in)).where(
                d.c.procedure_code == version.code,  # ix_dossiers_procedure
                d.c.procedure_id == version.id,
                d.c.submitted_at >= cut,  # registered no earlier than handed in
                handed_in >= cut,
                handed_in < end,
            )
        ).one()
        if count:
            found.append({**version_view(version), "dossiers": count, "last_submitted_at": last})
    return found


def _used_codes(session: Session, on: date) -> set[str]:
    """The procedure codes of the dossiers submitted in the UNUSED_DAYS days ending with `on`."""
    d = orm.dossiers
    first, after = period(on - timedelta(days=UNUSED_DAYS - 1), on)
    return set(
        session.scalars(
            sa.select(d.c.procedure_code).where(d.c.submitted_at >= first, d.c.submitted_at < after).distinct()
        )
    )


def report(session: Session, on: date, agency: str | None) -> dict[str, Any]:
    """The report on `on` of the procedures of `agency` (None: every agency)."""
    query = sa.select(ProcedureVersion)
    if agency is not None:
        query = query.where(orm.procedures.c.agency_code == agency)
    versions = list(session.scalars(query))
    listed = [v for v in queries.listed_on(session, on) if agency is None or v.agency_code == agency]
    return {
        "on": on,
        "agency": agency,
        "headline": counts(listed),
        "by_agency_field": by_agency_field(listed),
        "expired_still_submitted": _expired_still_submitted(session, on, versions),
        "offered_after_expiry": [version_view(v) for v in offered_after_expiry(on, listed, versions)],
        "coming_into_effect": [version_view(v) for v in coming_into_effect(on, versions)],
        "unused": [version_view(v) for v in unused(listed, _used_codes(session, on))],
    }


COUNT_COLUMNS = (
    ("in_effect", "Thủ tục đang có hiệu lực"),
    ("online_full", "DVC trực tuyến toàn trình"),
    ("online_partial", "DVC trực tuyến một phần"),
    ("online_services", "Tổng số DVC trực tuyến"),
    ("postal_return", "Trả kết quả qua bưu chính"),
    ("postal_reception", "Tiếp nhận qua bưu chính"),
)
VERSION_COLUMNS = (
    ("code", "Mã thủ tục"),
    ("version", "Phiên bản"),
    ("name", "Tên thủ tục"),
    ("agency_code", "Mã cơ quan"),
    ("field", "Lĩnh vực"),
    ("effective_from", "Có hiệu lực từ"),
    ("effective_to", "Hết hiệu lực sau ngày"),
)
TOTAL = "Tổng cộng"


def tables(answer: dict[str, Any]) -> list[Table]:
    """The report as downloads: the counts by agency and field with their total first
    (the CSV), then one table per list (the XLSX's other sheets)."""
    return [
        Table(
            title="Theo cơ quan và lĩnh vực",
            columns=(("agency_code", "Mã cơ quan"), ("field", "Lĩnh vực"), *COUNT_COLUMNS),
            rows=[*answer["by_agency_field"], {"agency_code": TOTAL, "field": "", **answer["headline"]}],
        ),
        Table(
            title="Hết hiệu lực vẫn nhận hồ sơ",
            columns=(*VERSION_COLUMNS, ("dossiers", "Số hồ sơ"), ("last_submitted_at", "Nộp lần cuối")),
            rows=answer["expired_still_submitted"],
        ),
        Table("Hết hiệu lực vẫn cung cấp", VERSION_COLUMNS, answer["offered_after_expiry"]),
        Table(f"Sắp có hiệu lực trong {SOON_DAYS} ngày", VERSION_COLUMNS, answer["coming_into_effect"]),
        Table(f"Không phát sinh hồ sơ {UNUSED_DAYS} ngày", VERSION_COLUMNS, answer["unused"]),
    ]
