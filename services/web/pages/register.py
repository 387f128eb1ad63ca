"""The register's screens: finding dossiers in the register (sổ đăng ký hồ sơ), the
tracking book (sổ theo dõi hồ sơ), the statistics of dossiers resolved (Biểu 06, with
charts drawn on the server by services/web/charts.py) and the catalogue's report.

Everything is read from intake's API with the person's token (intake scopes it: a
counter sees its agency, an officer its department); the CSV and Excel downloads are
intake's own attachments streamed through."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from werkzeug.wrappers import Response

from services.web import charts, words
from services.web.backends import ApiProblem
from services.web.form_errors import flatten, unplaced
from services.web.pages import files
from services.web.pages.base import PageRefused, Pages, page
from services.web.pages.counter import dossier_url as counter_dossier_url
from services.web.pages.department import dossier_url as department_dossier_url
from shared.http import http

# what a person may correct in a form: the API's refusal shown beside the fields
FORM_PROBLEMS = (400, 422)
REGISTER_FILTERS = ("q", "status", "channel", "field", "procedure", "received_from", "received_to", "due_before")
DOWNLOADS = {"csv": "Tải CSV", "xlsx": "Tải Excel"}
UPCOMING_DAYS = 30  # the catalogue report's "coming into effect" window (intake's)
NO_REFUSAL: dict[str, Any] = {"errors": {}, "message": None, "unplaced": [], "status": 200}


def _typed(args: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: (args.get(name) or "").strip()[:100] for name in names}


def _given(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v not in (None, "")}


def _link(path: str, params: Mapping[str, Any]) -> str:
    given = _given(params)
    return f"{path}?{urlencode(given)}" if given else path


def _refusal(problem: ApiProblem, shown: tuple[str, ...]) -> dict[str, Any]:
    """The API's 400/422 as the page's form shows it (anything else is the error page)."""
    if problem.status not in FORM_PROBLEMS:
        raise problem
    errors = flatten(problem.fields)
    return {"errors": errors, "message": problem.message, "unplaced": unplaced(errors, shown), "status": problem.status}


def _downloads(path: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (label, link) of each download of a report as the form asks it."""
    return [(label, _link(path, {**params, "format": fmt})) for fmt, label in DOWNLOADS.items()]


def _download(view: Any, path: str, params: Mapping[str, Any]) -> Response:
    """Intake's attachment (?format=csv|xlsx) passed through as it arrives, its file name kept."""
    fmt = view.request.args.get("format", "")
    if fmt not in DOWNLOADS:
        raise PageRefused(400, "Định dạng tải về là CSV hoặc Excel (xlsx)")
    answer = view.api.stream("intake", path, params={**_given(params), "format": fmt})
    return files.passed_through(view, answer, download=True)


def dossier_link(user: Any, dossier: Mapping[str, Any]) -> str | None:
    """Where the person opens a dossier of the register: the counter's page, the
    officer's department page (a received dossier only), nothing for an administrator."""
    name = dossier.get("code") or dossier.get("reference")
    if user.role == "counter" and name:
        return counter_dossier_url(name)
    if user.role == "officer" and dossier.get("code"):
        return department_dossier_url(user.department or "", dossier["code"])
    return None


def this_month(today: date) -> tuple[date, date]:
    return today.replace(day=1), today.replace(day=monthrange(today.year, today.month)[1])


