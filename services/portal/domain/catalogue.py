"""Keeping the local procedure catalogue in step with the national one.

The national database of administrative procedures (Cơ sở dữ liệu quốc gia về thủ tục
hành chính) is the reference: ministries and provinces update and publish their
procedures there, and the National Public Service Portal publishes them [Decision
31/2021/QĐ-TTg, Regulation on the National Public Service Portal, Art. 16-20].
`compare` sets the province's catalogue as the portal publishes it (national_portal's
CATALOGUE entries) beside the versions intake offers today (its procedure views) and
answers the import entries that bring intake in step (intake's catalogue file format),
what it could not map, and the staleness report. The rules:

1. A procedure offered here but absent upstream, or expired upstream (status
   "expired", or its effective_to before today), stops being offered: an entry equal
   to the local version (its own content and effective_from, so the import matches it)
   with effective_to = the national effective_to when it is given and not before the
   local effective_from, else yesterday (not offered from today). If that would end
   before the local effective_from, it is reported instead.
2. Both present and active: name, field, online_service, duration_days, documents
   (names, in order), fees, agency_code, legal_basis and effective_to are compared.
   Nothing differs: no entry. Only effective_to differs: the local version with that
   end. The content differs: a new version, the local one's route, return methods,
   supplement clock, cut-off, exemptions and postal reception (local knowledge the
   national database does not hold) overlaid with the national name, field,
   online_service, documents, fees, legal_basis and effective_to, from the national
   effective_from when it is after the local one, else from today.
   What cannot be mapped is reported, never guessed: another agency; a duration
   change when the local route has several steps (each step's days are the
   province's decision); a fee without an amount (the law gives no figure), one whose
   name is no local item (upstream does not say when it is collected) or of another
   kind than lệ phí/phí; a new version that cannot start after the local one; an end
   later than the local version's own (a later local version may follow it).
   Fee items matched by name take the national amount and kind and keep their local
   `when`; local items absent upstream are dropped.
3. Active upstream, not offered here: reported, never imported, since the internal
   route (steps, departments) is local knowledge. Expired upstream and absent here:
   nothing.
4. No entry intake would refuse is ever produced: the import is all or nothing, and
   one bad entry would stop every expiry with it.

Framework-free: the connector's `catalog-pull` and its staleness report both use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared import clock, national_portal

Json = dict[str, Any]

ONLY_NATIONAL = "only_national"
ONLY_LOCAL = "only_local"
EXPIRED_UPSTREAM = "expired_upstream"
DIFFERENT = "different"

NEW_PROCEDURE = (
    "thủ tục mới trên Cơ sở dữ liệu quốc gia: cần khai báo quy trình nội bộ (các bước, phòng ban) trước khi nhận hồ sơ"
)

# The limits of intake's catalogue import format: an entry outside them is refused,
# so a national value outside them is reported instead (rule 4).
PROCEDURE_CODE = re.compile(r"[0-9]\.[0-9]{6}\Z")
AGENCY_CODE = re.compile(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}\Z")
NAME_MAX, FIELD_MAX, DOCUMENT_MAX, FEE_NAME_MAX, LEGAL_BASIS_MAX = 500, 200, 300, 300, 5000
MAX_DURATION_DAYS = 365
MAX_AMOUNT = 1_000_000_000
FEE_KINDS = ("le_phi", "phi")
# intake derives an entry's old-scale level from its online service; a version
# imported with another level (1) only matches an entry that says so
LEVEL_OF_ONLINE_SERVICE = {"full": 4, "partial": 3, "none": 2}
ONLINE_SERVICE_OF_LEVEL = {4: "full", 3: "partial", 2: "none", 1: "none"}

# what is compared, in the report's order; the rest of a version is local knowledge
COMPARED = (
    "name",
    "field",
    "online_service",
    "duration_days",
    "documents",
    "fees",
    "agency_code",
    "legal_basis",
    "effective_to",
)
CONTENT = ("name", "field", "online_service", "duration_days", "documents", "fees", "legal_basis")


@dataclass(frozen=True)
class Comparison:
    """What `compare` found: the import entries to apply (intake's catalogue format,
    JSON-ready), the national entries it could not map, the differences (the
    staleness report, by code) and the codes the entries stop offering."""

    entries: list[Json] = field(default_factory=list)
    unmapped: list[Json] = field(default_factory=list)
    differences: list[Json] = field(default_factory=list)
    expiring: list[str] = field(default_factory=list)

    @property
    def in_step(self) -> bool:
        return not (self.entries or self.unmapped or self.differences)

    def view(self) -> Json:
        return {
            "entries": self.entries,
            "unmapped": self.unmapped,
            "differences": self.differences,
            "expiring": self.expiring,
        }


def compare(
    national: Sequence[Mapping[str, Any]],
    local: Sequence[Mapping[str, Any]],
    today: date,
    agencies: Collection[str] | None = None,
) -> Comparison:
    """Set the national catalogue's entries for the province beside intake's
    procedure views in effect `today` (dates as date or ISO text); `agencies` the
    local agency codes (None: those of `local`)."""
    locals_by_code = {view["code"]: _Local.of(view) for view in local}
    ours = set(agencies) if agencies is not None else {v.agency_code for v in locals_by_code.values()}
    found = _Found()
    readable: dict[str, list[_National]] = {}
    unreadable: set[str] = set()  # named upstream but unreadable: the local version is left alone
    for raw in national:
        entry, problems = _read_national(raw)
        if entry is None:
            code = raw.get("code") if isinstance(raw, Mapping) else None
            name = raw.get("name") if isinstance(raw, Mapping) else None
            found.report(code if isinstance(code, str) else "", name if isinstance(name, str) else "", problems)
            if isinstance(code, str):
                unreadable.add(code)
            continue
        readable.setdefault(entry.code, []).append(entry)
    for code in sorted(set(locals_by_code) | set(readable)):
        if code in unreadable:
            continue
        candidates = readable.get(code, [])
        here = locals_by_code.get(code)
        if here is None:
            _only_national(found, candidates, today, ours)
        else:
            _offered_here(found, here, candidates, today, ours)
    return found.comparison()


# --- the two sides -----------------------------------------------------------------


@dataclass(frozen=True)
class _Local:
    """The version intake offers today (its procedure view)."""

    view: Mapping[str, Any]
    code: str
    name: str
    agency_code: str
    effective_from: date
    effective_to: date | None

    @classmethod
    def of(cls, view: Mapping[str, Any]) -> _Local:
        return cls(
            view=view,
            code=view["code"],
            name=view["name"],
            agency_code=view["agency_code"],
            effective_from=_day(view["effective_from"]),
            effective_to=None if view.get("effective_to") is None else _day(view["effective_to"]),
        )

    def unmatchable(self) -> str | None:
        """Why no import entry can be equal to this version: an old-scale level that
        contradicts its online service (intake no longer takes such an entry)."""
        level, online = self.view.get("level"), self.view["online_service"]
        if level is None or ONLINE_SERVICE_OF_LEVEL.get(level) == online:
            return None
        return (
            f"Phiên bản tại đây có mức độ {level} không khớp dịch vụ công trực tuyến {online}: "
            "không thể đối chiếu khi nhập danh mục, cần xử lý thủ công"
        )

    def fees(self) -> list[Json]:
        """The fee items as the national database states them (name, amount, kind)."""
        return [{"name": f["name"], "amount": f["amount"], "kind": f["kind"]} for f in self.view["fees"]]

    def entry(self, effective_to: date | None) -> Json:
        """An import entry equal to this version (so the import matches it), ending
        on `effective_to`."""
        view = self.view
        entry: Json = {
            "code": self.code,
            "name": view["name"],
            "field": view["field"],
            "online_service": view["online_service"],
            "agency_code": self.agency_code,
            "duration_days": view["duration_days"],
            "route": [{"department": s["department"], "days": s["days"]} for s in view["route"]],
            "fees": [
                {"name": f["name"], "amount": f["amount"], "kind": f["kind"], "when": f["when"]} for f in view["fees"]
            ],
            "fee_exemptions": [{"code": e["code"], "name": e["name"]} for e in view.get("fee_exemptions") or ()],
            "documents": list(view["documents"]),
            "return_methods": list(view["return_methods"]),
            "supplement_clock": view["supplement_clock"],
            "cutoff": view.get("cutoff"),
            "effective_from": self.effective_from.isoformat(),
            "effective_to": _iso(effective_to),
            "legal_basis": view.get("legal_basis") or "",
            "postal_reception": view.get("postal_reception", True),
        }
        return _keep_level(entry, view.get("level"))


@dataclass(frozen=True)
class _National:
    """A readable national CATALOGUE entry; `problems` say which of its values an
    import entry cannot carry."""

    raw: Mapping[str, Any]
    code: str
    name: str
    agency_code: str
    status: str
    effective_from: date
    effective_to: date | None
    problems: tuple[str, ...]

    def active(self, today: date) -> bool:
        return self.status == "active" and (self.effective_to is None or self.effective_to >= today)

    def online_service(self) -> Any:
        """In intake's words when it is a known level, else as given."""
        value = self.raw.get("online_service")
        return national_portal.ONLINE_SERVICES.get(value, value) if isinstance(value, str) else value

    def legal_basis(self) -> Any:
        value = self.raw.get("legal_basis")
        return "" if value is None else value

    def fees(self) -> Any:
        fees = self.raw.get("fees")
        if fees is None:
            return []
        if not isinstance(fees, list):
            return fees
        return [
            {"name": f.get("name"), "amount": f.get("amount"), "kind": f.get("kind")} if isinstance(f, Mapping) else f
            for f in fees
        ]

    def value(self, name: str) -> Any:
        """The compared value `name`, in the local version's terms."""
        if name == "online_service":
            return self.online_service()
        if name == "legal_basis":
            return self.legal_basis()
        if name == "fees":
            return self.fees()
        if name == "effective_to":
            return _iso(self.effective_to)
        return self.raw.get(name)


