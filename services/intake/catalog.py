"""The procedure catalogue (danh mục thủ tục hành chính) with versions.

Two versions of one procedure code never overlap in validity, so exactly one (or
none) is in effect on any day. An import is all-or-nothing and never deletes
history: a changed procedure becomes a new version (the one before it is closed the
day before), an end date in the file expires a version, and a procedure the file
no longer lists is reported, not dropped.
"""
import json
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from marshmallow import ValidationError

from shared.http import ApiError, in_words
from services.intake.models import Procedure
from services.intake.schemas import CatalogueFile

DEMO_FILE = Path(__file__).parent / "catalog" / "demo.json"

# What makes two versions "the same procedure text"; validity dates are compared apart.
CONTENT = ("name", "field", "level", "agency_code", "duration_days", "route", "fee", "documents",
           "return_methods", "supplement_clock", "cutoff", "legal_basis")


def versions_of(session, code):
    return session.scalars(sa.select(Procedure).where(Procedure.code == code)
                           .order_by(Procedure.effective_from)).all()


def effective_on(version, day):
    return version.effective_from <= day and (version.effective_to is None or day <= version.effective_to)


def in_effect(session, code, day):
    """The version of `code` in effect on `day`; 422 saying why when there is none."""
    versions = versions_of(session, code)
    if not versions:
        raise ApiError(422, "unknown_procedure", f"Thủ tục {code} không có trong danh mục",
                       {"procedure_code": ["Không có trong danh mục thủ tục"]})
    for version in versions:
        if effective_on(version, day):
            return version
    later = [v for v in versions if v.effective_from > day]
    if later:
        raise ApiError(422, "procedure_not_yet_effective",
                       f"Thủ tục {code} chỉ có hiệu lực từ {later[0].effective_from:%d/%m/%Y}",
                       {"procedure_code": [f"Chưa có hiệu lực (từ {later[0].effective_from:%d/%m/%Y})"]})
    raise ApiError(422, "procedure_expired",
                   f"Thủ tục {code} đã hết hiệu lực từ {versions[-1].effective_to + timedelta(days=1):%d/%m/%Y}",
                   {"procedure_code": [f"Đã hết hiệu lực (đến hết {versions[-1].effective_to:%d/%m/%Y})"]})


def listed_on(session, day):
    """Every procedure version in effect on `day`, by code."""
    return session.scalars(sa.select(Procedure).where(
        Procedure.effective_from <= day,
        sa.or_(Procedure.effective_to.is_(None), Procedure.effective_to >= day)).order_by(Procedure.code)).all()


def procedure_view(version):
    return {"code": version.code, "version": version.version, "name": version.name, "field": version.field,
            "level": version.level, "agency_code": version.agency_code, "duration_days": version.duration_days,
            "route": version.route, "fee": version.fee, "documents": version.documents,
            "return_methods": version.return_methods, "supplement_clock": version.supplement_clock,
            "cutoff": version.cutoff, "effective_from": version.effective_from,
            "effective_to": version.effective_to, "legal_basis": version.legal_basis}


def _overlap(a_from, a_to, b_from, b_to):
    return a_from <= (b_to or date.max) and b_from <= (a_to or date.max)


def _period(entry):
    end = f"{entry['effective_to']:%d/%m/%Y}" if entry["effective_to"] else "nay"
    return f"{entry['effective_from']:%d/%m/%Y} - {end}"


def parse_file(document):
    """Validated entries of a catalogue file; 400 listing every problem otherwise."""
    try:
        entries = CatalogueFile().load(document)["procedures"]
    except ValidationError as exc:
        raise ApiError(400, "invalid_catalogue", "Tệp danh mục có lỗi; không thủ tục nào được nhập",
                       in_words(exc.messages))
    problems = {}
    for i, entry in enumerate(entries):
        for j in range(i):
            other = entries[j]
            if other["code"] == entry["code"] and _overlap(other["effective_from"], other["effective_to"],
                                                           entry["effective_from"], entry["effective_to"]):
                problems.setdefault(str(i), []).append(
                    f"Thủ tục {entry['code']} xuất hiện hai lần với thời gian hiệu lực chồng nhau "
                    f"(mục {j}: {_period(other)})")
    if problems:
        raise ApiError(400, "invalid_catalogue", "Tệp danh mục có lỗi; không thủ tục nào được nhập",
                       {"procedures": problems})
    return entries


def _same_content(version, entry):
    return all(getattr(version, name) == entry[name] for name in CONTENT)