class RegisterPages(Pages):
    # --- the register ---------------------------------------------------------------------

    @http("GET", "/so-dang-ky")
    @page("counter", "officer", "admin")
    def register_search(self, request: Any, view: Any) -> Response:
        typed = _typed(request.args, REGISTER_FILTERS)
        typed["overdue"] = "true" if request.args.get("overdue") else ""
        limit = request.args.get("limit", "").strip()[:4]  # a smaller page than intake's default
        params = _given({**typed, "limit": limit})
        after = request.args.get("after", "").strip()
        context = dict(NO_REFUSAL)
        try:
            answer = view.api.get("intake", "/api/dossiers", {**params, "after": after} if after else params)
        except ApiProblem as problem:
            context.update(_refusal(problem, (*REGISTER_FILTERS, "overdue")))
            answer = {"dossiers": [], "next": None}
        rows = [
            {**d, "name": d.get("code") or d.get("reference"), "url": dossier_link(view.user, d)}
            for d in answer["dossiers"]
        ]
        following = answer.get("next")
        return view.render(
            "register/search.html",
            typed=typed,
            typed_limit=limit,
            rows=rows,
            searched=bool(params),
            first_page=_link("/so-dang-ky", params) if after else None,
            next_page=_link("/so-dang-ky", {**params, "after": following}) if following else None,
            statuses=[("", "Tất cả trạng thái"), *words.STATUS.items()],
            channels=[("", "Tất cả các kênh"), *words.CHANNEL.items()],
            **context,
        )

    # --- the tracking book ------------------------------------------------------------------

    def _book_params(self, view: Any) -> dict[str, str]:
        first, last = this_month(view.now.date())
        typed = _typed(view.request.args, ("from", "to", "agency"))
        typed["from"] = typed["from"] or first.isoformat()
        typed["to"] = typed["to"] or last.isoformat()
        if view.user.role != "admin":
            typed["agency"] = ""  # intake takes the counter's own agency
        return typed

    @http("GET", "/so-theo-doi")
    @page("counter", "admin")
    def register_book(self, request: Any, view: Any) -> Response:
        typed = self._book_params(view)
        context = dict(NO_REFUSAL)
        try:
            book = view.api.get("intake", "/api/register/book", {**_given(typed), "format": "json"})
        except ApiProblem as problem:
            context.update(_refusal(problem, ("from", "to", "agency")))
            book = None
        return view.render(
            "register/book.html",
            typed=typed,
            book=book,
            printable=_link("/so-theo-doi/in", typed),
            downloads=_downloads("/so-theo-doi/tai", typed),
            **context,
        )

    @http("GET", "/so-theo-doi/in")
    @page("counter", "admin")
    def register_book_printable(self, request: Any, view: Any) -> Response:
        typed = self._book_params(view)
        return view.passthrough(view.api.get("intake", "/api/register/book", {**_given(typed), "format": "html"}))

    @http("GET", "/so-theo-doi/tai")
    @page("counter", "admin")
    def register_book_download(self, request: Any, view: Any) -> Response:
        return _download(view, "/api/register/book", self._book_params(view))

    # --- the statistics (Biểu 06) ------------------------------------------------------------

    def _summary_params(self, view: Any) -> dict[str, str]:
        today = view.now.date()
        typed = _typed(view.request.args, ("from", "to", "agency", "group_by"))
        typed["from"] = typed["from"] or today.replace(month=1, day=1).isoformat()
        typed["to"] = typed["to"] or today.isoformat()
        typed["group_by"] = typed["group_by"] or "field"
        return typed

    @http("GET", "/quan-tri/thong-ke")
    @page("admin")
    def admin_statistics(self, request: Any, view: Any) -> Response:
        typed = self._summary_params(view)
        context = dict(NO_REFUSAL)
        summaries: dict[str, Any] = {}
        try:
            for group_by in (typed["group_by"], "month", "field", "department"):
                if group_by not in summaries:
                    params = {**_given(typed), "group_by": group_by, "format": "json"}
                    summaries[group_by] = view.api.get("intake", "/api/reports/summary", params)
        except ApiProblem as problem:
            context.update(_refusal(problem, ("from", "to", "agency", "group_by")))
            summaries = {}
        return view.render(
            "register/statistics.html",
            section="thong-ke",
            typed=typed,
            summary=summaries.get(typed["group_by"]),
            charts=statistics_charts(summaries) if summaries else [],
            groupings=list(words.GROUP_BY.items()),
            downloads=_downloads("/quan-tri/thong-ke/tai", typed),
            number=charts.whole,
            figures=[key for _, columns in words.SUMMARY_COLUMNS for key, _ in columns],
            **context,
        )

    @http("GET", "/quan-tri/thong-ke/tai")
    @page("admin")
    def admin_statistics_download(self, request: Any, view: Any) -> Response:
        return _download(view, "/api/reports/summary", self._summary_params(view))

    # --- the catalogue's report ----------------------------------------------------------------

    def _catalogue_params(self, view: Any) -> dict[str, str]:
        typed = _typed(view.request.args, ("on", "agency"))
        typed["on"] = typed["on"] or view.now.date().isoformat()
        return typed

    @http("GET", "/quan-tri/danh-muc/bao-cao")
    @page("admin")
    def admin_catalogue_report(self, request: Any, view: Any) -> Response:
        typed = self._catalogue_params(view)
        context = dict(NO_REFUSAL)
        try:
            report = view.api.get("intake", "/api/procedures/report", {**_given(typed), "format": "json"})
        except ApiProblem as problem:
            context.update(_refusal(problem, ("on", "agency")))
            report = None
        return view.render(
            "register/catalogue_report.html",
            section="thu-tuc",
            typed=typed,
            report=report,
            upcoming_days=UPCOMING_DAYS,
            downloads=_downloads("/quan-tri/danh-muc/bao-cao/tai", typed),
            **context,
        )

    @http("GET", "/quan-tri/danh-muc/bao-cao/tai")
    @page("admin")
    def admin_catalogue_report_download(self, request: Any, view: Any) -> Response:
        return _download(view, "/api/procedures/report", self._catalogue_params(view))