def _read_national(raw: Any) -> tuple[_National | None, list[str]]:
    """The entry, or None and why it cannot be read at all (no code, status or dates:
    nothing can be decided about its procedure)."""
    if not isinstance(raw, Mapping):
        return None, ["Mục danh mục không phải một đối tượng JSON"]
    problems: list[str] = []
    code = raw.get("code")
    if not isinstance(code, str) or not PROCEDURE_CODE.match(code):
        problems.append(f"Mã thủ tục {code!r} không đúng dạng 1.001776")
    status = raw.get("status")
    if status not in national_portal.CATALOGUE_STATUSES:
        problems.append(f"Trạng thái {status!r} không phải active hoặc expired")
    start = _national_day(raw.get("effective_from"))
    if start is None:
        problems.append(f"Ngày có hiệu lực {raw.get('effective_from')!r} không phải ngày YYYY-MM-DD")
    end = None
    if raw.get("effective_to") is not None:
        end = _national_day(raw.get("effective_to"))
        if end is None:
            problems.append(f"Ngày hết hiệu lực {raw.get('effective_to')!r} không phải ngày YYYY-MM-DD")
    if start is not None and end is not None and end < start:
        problems.append(f"Ngày hết hiệu lực {end:%d/%m/%Y} trước ngày có hiệu lực {start:%d/%m/%Y}")
    if problems or not isinstance(code, str) or start is None or not isinstance(status, str):
        return None, problems
    agency = raw.get("agency_code")
    name = raw.get("name")
    return (
        _National(
            raw=raw,
            code=code,
            name=name if isinstance(name, str) else "",
            agency_code=agency if isinstance(agency, str) else "",
            status=status,
            effective_from=start,
            effective_to=end,
            problems=tuple(_content_problems(raw)),
        ),
        [],
    )


