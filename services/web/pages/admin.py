"""The administrators' pages (/quan-tri): the procedure catalogue (versions, import
with a preview of its changes, expiry), the working calendar and its overrides, the
automated departments, the staff accounts, and the system's state with the parked
messages of each service.

The catalogue, the calendar and the departments go through intake's and processing's
APIs with the administrator's token; the accounts are the web's own data
(services.web.application); the system page reads each service's public /health and
/metrics and its admin-only /api/dead-letters, never the broker itself.

A catalogue file may be large: its two forms (preview, apply) take up to
UPLOAD_MAX_BYTES (an ordinary form 256 KB)."""

from __future__ import annotations

import calendar as month_calendar
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from services.web import application, words
from services.web.adapters.repository import WebWork
from services.web.backends import ApiProblem, Unreachable
from services.web.domain.errors import InvalidAccount
from services.web.domain.model import Role, check_details, check_password
from services.web.pages.base import PageRefused, Pages, page, signed_in_recently
from shared import clock, config
from shared import status as system_state
from shared.domain import DomainError
from shared.errors import status_of
from shared.http import http

log = logging.getLogger(__name__)

ADMIN = "admin"
# the API refusals a form shows beside its fields (anything else is the error page)
FORM_PROBLEMS = (400, 404, 409, 422)
# a province's whole catalogue in one file (intake takes as much)
UPLOAD_MAX_BYTES = 8 * 1024 * 1024
PROBE_SECONDS = 3.0

ONLINE_SERVICE = {"full": "Toàn trình", "partial": "Một phần", "none": "Không trực tuyến"}
KIND_WORDS = {"day_off": "Nghỉ thêm", "working_day": "Làm bù (làm việc)"}
DAY_KINDS = {
    "weekend": "Nghỉ cuối tuần",
    "holiday": "Nghỉ lễ, tết",
    "override": "Điều chỉnh của quản trị",
    "makeup": "Làm bù",
}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
WEEKDAYS_SHORT = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
BUCKETS = (
    ("added", "Thêm mới"),
    ("changed", "Thay đổi (phiên bản mới hoặc mở lại hiệu lực)"),
    ("expired", "Hết hiệu lực"),
    ("missing_from_source", "Đang có hiệu lực nhưng không có trong tệp (giữ nguyên, không bị xoá)"),
    ("unchanged", "Không thay đổi"),
)
AGENCY_STATUS = {"added": "Thêm mới", "changed": "Thay đổi", "unchanged": "Không thay đổi"}
ACCOUNT_FIELDS = ("username", "full_name", "role", "agency", "department")
SERVICE_WORDS = {
    "intake": "Tiếp nhận hồ sơ (intake)",
    "processing": "Xử lý hồ sơ (processing)",
    "postal": "Bưu chính (postal)",
    "notify": "Thông báo (notify)",
    "payments": "Thanh toán (payments)",
    "portal": "Cổng Dịch vụ công quốc gia (portal)",
    "web": "Giao diện cán bộ (web)",
}


# --- framework-free helpers (tests/unit/web/test_admin.py) -------------------------------


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def parse_year(text: str | None, default: int) -> int | None:
    """The ?year= of the calendar page: the default when absent, None when it is not a year we count."""
    if not (text or "").strip():
        return default
    try:
        year = int(str(text).strip())
    except ValueError:
        return None
    return year if clock.FIRST_DAY.year <= year <= clock.LAST_DAY.year else None


def month_grid(year: int, month: int, marked: Mapping[str, Mapping[str, Any]]) -> list[list[dict[str, Any] | None]]:
    """The month as weeks of seven cells (Monday first; None outside the month). Each
    cell: {day, iso, off, kind, reason} with `marked` the days off and weekend days
    worked by ISO day (GET /api/calendar/days)."""
    weeks = []
    for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        cells: list[dict[str, Any] | None] = []
        for day in week:
            if day.month != month:
                cells.append(None)
                continue
            found = marked.get(day.isoformat())
            cells.append(
                {
                    "day": day,
                    "iso": day.isoformat(),
                    "off": bool(found and found.get("off")),
                    "kind": found["kind"] if found else "work",
                    "reason": found["reason"] if found else "",
                }
            )
        weeks.append(cells)
    return weeks


