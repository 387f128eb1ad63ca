"""intake's legal constants and pure rule functions, each with its source. The
lifecycle's own order (statuses, what may follow what) lives with the dossier in
model.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

# --- dossier codes [Circular 01/2018/TT-VPCP Art. 19] ---------------------------------
# <agency code>-<YYMMDD>-<NNNN>: the sequence restarts at 0001 every day for each agency.
CODE_DAY_FORMAT = "%y%m%d"
CODE_SEQUENCE_DIGITS = 4


def code_day(moment: datetime) -> str:
    """The day part of a dossier code received at `moment`."""
    return moment.strftime(CODE_DAY_FORMAT)


def dossier_code(agency_code: str, day: str, number: int) -> str:
    return f"{agency_code}-{day}-{number:0{CODE_SEQUENCE_DIGITS}d}"


def agency_of_code(code: str) -> str | None:
    """The receiving agency a dossier code names, None for anything else: the law
    fixes the shape, so the code itself says the agency."""
    parts = (code or "").rsplit("-", 2)
    return parts[0] if len(parts) == 3 and all(parts) else None


# --- one-time complete guidance [Decree 61/2018/NĐ-CP Art. 15-20; Form 02] -----------


def _key(name: str) -> str:
    return name.strip().casefold()


def missing_documents(
    required: Sequence[str], handed_in: Iterable[Mapping[str, Any]], marked: Sequence[str]
) -> list[str]:
    """Every document of the procedure that the officer marked missing or that the
    dossier does not contain, plus anything else the officer marked; all at once, in
    the procedure's order."""
    present = {_key(d["name"]) for d in handed_in}
    marked_keys = {_key(m) for m in marked}
    missing = [d for d in required if _key(d) in marked_keys or _key(d) not in present]
    known = {_key(d) for d in required}
    return missing + [m for m in marked if _key(m) not in known]


# --- the catalogue: versions of one procedure never overlap -----------------------------

# What makes two versions "the same procedure text"; validity dates are compared apart.
CONTENT = (
    "name",
    "field",
    "level",
    "agency_code",
    "duration_days",
    "route",
    "fee",
    "documents",
    "return_methods",
    "supplement_clock",
    "cutoff",
    "legal_basis",
)


def overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return a_from <= (b_to or date.max) and b_from <= (a_to or date.max)


def period(effective_from: date, effective_to: date | None) -> str:
    end = f"{effective_to:%d/%m/%Y}" if effective_to else "nay"
    return f"{effective_from:%d/%m/%Y} - {end}"


def duplicates_in_file(entries: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Entries of one file naming the same procedure for overlapping periods, by index."""
    problems: dict[str, list[str]] = {}
    for i, entry in enumerate(entries):
        for j in range(i):
            other = entries[j]
            if other["code"] == entry["code"] and overlap(
                other["effective_from"], other["effective_to"], entry["effective_from"], entry["effective_to"]
            ):
                problems.setdefault(str(i), []).append(
                    f"Thủ tục {entry['code']} xuất hiện hai lần với thời gian hiệu lực chồng nhau "
                    f"(mục {j}: {period(other['effective_from'], other['effective_to'])})"
                )
    return problems