def _content_problems(raw: Mapping[str, Any]) -> list[str]:
    """The national values an import entry could not carry (fees apart: they are
    matched with the local items)."""
    problems = []
    for name, label, longest in (("name", "Tên thủ tục", NAME_MAX), ("field", "Lĩnh vực", FIELD_MAX)):
        if not _text(raw.get(name), longest):
            problems.append(f"{label} phải là chuỗi từ 1 đến {longest} ký tự")
    agency = raw.get("agency_code")
    if not isinstance(agency, str) or not AGENCY_CODE.match(agency):
        problems.append(f"Mã cơ quan {agency!r} không đúng dạng 000.00.06.H56")
    online = raw.get("online_service")
    if online not in national_portal.ONLINE_SERVICES:
        problems.append(f"Mức dịch vụ công trực tuyến {online!r} không xác định (toan_trinh, mot_phan hoặc khong)")
    duration = raw.get("duration_days")
    if not _whole(duration, MAX_DURATION_DAYS):
        problems.append(f"Thời hạn giải quyết {duration!r} không phải số ngày làm việc từ 0 đến {MAX_DURATION_DAYS}")
    documents = raw.get("documents")
    if not isinstance(documents, list) or not all(_text(d, DOCUMENT_MAX) for d in documents):
        problems.append(f"Thành phần hồ sơ phải là danh sách tên, mỗi tên từ 1 đến {DOCUMENT_MAX} ký tự")
    legal_basis = raw.get("legal_basis")
    if legal_basis is not None and not (isinstance(legal_basis, str) and len(legal_basis) <= LEGAL_BASIS_MAX):
        problems.append(f"Căn cứ pháp lý phải là chuỗi tối đa {LEGAL_BASIS_MAX} ký tự")
    if raw.get("fees") is not None and not isinstance(raw.get("fees"), list):
        problems.append("Phí, lệ phí phải là một danh sách")
    return problems