def year_view(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The calendar page's year: twelve month grids, the holidays and overrides by month,
    and the counts, from GET /api/calendar/days."""
    year = int(answer["year"])
    marked: dict[str, dict[str, Any]] = {}
    for item in answer.get("days_off") or ():
        marked[item["day"]] = {**item, "off": True}
    for item in answer.get("weekend_working_days") or ():
        marked[item["day"]] = {**item, "off": False}
    months = []
    for month in range(1, 13):
        notable = [
            marked[iso]
            for iso in sorted(marked)
            if iso.startswith(f"{year:04d}-{month:02d}-") and marked[iso]["kind"] != "weekend"
        ]
        months.append({"month": month, "weeks": month_grid(year, month, marked), "notable": notable})
    days_off = answer.get("days_off") or ()
    counts = {kind: sum(1 for d in days_off if d["kind"] == kind) for kind in ("weekend", "holiday", "override")}
    return {
        "year": year,
        "months": months,
        "working_days": answer.get("working_days"),
        "days_off": len(days_off),
        "counts": counts,
        "weekend_working": len(answer.get("weekend_working_days") or ()),
    }


def catalogue_problems(fields: Mapping[str, Any], document: Any) -> list[str]:
    """A refused catalogue file's problems (the API's `fields`), one readable line each:
    entries by their number in the file and their code."""
    entries = document.get("procedures") if isinstance(document, dict) else None
    agencies = document.get("agencies") if isinstance(document, dict) else None
    lines: list[str] = []

    def label(section: str, index: str) -> str:
        items = entries if section == "procedures" else agencies
        what = "Thủ tục" if section == "procedures" else "Cơ quan"
        try:
            item = items[int(index)] if isinstance(items, list) else None
        except (ValueError, IndexError):
            item = None
        code = item.get("code") if isinstance(item, dict) else None
        position = f"{what} thứ {int(index) + 1}" if index.isdigit() else what
        return f"{position} (mã {code})" if isinstance(code, str) and code else position

    for section, found in fields.items():
        if section in ("procedures", "agencies") and isinstance(found, dict):
            for index, problem in found.items():
                for text in _texts(problem):
                    lines.append(f"{label(section, str(index))}: {text}")
        else:
            for text in _texts(found):
                lines.append(f"{section}: {text}")
    return lines


def _texts(problem: Any, prefix: str = "") -> Iterable[str]:
    """Flattened messages of a nested marshmallow error: 'field: message'."""
    if isinstance(problem, dict):
        for key, value in problem.items():
            yield from _texts(value, f"{prefix}{key}." if not str(key).isdigit() else f"{prefix}{int(key) + 1}.")
    elif isinstance(problem, list):
        for value in problem:
            yield from _texts(value, prefix)
    else:
        yield f"{prefix[:-1]}: {problem}" if prefix else str(problem)


def import_changes(answer: Mapping[str, Any]) -> int:
    """How many things an import answer changes (procedures and agencies)."""
    changed = sum(len(answer.get(bucket) or ()) for bucket in ("added", "changed", "expired"))
    return changed + sum(1 for a in answer.get("agencies") or () if a.get("status") != "unchanged")


def import_summary(answer: Mapping[str, Any]) -> str:
    counts = {bucket: len(answer.get(bucket) or ()) for bucket in ("added", "changed", "expired", "unchanged")}
    agencies = [a for a in answer.get("agencies") or () if a.get("status") != "unchanged"]
    text = (
        f"{counts['added']} thủ tục thêm mới, {counts['changed']} thay đổi, "
        f"{counts['expired']} hết hiệu lực, {counts['unchanged']} không đổi"
    )
    return text + (f"; {len(agencies)} cơ quan thêm mới hoặc thay đổi" if agencies else "")


def route_words(route: Sequence[Mapping[str, Any]] | None) -> str:
    return " → ".join(f"{step.get('department')} ({step.get('days')} ngày)" for step in route or ())


def version_state(version: Mapping[str, Any], today: date) -> str:
    start = parse_day(str(version.get("effective_from") or ""))
    end = parse_day(str(version.get("effective_to") or ""))
    if start and start > today:
        return "Chưa có hiệu lực"
    if end and end < today:
        return "Đã hết hiệu lực"
    return "Đang có hiệu lực"


def catalogue_departments(procedures: Iterable[Mapping[str, Any]]) -> set[str]:
    """The departments of the catalogue's routes."""
    return {str(step["department"]) for p in procedures for step in p.get("route") or () if step.get("department")}