def plan_import(session, entries, today, full=True):
    """Work out what an import would do, without changing anything.

    Returns (actions, answer, problems): actions are callables applying the change."""
    answer = {"added": [], "changed": [], "expired": [], "unchanged": [], "missing_from_source": []}
    actions, problems = [], {}
    by_code = {}
    for i, entry in enumerate(entries):
        by_code.setdefault(entry["code"], []).append((i, entry))

    for code, indexed in by_code.items():
        existing = list(versions_of(session, code))
        periods = {v.id: (v.effective_from, v.effective_to) for v in existing}  # as they will be
        next_version = max((v.version for v in existing), default=0) + 1
        for i, entry in sorted(indexed, key=lambda item: item[1]["effective_from"]):
            match = next((v for v in existing if v.effective_from == entry["effective_from"]
                          and _same_content(v, entry)), None)
            item = {"code": code, "name": entry["name"]}
            if match is not None:
                if match.effective_to == entry["effective_to"]:
                    answer["unchanged"].append({**item, "version": match.version})
                    continue
                clash = [v for v in existing if v is not match and _overlap(
                    *periods[v.id], entry["effective_from"], entry["effective_to"])]
                if clash:
                    problems.setdefault(str(i), []).append(
                        f"Thời gian hiệu lực {_period(entry)} chồng lên phiên bản {clash[0].version}")
                    continue
                periods[match.id] = (entry["effective_from"], entry["effective_to"])
                actions.append(lambda v=match, end=entry["effective_to"]: setattr(v, "effective_to", end))
                bucket = "expired" if entry["effective_to"] else "changed"
                answer[bucket].append({**item, "version": match.version, "effective_to": entry["effective_to"]})
                continue
            # New text (or new validity): a new version, closing the open one before it.
            closes = None
            for v in existing:
                v_from, v_to = periods[v.id]
                if not _overlap(v_from, v_to, entry["effective_from"], entry["effective_to"]):
                    continue
                if v_from < entry["effective_from"] and entry["effective_to"] is None \
                        and (v_to is None or v_to >= entry["effective_from"]) and closes is None:
                    closes = v
                    continue
                problems.setdefault(str(i), []).append(
                    f"Thời gian hiệu lực {_period(entry)} chồng lên phiên bản {v.version} "
                    f"({v_from:%d/%m/%Y} - {v_to:%d/%m/%Y})" if v_to else
                    f"Thời gian hiệu lực {_period(entry)} chồng lên phiên bản {v.version} (từ {v_from:%d/%m/%Y})")
            if str(i) in problems:
                continue
            if closes is not None:
                end = entry["effective_from"] - timedelta(days=1)
                periods[closes.id] = (periods[closes.id][0], end)
                actions.append(lambda v=closes, end=end: setattr(v, "effective_to", end))
            new = Procedure(code=code, version=next_version, **{k: entry[k] for k in CONTENT},
                            effective_from=entry["effective_from"], effective_to=entry["effective_to"])
            actions.append(lambda new=new: session.add(new))
            bucket = "changed" if existing else "added"
            answer[bucket].append({**item, "version": next_version,
                                   **({"replaces_version": closes.version} if closes else {})})
            next_version += 1

    if full:
        listed = {entry["code"] for entry in entries}
        for version in listed_on(session, today):
            if version.code not in listed:
                answer["missing_from_source"].append({"code": version.code, "name": version.name,
                                                      "version": version.version})
    return actions, answer, problems


def import_catalogue(session, document, today, full=True):
    """Apply a catalogue file: all or nothing. 422 listing every conflict otherwise."""
    entries = parse_file(document)
    # One import at a time: the plan reads versions that a concurrent import could change.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(7305)"))
    actions, answer, problems = plan_import(session, entries, today, full)
    if problems:
        raise ApiError(422, "catalogue_conflict", "Tệp danh mục mâu thuẫn với các phiên bản đã có; "
                       "không thủ tục nào được nhập", {"procedures": problems})
    for action in actions:
        action()
    session.flush()
    return answer


def expire(session, code, last_day):
    """An administrator ends the validity of the version in effect on `last_day`."""
    version = next((v for v in versions_of(session, code) if effective_on(v, last_day)), None)
    if version is None:
        raise ApiError(404, "not_found", f"Thủ tục {code} không có phiên bản nào hiệu lực vào {last_day:%d/%m/%Y}")
    version.effective_to = last_day
    return version


def seed_demo(session, today):
    """Load the illustrative catalogue into an empty database (local quick start)."""
    if session.scalar(sa.select(sa.func.count()).select_from(Procedure)):
        return 0
    answer = import_catalogue(session, json.loads(DEMO_FILE.read_text(encoding="utf-8")), today)
    return len(answer["added"])