# --- the rules ---------------------------------------------------------------------


@dataclass
class _Found:
    entries: list[Json] = field(default_factory=list)
    unmapped: list[Json] = field(default_factory=list)
    differences: list[Json] = field(default_factory=list)
    expiring: list[str] = field(default_factory=list)

    def report(self, code: str, name: str, problems: Sequence[str]) -> None:
        self.unmapped.append({"code": code, "name": name, "problems": list(problems)})

    def differ(self, code: str, name: str, kind: str, fields: Json | None = None) -> None:
        self.differences.append({"code": code, "name": name, "kind": kind, "fields": fields or {}})

    def comparison(self) -> Comparison:
        return Comparison(
            entries=sorted(self.entries, key=lambda e: (e["code"], e["effective_from"])),
            unmapped=sorted(self.unmapped, key=lambda u: u["code"]),
            differences=sorted(self.differences, key=lambda d: d["code"]),
            expiring=sorted(set(self.expiring)),
        )


def _only_national(found: _Found, candidates: Sequence[_National], today: date, ours: Collection[str]) -> None:
    """Rule 3: active upstream for a local agency, not offered here: the route is
    local knowledge, so it is reported, not imported. Another agency's: not ours."""
    active = [n for n in candidates if n.agency_code in ours and n.active(today)]
    if active:
        found.differ(active[0].code, active[0].name, ONLY_NATIONAL)
        found.report(active[0].code, active[0].name, [NEW_PROCEDURE])


def _offered_here(
    found: _Found, here: _Local, candidates: Sequence[_National], today: date, ours: Collection[str]
) -> None:
    # the same code may be listed for several agencies of the province: this agency's first
    pool = [n for n in candidates if n.agency_code == here.agency_code] or list(candidates)
    if not pool:
        found.differ(here.code, here.name, ONLY_LOCAL)
        _expire(found, here, None, today)
        return
    active = [n for n in pool if n.active(today)]
    if len(active) > 1:
        found.report(
            here.code,
            here.name,
            [
                f"Thủ tục có {len(active)} mục còn hiệu lực trên Cơ sở dữ liệu quốc gia "
                f"(cơ quan {', '.join(sorted({n.agency_code for n in active}))}): không xác định được mục áp dụng"
            ],
        )
        return
    if active:
        _reconcile(found, here, active[0], today, ours)
        return
    # expired upstream: it ends on the latest end upstream gives
    ends = [n.effective_to for n in pool if n.effective_to is not None]
    end = max(ends) if ends else None
    found.differ(
        here.code,
        here.name,
        EXPIRED_UPSTREAM,
        {"effective_to": {"local": _iso(here.effective_to), "national": _iso(end)}} if end else None,
    )
    _expire(found, here, end, today)