def account_row(account: Any, now: Any) -> dict[str, Any]:
    if not account.active:
        state, word = "disabled", "Đã vô hiệu hoá"
    elif account.locked_at(now):
        state, word = "locked", f"Tạm khoá đến {words.moment(account.locked_until)}"
    else:
        state, word = "active", "Đang hoạt động"
    return {
        "username": account.username,
        "full_name": account.full_name,
        "role": str(account.role),
        "role_words": words.ROLE.get(str(account.role), str(account.role)),
        "where": account.agency or account.department or "",
        "state": state,
        "state_words": word,
        "active": account.active,
    }


def account_problems(form: Mapping[str, str], password: str) -> dict[str, list[str]]:
    """Every problem of the add form at once (the same rules as `motcua user add`)."""
    agency = form.get("agency") or None
    department = form.get("department") or None
    problems = check_details(
        form.get("username", ""), form.get("full_name", ""), form.get("role", ""), agency, department
    )
    try:
        check_password(password)
    except InvalidAccount as exc:
        problems.update(exc.fields)
    return problems


# --- reading a catalogue upload ------------------------------------------------------------


def catalogue_text(form: Any, files: dict[str, tuple[str, bytes]]) -> tuple[str, dict[str, list[str]]]:
    """The catalogue's JSON text: the file chosen, else the text pasted; with the
    problems by field when there is none or it cannot be read."""
    name, data = files.get("tep", ("", b""))
    if data:
        if len(data) > UPLOAD_MAX_BYTES:
            return "", {"tep": [f"Tệp vượt quá {UPLOAD_MAX_BYTES // 1024 // 1024} MB"]}
        try:
            return one_newline(data.decode("utf-8-sig")), {}
        except UnicodeDecodeError:
            return "", {"tep": [f"Tệp {name} không phải văn bản UTF-8"]}
    text = one_newline(form.get("noi_dung", ""))
    if not text.strip():
        return "", {"tep": ["Chọn tệp danh mục hoặc dán nội dung JSON vào ô bên dưới"]}
    return text, {}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def catalogue_document(text: str) -> tuple[Any, dict[str, list[str]]]:
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        return None, {"noi_dung": [f"Nội dung không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno})"]}
    except (ValueError, RecursionError):
        return None, {"noi_dung": ["Nội dung không phải JSON hợp lệ"]}
    if not isinstance(document, dict):
        return None, {"noi_dung": ['Tệp danh mục là một đối tượng JSON {"procedures": [...], "agencies": [...]}']}
    return document, {}


def one_newline(text: str) -> str:
    """A browser sends a form's line breaks as CRLF (HTML's form encoding): the text is
    kept with LF, so that its digest is the same on the way back (JSON ignores them)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def post_catalogue(view: Any, text: str, dry_run: bool) -> Any:
    """The file to intake's import as it was read (UTF-8, not re-encoded: a JSON encoder
    would escape every Vietnamese letter and could push the file past intake's limit)."""
    return view.api.call(
        "POST",
        "intake",
        "/api/procedures/import",
        params={"dry_run": "true" if dry_run else "false"},
        data=text.encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )


def digest(text: str) -> str:
    return hashlib.sha256(one_newline(text).encode("utf-8")).hexdigest()


# --- the system's state ----------------------------------------------------------------------


def probe(http_session: Any, service: str) -> dict[str, Any]:
    """shared.status's view of one service (its /health and /metrics), at the address
    the web calls it (MOTCUA_<SERVICE>_URL or this machine's port)."""
    if service == config.WEB:  # this very service, on its own port
        base = f"http://{config.local_address(config.bind_address())}:{config.port(service)}"
    else:
        base = config.service_url(service)
    state: dict[str, Any] = {"service": service, "words": SERVICE_WORDS.get(service, service), "up": False}
    try:
        health = http_session.get(base + "/health", timeout=PROBE_SECONDS)
        state["health"] = health.json()
        state["up"] = health.status_code == 200
        if service != config.WEB:  # the web keeps no queue and serves no metrics
            state.update(system_state.summarise(http_session.get(base + "/metrics", timeout=PROBE_SECONDS).text))
    except ValueError as exc:
        state["error"] = f"trả lời không như mong đợi ({exc.__class__.__name__})"
    except Exception as exc:  # requests' errors: no answer
        state["error"] = f"không trả lời ({exc.__class__.__name__})"
    return state


def status_notes(state: Mapping[str, Any]) -> list[str]:
    notes = []
    if state.get("error"):
        notes.append(str(state["error"]))
    health = state.get("health") or {}
    failing = [f"{k}: {v}" for k, v in health.items() if k != "status" and v != "ok"]
    if failing:
        notes.append("lỗi kết nối " + ", ".join(failing))
    if state.get("consumers_missing"):
        notes.append(f"{state['consumers_missing']} hàng đợi xử lý không có tiến trình nhận")
    if state.get("overdue_dossiers"):
        notes.append(f"{state['overdue_dossiers']} hồ sơ quá hạn")
    if state.get("overdue_tasks"):
        notes.append(f"{state['overdue_tasks']} bước xử lý quá hạn")
    return notes


# --- the pages --------------------------------------------------------------------------------