def month_labels(keys: list[str]) -> list[str]:
    """A chart's short month names from the summary's keys (YYYY-MM): T1, T2 ... within
    one year, T12/25, T1/26 across years."""
    one_year = len({key[:4] for key in keys}) <= 1
    return [f"T{int(key[5:7])}" + ("" if one_year else f"/{key[2:4]}") for key in keys]


def statistics_charts(summaries: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statistics page's three charts, each with the figures of its table fallback:
    {key, title, svg, columns, rows}, from the summaries by month, field and department."""
    months = summaries["month"]["groups"]
    labels = [str(g["label"]) for g in months]
    short = month_labels([str(g["key"]) for g in months])
    received, resolved = [g["received"] for g in months], [g["resolved"] for g in months]
    rates = [
        (str(g["label"]), g["on_time_rate"]) for g in summaries["field"]["groups"] if g["on_time_rate"] is not None
    ]
    overdue = sorted(
        ((str(g["label"]), g["in_progress_overdue"]) for g in summaries["department"]["groups"]), key=lambda r: -r[1]
    )
    by_month = ("bieu-do-thang", "Hồ sơ tiếp nhận và đã giải quyết theo tháng")
    by_field = ("bieu-do-dung-han", "Tỷ lệ giải quyết đúng hạn theo lĩnh vực")
    by_department = ("bieu-do-qua-han", "Hồ sơ đang giải quyết quá hạn theo phòng ban")
    drawn = [
        (
            by_month,
            charts.grouped_bars(
                *by_month,
                "Biểu đồ cột: số hồ sơ tiếp nhận và số hồ sơ đã giải quyết của từng tháng trong kỳ.",
                short,
                [
                    charts.Series("Tiếp nhận", "series-1", received),
                    charts.Series("Đã giải quyết", "series-2", resolved),
                ],
            ),
            ("Tháng", "Tiếp nhận", "Đã giải quyết"),
            [(m, charts.whole(r), charts.whole(d)) for m, r, d in zip(labels, received, resolved, strict=True)],
        ),
        (
            by_field,
            charts.horizontal_bars(
                *by_field,
                "Biểu đồ thanh ngang: tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn trên số hồ sơ đã giải quyết, "
                "theo lĩnh vực (lĩnh vực chưa có hồ sơ đã giải quyết không được vẽ).",
                rates,
                css="series-2",
                top=1.0,
                number=words.percent,
                integers=False,
            ),
            ("Lĩnh vực", "Tỷ lệ đúng hạn"),
            [(label, words.percent(rate)) for label, rate in rates],
        ),
        (
            by_department,
            charts.horizontal_bars(
                *by_department,
                "Biểu đồ thanh ngang: số hồ sơ đang giải quyết đã quá hạn vào cuối kỳ, theo phòng ban.",
                overdue,
                css="series-3",
                empty="Không có hồ sơ quá hạn",
            ),
            ("Phòng ban", "Quá hạn"),
            [(label, charts.whole(n)) for label, n in overdue],
        ),
    ]
    return [
        {"key": key, "title": title, "svg": Markup(svg), "columns": columns, "rows": rows}
        for (key, title), svg, columns, rows in drawn
    ]