def _expire(found: _Found, here: _Local, national_end: date | None, today: date) -> None:
    """Rule 1: the national database is the reference [Decision 31/2021/QĐ-TTg Art.
    16-20]: the local version ends on the national end, else yesterday."""
    end = national_end if national_end is not None and national_end >= here.effective_from else today - timedelta(1)
    if end < here.effective_from:
        found.report(
            here.code,
            here.name,
            [
                f"Không còn trên Cơ sở dữ liệu quốc gia nhưng phiên bản tại đây mới có hiệu lực từ "
                f"{here.effective_from:%d/%m/%Y}: không thể cho hết hiệu lực ngày {end:%d/%m/%Y}, cần xử lý thủ công"
            ],
        )
        return
    if here.effective_to is not None and here.effective_to <= end:
        return  # it ends by then already; an entry would only lengthen it
    if here.unmatchable():
        found.report(here.code, here.name, [str(here.unmatchable())])
        return
    found.entries.append(here.entry(end))
    found.expiring.append(here.code)


def _reconcile(found: _Found, here: _Local, national: _National, today: date, ours: Collection[str]) -> None:
    """Rule 2: both active."""
    fields = _differing(here, national)
    if not fields:
        return
    found.differ(here.code, here.name, DIFFERENT, fields)
    content = [name for name in CONTENT if name in fields]
    problems = list(national.problems)
    if national.agency_code != here.agency_code:
        problems.append(
            f"Cơ quan thực hiện trên Cơ sở dữ liệu quốc gia ({national.agency_code}) khác cơ quan tại đây "
            f"({here.agency_code}): cần khai báo quy trình nội bộ của cơ quan đó"
        )
    elif here.agency_code not in ours:
        problems.append(f"Cơ quan {here.agency_code} không phải cơ quan tại đây")
    route = here.view["route"]
    duration = national.raw.get("duration_days")
    if "duration_days" in fields and len(route) > 1 and _whole(duration, MAX_DURATION_DAYS):
        problems.append(
            f"Thời hạn giải quyết đổi từ {here.view['duration_days']} thành {duration} ngày "
            f"làm việc nhưng quy trình tại đây có {len(route)} bước: số ngày của từng bước do tỉnh quyết định, "
            "cần phân bổ lại"
        )
    fees, fee_problems = _fees(here, national) if "fees" in fields else ([], [])
    problems += fee_problems
    if here.unmatchable():
        problems.append(str(here.unmatchable()))
    end = national.effective_to
    if "effective_to" in fields and here.effective_to is not None and (end is None or end > here.effective_to):
        upstream = f"đến ngày {end:%d/%m/%Y}" if end else "không thời hạn"
        problems.append(
            f"Phiên bản tại đây hết hiệu lực sau ngày {here.effective_to:%d/%m/%Y}, Cơ sở dữ liệu quốc gia ghi "
            f"{upstream}: không tự kéo dài (có thể đã có phiên bản kế tiếp), cần xử lý thủ công"
        )
    start = national.effective_from if national.effective_from > here.effective_from else today
    if content and start <= here.effective_from:
        problems.append(
            f"Phiên bản tại đây có hiệu lực từ {here.effective_from:%d/%m/%Y}: phiên bản mới không thể bắt đầu "
            "cùng ngày; đồng bộ lại từ ngày mai"
        )
    if content and end is not None and end < start:
        problems.append(
            f"Phiên bản mới sẽ bắt đầu ngày {start:%d/%m/%Y}, sau ngày hết hiệu lực {end:%d/%m/%Y} trên Cơ sở "
            "dữ liệu quốc gia"
        )
    if problems:
        found.report(here.code, here.name, problems)
        return
    if not content:
        # only the end differs (upstream now ends on a date): the same version, ending then
        found.entries.append(here.entry(end))
        found.expiring.append(here.code)
        return
    new = here.entry(end)
    new.update(
        name=national.raw["name"],
        field=national.raw["field"],
        online_service=national.online_service(),
        documents=list(national.raw["documents"]),
        legal_basis=national.legal_basis(),
        effective_from=start.isoformat(),
    )
    if "fees" in fields:
        new["fees"] = fees
    if "duration_days" in fields:
        # one step takes the whole duration
        new["duration_days"] = national.raw["duration_days"]
        new["route"] = [{"department": route[0]["department"], "days": national.raw["duration_days"]}]
    new = _keep_level({k: v for k, v in new.items() if k != "level"}, here.view.get("level"))
    if end is None and here.effective_to is None:
        found.entries.append(new)  # the import closes the open version the day before
    else:
        # a new version with an end only follows a version closed in the same file
        found.entries.append(here.entry(start - timedelta(1)))
        found.entries.append(new)
    if end is not None:
        found.expiring.append(here.code)