class AdminPages(Pages):
    @http("GET", "/quan-tri")
    @page(ADMIN)
    def admin_home(self, request: Any, view: Any) -> Response:
        return view.render("admin/home.html")

    # --- the catalogue -----------------------------------------------------------------------

    @http("GET", "/quan-tri/thu-tuc")
    @page(ADMIN)
    def admin_procedures(self, request: Any, view: Any) -> Response:
        at = parse_day(request.args.get("at")) or view.now.date()
        answer = view.api.get("intake", "/api/procedures", {"at": at.isoformat()})
        return view.render(
            "admin/procedures.html",
            at=at,
            today=view.now.date(),
            procedures=answer.get("procedures") or [],
            online=ONLINE_SERVICE,
        )

    @http("GET", "/quan-tri/thu-tuc/nhap")
    @page(ADMIN)
    def admin_import_form(self, request: Any, view: Any) -> Response:
        return view.render("admin/import.html", text="", errors={}, problems=[])

    @http("POST", "/quan-tri/thu-tuc/nhap")
    @page(ADMIN, max_bytes=UPLOAD_MAX_BYTES)
    def admin_import_preview(self, request: Any, view: Any) -> Response:
        text, errors = catalogue_text(view.form, view.files)
        document, more = catalogue_document(text) if text else (None, {})
        errors.update(more)
        if errors:
            return view.render("admin/import.html", status=400, text=text, errors=errors, problems=[])
        try:
            answer = post_catalogue(view, text, dry_run=True)
        except ApiProblem as problem:
            return self._import_refused(view, problem, text, document)
        return view.render(
            "admin/import_preview.html",
            answer=answer,
            text=text,
            sha256=digest(text),
            changes=import_changes(answer),
            summary=import_summary(answer),
            buckets=BUCKETS,
            agency_status=AGENCY_STATUS,
        )

    @http("POST", "/quan-tri/thu-tuc/ap-dung")
    @page(ADMIN, max_bytes=UPLOAD_MAX_BYTES)
    def admin_import_apply(self, request: Any, view: Any) -> Response:
        text = one_newline(view.form.get("noi_dung", ""))
        if not text or view.form.get("sha256", "") != digest(text):
            raise PageRefused(400, "Nội dung tệp khác với bản đã xem trước; hãy nhập và xem trước lại")
        document, errors = catalogue_document(text)
        if errors:
            return view.render("admin/import.html", status=400, text=text, errors=errors, problems=[])
        try:
            answer = post_catalogue(view, text, dry_run=False)
        except ApiProblem as problem:
            return self._import_refused(view, problem, text, document)
        log.info("catalogue imported by %s: %s", view.user.username, import_summary(answer))
        return view.redirect("/quan-tri/thu-tuc", flash="Đã áp dụng tệp danh mục: " + import_summary(answer))

    def _import_refused(self, view: Any, problem: ApiProblem, text: str, document: Any) -> Response:
        if problem.status not in FORM_PROBLEMS and problem.status != 413:
            raise problem
        return view.render(
            "admin/import.html",
            status=problem.status,
            text=text,
            errors={},
            message=problem.message,
            problems=catalogue_problems(problem.fields, document),
        )

    @http("GET", "/quan-tri/thu-tuc/<string:code>")
    @page(ADMIN)
    def admin_procedure(self, request: Any, view: Any, code: str) -> Response:
        answer = view.api.get("intake", f"/api/procedures/{quote(code, safe='')}")
        today = view.now.date()
        versions = [
            {**v, "state": version_state(v, today), "route_words": route_words(v.get("route"))}
            for v in reversed(answer.get("versions") or [])
        ]
        return view.render("admin/procedure.html", code=code, answer=answer, versions=versions, online=ONLINE_SERVICE)

    @http("GET", "/quan-tri/thu-tuc/<string:code>/het-hieu-luc")
    @page(ADMIN)
    def admin_expire_form(self, request: Any, view: Any, code: str) -> Response:
        return self._expire_page(view, code, view.now.date().isoformat(), {})

    @http("POST", "/quan-tri/thu-tuc/<string:code>/het-hieu-luc")
    @page(ADMIN)
    def admin_expire(self, request: Any, view: Any, code: str) -> Response:
        last_day = view.form.get("last_day", "").strip()
        if not last_day:
            return self._expire_page(view, code, last_day, {"last_day": ["Chọn ngày cuối cùng còn hiệu lực"]}, 400)
        try:
            version = view.api.post("intake", f"/api/procedures/{quote(code, safe='')}/expire", {"last_day": last_day})
        except ApiProblem as problem:
            if problem.status not in FORM_PROBLEMS:
                raise
            errors = problem.fields or {"last_day": [problem.message]}
            return self._expire_page(view, code, last_day, errors, problem.status, problem.message)
        done = f"Thủ tục {code} (phiên bản {version['version']}) hết hiệu lực sau ngày {words.day(last_day)}"
        return view.redirect("/quan-tri/thu-tuc", flash=done)

    def _expire_page(
        self, view: Any, code: str, last_day: str, errors: dict[str, Any], status: int = 200, message: str = ""
    ) -> Response:
        answer = view.api.get("intake", f"/api/procedures/{quote(code, safe='')}")
        return view.render(
            "admin/expire.html",
            status=status,
            code=code,
            procedure=answer.get("in_effect"),
            last_day=last_day,
            errors=errors,
            message=message,
        )

    # --- the calendar ----------------------------------------------------------------------------

    @http("GET", "/quan-tri/lich")
    @page(ADMIN)
    def admin_calendar(self, request: Any, view: Any) -> Response:
        year = parse_year(request.args.get("year"), view.now.year)
        if year is None:
            raise PageRefused(400, f"Năm phải là số từ {clock.FIRST_DAY.year} đến {clock.LAST_DAY.year}")
        return self._calendar_page(view, year, {"day": "", "kind": "day_off", "note": ""}, {})

    @http("POST", "/quan-tri/lich/dieu-chinh")
    @page(ADMIN)
    def admin_calendar_set(self, request: Any, view: Any) -> Response:
        typed = {name: view.form.get(name, "").strip() for name in ("day", "kind", "note")}
        day = parse_day(typed["day"])
        year = day.year if day else view.now.year
        if not typed["day"]:
            return self._calendar_page(view, year, typed, {"day": ["Chọn ngày"]}, 400)
        try:
            view.api.call(
                "PUT",
                "intake",
                f"/api/calendar/overrides/{quote(typed['day'], safe='')}",
                json={"kind": typed["kind"], "note": typed["note"]},
            )
        except ApiProblem as problem:
            if problem.status not in FORM_PROBLEMS:
                raise
            return self._calendar_page(view, year, typed, problem.fields, problem.status, problem.message)
        done = f"Đã đặt ngày {words.day(typed['day'])}: {KIND_WORDS.get(typed['kind'], typed['kind'])}"
        return view.redirect(f"/quan-tri/lich?year={year}#dieu-chinh", flash=done)

    @http("POST", "/quan-tri/lich/dieu-chinh/xoa")
    @page(ADMIN)
    def admin_calendar_remove(self, request: Any, view: Any) -> Response:
        day = parse_day(view.form.get("day"))
        if day is None:
            raise PageRefused(400, "Ngày cần xoá không hợp lệ")
        view.api.call("DELETE", "intake", f"/api/calendar/overrides/{day.isoformat()}")
        return view.redirect(
            f"/quan-tri/lich?year={day.year}#dieu-chinh", flash=f"Đã xoá điều chỉnh của ngày {words.day(day)}"
        )

    def _calendar_page(
        self,
        view: Any,
        year: int,
        typed: dict[str, str],
        errors: dict[str, Any],
        status: int = 200,
        message: str = "",
    ) -> Response:
        days = view.api.get("intake", "/api/calendar/days", {"year": year})
        overrides = view.api.get("intake", "/api/calendar/overrides").get("overrides") or []
        return view.render(
            "admin/calendar.html",
            status=status,
            year=year,
            calendar=year_view(days),
            overrides=overrides,
            typed=typed,
            errors=errors,
            message=message,
            kinds=list(KIND_WORDS.items()),
            kind_words=KIND_WORDS,
            day_kinds=DAY_KINDS,
            weekdays=list(zip(WEEKDAYS_SHORT, WEEKDAYS, strict=True)),
        )

    # --- automated departments --------------------------------------------------------------------

    @http("GET", "/quan-tri/phong-ban")
    @page(ADMIN)
    def admin_departments(self, request: Any, view: Any) -> Response:
        return self._departments_page(view, {"department": "", "automated": "true"}, {})

    @http("POST", "/quan-tri/phong-ban")
    @page(ADMIN)
    def admin_department_set(self, request: Any, view: Any) -> Response:
        typed = {
            "department": view.form.get("department", "").strip().upper(),
            "automated": view.form.get("automated", ""),
        }
        if not typed["department"]:
            return self._departments_page(view, typed, {"department": ["Nhập mã phòng ban"]}, 400)
        if typed["automated"] not in ("true", "false"):
            return self._departments_page(view, typed, {"automated": ["Chọn chế độ xử lý"]}, 400)
        automated = typed["automated"] == "true"
        try:
            view.api.call(
                "PUT",
                "processing",
                f"/api/departments/{quote(typed['department'], safe='')}/automation",
                json={"automated": automated},
            )
        except ApiProblem as problem:
            if problem.status not in FORM_PROBLEMS:
                raise
            return self._departments_page(view, typed, problem.fields, problem.status, problem.message)
        mode = "tự động (hệ thống của phòng xử lý)" if automated else "cán bộ xử lý"
        return view.redirect("/quan-tri/phong-ban", flash=f"Phòng {typed['department']} chuyển sang {mode}")

    def _departments_page(
        self, view: Any, typed: dict[str, str], errors: dict[str, Any], status: int = 200, message: str = ""
    ) -> Response:
        automated = set(view.api.get("processing", "/api/departments/automated").get("departments") or [])
        procedures = view.api.get("intake", "/api/procedures").get("procedures") or []
        known = catalogue_departments(procedures)
        rows = [
            {"department": d, "automated": d in automated, "in_catalogue": d in known}
            for d in sorted(known | automated)
        ]
        return view.render(
            "admin/departments.html", status=status, rows=rows, typed=typed, errors=errors, message=message
        )

    # --- accounts ------------------------------------------------------------------------------------

    @http("GET", "/quan-tri/tai-khoan")
    @page(ADMIN)
    def admin_accounts(self, request: Any, view: Any) -> Response:
        return self._accounts_page(view, {"role": "counter"}, {})

    @http("POST", "/quan-tri/tai-khoan")
    @page(ADMIN)
    def admin_account_add(self, request: Any, view: Any) -> Response:
        typed = {name: view.form.get(name, "").strip() for name in ACCOUNT_FIELDS}
        typed["username"] = typed["username"].lower()
        password = view.form.get("password", "")
        problems = account_problems(typed, password)
        if problems:
            return self._accounts_page(view, typed, problems, 400, "Thông tin tài khoản chưa hợp lệ")
        try:
            with self.db.work(WebWork) as work:
                account = application.add_account(
                    work,
                    self.hasher,
                    username=typed["username"],
                    full_name=typed["full_name"],
                    role=typed["role"],
                    agency=typed["agency"] or None,
                    department=typed["department"] or None,
                    password=password,
                    now=view.now,
                )
        except DomainError as exc:
            return self._accounts_page(view, typed, exc.fields, status_of(exc), exc.message)
        log.info("account %s (%s) added by %s", account.username, account.role, view.user.username)
        return view.redirect("/quan-tri/tai-khoan", flash=f"Đã thêm tài khoản {account.username}")

    @http("POST", "/quan-tri/tai-khoan/<string:username>/trang-thai")
    @page(ADMIN)
    def admin_account_state(self, request: Any, view: Any, username: str) -> Response:
        action = view.form.get("action", "")
        if action not in ("disable", "enable"):
            raise PageRefused(400, "Thao tác không hợp lệ")
        if action == "disable" and username == view.user.username:
            raise PageRefused(409, "Bạn không thể tự vô hiệu hoá tài khoản đang dùng")
        with self.db.work(WebWork) as work:
            application.set_active(work, username, action == "enable")
        signed_in_recently.forget(username=username)
        log.info("account %s %sd by %s", username, action, view.user.username)
        done = "Đã vô hiệu hoá" if action == "disable" else "Đã kích hoạt (và mở khoá)"
        return view.redirect("/quan-tri/tai-khoan", flash=f"{done} tài khoản {username}")

    @http("GET", "/quan-tri/tai-khoan/<string:username>/mat-khau")
    @page(ADMIN)
    def admin_password_form(self, request: Any, view: Any, username: str) -> Response:
        return self._password_page(view, username, {})

    @http("POST", "/quan-tri/tai-khoan/<string:username>/mat-khau")
    @page(ADMIN)
    def admin_password(self, request: Any, view: Any, username: str) -> Response:
        password, again = view.form.get("password", ""), view.form.get("password_again", "")
        if password != again:
            return self._password_page(view, username, {"password_again": ["Hai lần nhập mật khẩu không khớp"]}, 400)
        try:
            with self.db.work(WebWork) as work:
                application.set_password(work, self.hasher, username, password)
            signed_in_recently.forget(username=username)
        except InvalidAccount as exc:
            return self._password_page(view, username, exc.fields, 400, exc.message)
        log.info("password of %s set by %s", username, view.user.username)
        if username == view.user.username:  # every session of the account ended, this one too
            view.end_session()
            return view.redirect("/dang-nhap", flash="Đã đặt mật khẩu mới; vui lòng đăng nhập lại")
        return view.redirect(
            "/quan-tri/tai-khoan", flash=f"Đã đặt mật khẩu mới cho {username}; các phiên đăng nhập cũ đã kết thúc"
        )

    def _password_page(
        self, view: Any, username: str, errors: dict[str, Any], status: int = 200, message: str = ""
    ) -> Response:
        with self.db.work(WebWork) as work:
            account = work.accounts.get(username)
            row = account_row(account, view.now) if account is not None else None
        if row is None:
            raise PageRefused(404, f"Không có tài khoản '{username}'")
        return view.render("admin/password.html", status=status, account=row, errors=errors, message=message)

    def _accounts_page(
        self, view: Any, typed: dict[str, str], errors: dict[str, Any], status: int = 200, message: str = ""
    ) -> Response:
        with self.db.work(WebWork) as work:
            rows = [account_row(a, view.now) for a in work.accounts.all()]
        return view.render(
            "admin/accounts.html",
            status=status,
            accounts=rows,
            typed=typed,
            errors=errors,
            message=message,
            roles=[(str(r), words.ROLE[str(r)]) for r in Role],
        )

    # --- the system ------------------------------------------------------------------------------

    @http("GET", "/quan-tri/he-thong")
    @page(ADMIN)
    def admin_system(self, request: Any, view: Any) -> Response:
        states = [probe(self.backends.http, service) for service in config.SERVED]
        for state in states:
            state["notes"] = status_notes(state)
        parked: list[dict[str, Any]] = []
        unread: list[dict[str, str]] = []
        for service in config.SERVICES:
            try:
                parked += view.api.get(service, "/api/dead-letters").get("parked") or []
            except (ApiProblem, Unreachable) as exc:
                unread.append({"service": service, "words": SERVICE_WORDS[service], "message": str(exc)})
        return view.render(
            "admin/system.html",
            states=states,
            up=sum(1 for s in states if s["up"]),
            parked=parked,
            unread=unread,
            service_words=SERVICE_WORDS,
        )

    @http("POST", "/quan-tri/he-thong/gui-lai")
    @page(ADMIN)
    def admin_replay(self, request: Any, view: Any) -> Response:
        service, event_id = view.form.get("service", ""), view.form.get("event_id", "").strip()
        if service not in config.SERVICES or not event_id:
            raise PageRefused(400, "Chưa chọn tin cần gửi lại")
        try:
            answer = view.api.post(service, "/api/dead-letters/replay", {"event_id": event_id})
        except ApiProblem as problem:
            if problem.status != 404:
                raise
            return view.redirect(
                "/quan-tri/he-thong#tin-bi-giu",
                flash=f"Tin {event_id} không còn bị giữ ở dịch vụ {service} (có thể đã được gửi lại)",
            )
        replayed, skipped = answer.get("replayed") or [], answer.get("skipped") or []
        log.info("dead letter %s of %s replayed by %s", event_id, service, view.user.username)
        if replayed:
            done = f"Đã gửi lại {len(replayed)} tin của dịch vụ {service} vào hàng đợi xử lý"
        else:
            done = (
                f"Tin {event_id} không gửi lại được: tin sai định dạng hoặc bị từ chối; hãy xử lý bằng lệnh motcua dlq"
            )
        if skipped and replayed:
            done += f"; {len(skipped)} tin sai định dạng hoặc bị từ chối vẫn bị giữ"
        return view.redirect("/quan-tri/he-thong#tin-bi-giu", flash=done)