def _differing(here: _Local, national: _National) -> Json:
    """{field: {local, national}} for the compared values that differ."""
    local_values: Json = {
        "name": here.name,
        "field": here.view["field"],
        "online_service": here.view["online_service"],
        "duration_days": here.view["duration_days"],
        "documents": list(here.view["documents"]),
        "fees": here.fees(),
        "agency_code": here.agency_code,
        "legal_basis": here.view.get("legal_basis") or "",
        "effective_to": _iso(here.effective_to),
    }
    fields: Json = {}
    for name in COMPARED:
        mine, theirs = local_values[name], national.value(name)
        same = _same_items(mine, theirs) if name == "fees" else mine == theirs
        if not same:
            fields[name] = {"local": mine, "national": theirs}
    return fields


def _same_items(mine: list[Json], theirs: Any) -> bool:
    """The same fee items, whatever their order."""
    if not isinstance(theirs, list):
        return False

    def key(item: Any) -> str:
        return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)

    return sorted(map(key, mine)) == sorted(map(key, theirs))


def _fees(here: _Local, national: _National) -> tuple[list[Json], list[str]]:
    """The local items matched by name, with the national amount and kind and the
    local `when` (upstream does not say when a fee is collected); the local items
    absent upstream dropped. Or why the national fees cannot be mapped."""
    local_items: dict[str, Json] = {}
    repeated_here = set()
    for item in here.view["fees"]:
        if item["name"] in local_items:
            repeated_here.add(item["name"])
        local_items[item["name"]] = item
    upstream = national.raw.get("fees") or []
    if not isinstance(upstream, list):
        return [], []  # the entry's own problems say so
    problems: list[str] = []
    taken: dict[str, Json] = {}
    for item in upstream:
        if not isinstance(item, Mapping) or not _text(item.get("name"), FEE_NAME_MAX):
            problems.append(f"Khoản thu {item!r}: cần tên từ 1 đến {FEE_NAME_MAX} ký tự")
            continue
        name, amount, kind = item["name"], item.get("amount"), item.get("kind")
        if name in taken:
            problems.append(f'Khoản thu "{name}" lặp lại trên Cơ sở dữ liệu quốc gia')
        if name in repeated_here:
            problems.append(f'Khoản thu "{name}" lặp lại tại đây: không xác định được khoản tương ứng')
        if amount is None:
            problems.append(
                f'Khoản thu "{name}" không có mức thu trên Cơ sở dữ liệu quốc gia (pháp luật không quy định '
                "số tiền): cần nhập mức thu"
            )
        elif not _whole(amount, MAX_AMOUNT):
            problems.append(f'Khoản thu "{name}": mức thu {amount!r} không phải số đồng từ 0 đến {MAX_AMOUNT}')
        if kind not in FEE_KINDS:
            problems.append(f'Khoản thu "{name}": loại {kind!r} không phải le_phi (lệ phí) hoặc phi (phí)')
        if name not in local_items:
            problems.append(
                f'Khoản thu "{name}" chưa có tại đây: Cơ sở dữ liệu quốc gia không ghi thời điểm nộp (khi nộp hồ sơ, '
                "trước khi giải quyết hay trước khi trả kết quả), cần khai báo khoản thu"
            )
        taken[name] = {"amount": amount, "kind": kind}
    if problems:
        return [], problems
    fees = [
        {"name": item["name"], **taken[item["name"]], "when": item["when"]}
        for item in here.view["fees"]
        if item["name"] in taken
    ]
    return fees, []


# --- values ------------------------------------------------------------------------


def _keep_level(entry: Json, level: Any) -> Json:
    """The entry with the local old-scale level when intake would not derive it from
    the online service (level 1): without it the import would not match the version."""
    online = entry["online_service"]
    if (
        isinstance(level, int)
        and level != LEVEL_OF_ONLINE_SERVICE.get(online)
        and ONLINE_SERVICE_OF_LEVEL.get(level) == online
    ):
        entry["level"] = level
    return entry


def _text(value: Any, longest: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= longest


def _whole(value: Any, largest: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= largest


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _national_day(value: Any) -> date | None:
    """A day upstream as YYYY-MM-DD, within the days intake counts with; else None."""
    if isinstance(value, date):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return day if clock.plausible_day(day) else None


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
