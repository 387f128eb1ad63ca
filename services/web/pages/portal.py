"""The national public service portal connector's screens (Cổng Dịch vụ công quốc gia).
For the administrator: how far the portal is from the register (reachable or not since
when, the statuses owed, sent and parked with "Gửi lại", the portal's latest dossiers,
the last catalogue pull), and the catalogue kept in step with the national database
(the staleness report, a pull previewed or applied and its report, the last pulls).
For the counter: what the portal was told of a dossier, on the dossier's page.

Everything through the connector's API (GET /api/portal/overview, POST
/api/portal/statuses/{dossier_key}/{seq}/resend, GET /api/portal/statuses?dossier_code=,
POST /api/portal/catalog/pull, GET /api/portal/catalog/differences, GET
/api/portal/catalog/pulls). The connector down takes no page with it: each page says
what it could not read. The helpers above the mixin are framework-free
(tests/unit/web/test_portal_pages.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Response

from services.web import words
from services.web.backends import ApiProblem, Unreachable
from services.web.pages.admin import ONLINE_SERVICE
from services.web.pages.base import PageRefused, Pages, page
from shared.http import http

log = logging.getLogger(__name__)

HOME = "/quan-tri/cong-dvc"
CATALOGUE = HOME + "/danh-muc"
SECTION = "cong-dvc"  # the admin menu's entry (templates/admin/_nav.html)
# the catalogue page's two buttons (form field "chay"): a dry run, or the pull applied
RUNS = {"xem-truoc": True, "dong-bo": False}
NIGHTLY = "nightly"  # who the connector's own nightly pull is by
# what intake's import did (or would do) with a pull's entries, in the order people look
# for them; `missing_from_source` is left out: a pull brings only the changes, so it
# would list every other procedure in effect
APPLIED = (
    ("expired", "hết hiệu lực"),
    ("changed", "thay đổi (phiên bản mới hoặc ngày hết hiệu lực mới)"),
    ("added", "thêm mới"),
)
KEY_MAX = 60
NOTHING = "(không có)"


# --- framework-free helpers (tests/unit/web/test_portal_pages.py) -------------------------


def status_state(status: Mapping[str, Any]) -> str:
    """sent, parked (the portal refused it: an administrator resends it) or waiting."""
    if status.get("sent_at"):
        return "sent"
    if status.get("parked_at"):
        return "parked"
    return "waiting"


def status_row(status: Mapping[str, Any]) -> dict[str, Any]:
    """A STATUS of the connector with its state in words and the moment that goes with it."""
    state = status_state(status)
    when = {"sent": status.get("sent_at"), "parked": status.get("parked_at")}.get(state)
    return {
        **status,
        "state": state,
        "state_words": words.PORTAL_STATUS_STATE[state],
        "when": words.moment(when) if when else "",
    }


def sent_rows(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """GET /api/portal/statuses' answer as the counter's rows, in seq order."""
    return [status_row(s) for s in answer.get("statuses") or ()]


def reachability(portal: Mapping[str, Any]) -> dict[str, Any]:
    """The overview's `portal`: reachable or not, said in a sentence."""
    if portal.get("reachable"):
        return {"reachable": True, "text": "Đang kết nối bình thường với Cổng Dịch vụ công quốc gia"}
    text = "Không kết nối được với Cổng Dịch vụ công quốc gia"
    if portal.get("since"):
        text += f" từ {words.moment(portal['since'])}"
    if portal.get("reason"):
        text += f" ({portal['reason']})"
    return {
        "reachable": False,
        "text": text + "; các trạng thái hồ sơ chờ và được gửi khi Cổng trả lời trở lại",
    }


def arrival_row(arrival: Mapping[str, Any]) -> dict[str, Any]:
    """An ARRIVAL (a dossier submitted on the portal) with its state and channel in words."""
    state, via = str(arrival.get("state") or ""), str(arrival.get("via") or "")
    return {
        **arrival,
        "state_words": words.ARRIVAL_STATE.get(state, state),
        "via_words": words.ARRIVAL_VIA.get(via, via),
        "files_words": f"{arrival.get('files_done') or 0}/{arrival.get('files') or 0}",
    }


def pulled_by(by: Any) -> str:
    """Who pulled: the nightly timer, a command, or the administrator's account (the
    connector keeps the caller as role/where/username)."""
    text = str(by or "")
    if text == NIGHTLY:
        return "Tự động hằng đêm"
    role, _, rest = text.partition("/")
    if rest and role == "admin":
        return rest.rpartition("/")[2] or text
    return text


def pull_error(report: Mapping[str, Any]) -> str:
    """Why a pull did not apply, readable: intake's refusal comes as 'HTTP 422: <its
    JSON error>', of which the message is what a person reads."""
    error = report.get("error")
    if not error:
        return ""
    if isinstance(error, Mapping):
        inner = error.get("error")
        found: Mapping[str, Any] = inner if isinstance(inner, Mapping) else error
        return str(found.get("message") or json.dumps(error, ensure_ascii=False))
    text = str(error)
    start = text.find("{")
    if start >= 0:
        try:
            body = json.loads(text[start:])
            message = body["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return text
        lead = text[:start].strip().rstrip(":")
        return f"{message} ({lead})" if lead else str(message)
    return text


def outcome_words(outcome: Any, dry_run: Any) -> str:
    if outcome == "applied" and dry_run:
        return "Đã xem trước (danh mục chưa thay đổi)"
    return words.PULL_OUTCOME.get(str(outcome), str(outcome or ""))


def applied_lists(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What intake's import did with the pull (or would do, in a dry run): the lists that
    have something, each with its title."""
    applied = report.get("applied") or {}
    lead = "Sẽ" if report.get("dry_run") else "Đã"
    lists = []
    for key, what in APPLIED:
        items = list(applied.get(key) or ())
        if items:
            lists.append({"key": key, "title": f"{lead} {what}", "items": items})
    return lists


def pull_summary(report: Mapping[str, Any]) -> str:
    """A pull's outcome in one sentence (the flash after the buttons)."""
    outcome, dry_run = report.get("outcome"), bool(report.get("dry_run"))
    unmapped = len(report.get("unmapped") or ())
    rest = f"; {unmapped} mục chưa đồng bộ được, cần xử lý thủ công" if unmapped else ""
    if outcome == "applied":
        applied = report.get("applied") or {}
        counts = {key: len(applied.get(key) or ()) for key, _ in APPLIED}
        lead = "Xem trước (chưa thay đổi gì)" if dry_run else "Đã đồng bộ danh mục với CSDL quốc gia"
        verb = "sẽ " if dry_run else ""
        return (
            f"{lead}: {counts['expired']} thủ tục {verb}hết hiệu lực, {counts['changed']} {verb}thay đổi, "
            f"{counts['added']} {verb}thêm mới{rest}"
        )
    if outcome == "nothing_to_do":
        return "Danh mục đã khớp với CSDL quốc gia, không có gì cần cập nhật" + rest
    return f"Chưa đồng bộ được danh mục: {pull_error(report) or outcome_words(outcome, dry_run)}"


def _fee_words(fee: Any) -> str:
    if not isinstance(fee, Mapping):
        return str(fee)
    amount = fee.get("amount")
    kind = words.FEE_KIND.get(str(fee.get("kind")), str(fee.get("kind") or ""))
    figure = words.dong(amount) if amount is not None else "chưa có mức thu"
    return f"{fee.get('name')}: {figure}" + (f" ({kind.lower()})" if kind else "")


def shown(name: str, value: Any) -> str:
    """A value the staleness report compares, as a person reads it."""
    if value is None or value == "" or value == []:
        return "Không thời hạn" if name == "effective_to" else NOTHING
    if name == "online_service":
        return ONLINE_SERVICE.get(str(value), str(value))
    if name == "duration_days":
        return f"{value} ngày làm việc"
    if name == "effective_to":
        return words.day(value) or str(value)
    if name == "fees" and isinstance(value, list):
        return "; ".join(_fee_words(fee) for fee in value)
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value)


def difference_rows(differences: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each DIFF with its kind in words and its differing values side by side, in the
    order the connector compares them."""
    order = list(words.CATALOGUE_FIELD)
    rows = []
    for diff in differences:
        fields = diff.get("fields") or {}
        names = sorted(fields, key=lambda n: order.index(n) if n in order else len(order))
        kind = str(diff.get("kind") or "")
        rows.append(
            {
                "code": diff.get("code"),
                "name": diff.get("name"),
                "kind": kind,
                "kind_words": words.DIFF_KIND.get(kind, kind),
                "fields": [
                    {
                        "label": words.CATALOGUE_FIELD.get(n, n),
                        "local": shown(n, (fields[n] or {}).get("local")),
                        "national": shown(n, (fields[n] or {}).get("national")),
                    }
                    for n in names
                ],
            }
        )
    return rows


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def find_pull(pulls: Iterable[Mapping[str, Any]], when: str) -> Mapping[str, Any] | None:
    """The pull of the moment `when` (its report's pulled_at, ISO 8601 in any offset)."""
    wanted = _when(when)
    if wanted is None or wanted.tzinfo is None:
        return None
    for pull in pulls:
        found = _when(pull.get("pulled_at"))
        if found is not None and found.tzinfo is not None and found == wanted:
            return pull
    return None


def pull_rows(pulls: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **pull,
            "by_words": pulled_by(pull.get("by")),
            "run_words": "Xem trước" if pull.get("dry_run") else "Đồng bộ",
            "outcome_words": outcome_words(pull.get("outcome"), pull.get("dry_run")),
            "link": CATALOGUE + "?" + urlencode({"lan": pull.get("pulled_at") or ""}) + "#bao-cao",
        }
        for pull in pulls
    ]


def resend_target(form: Mapping[str, str]) -> tuple[str, int] | None:
    """The "Gửi lại" form's status: (dossier_key, seq), or None when it names none."""
    key = (form.get("dossier_key") or "").strip()
    seq = (form.get("seq") or "").strip()
    if not key or len(key) > KEY_MAX or not (seq.isascii() and seq.isdigit()) or len(seq) > 9 or int(seq) < 1:
        return None
    return key, int(seq)


def run_choice(form: Mapping[str, str]) -> bool | None:
    """The catalogue page's button: True for a dry run, False to apply, None for neither."""
    return RUNS.get(form.get("chay") or "")


# --- reading the connector ------------------------------------------------------------------


def _read(view: Any, path: str, params: dict[str, Any] | None = None) -> tuple[Any, str | None]:
    """The connector's answer, or None and what to say instead (it down, or refusing:
    a 503 of the staleness report when the portal or intake cannot be read). A session
    that outlived its account still goes back to the sign-in page."""
    try:
        return view.api.get("portal", path, params), None
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        return None, problem.message
    except Unreachable as exc:
        return None, str(exc)


def dossier_statuses(view: Any, dossier: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The counter's section "Cổng Dịch vụ công quốc gia": the statuses told to the portal,
    nothing when none was (404) or the connector cannot say (the dossier page stands)."""
    code = dossier.get("code") or dossier.get("reference")
    if not code:
        return []
    try:
        return sent_rows(view.api.get("portal", "/api/portal/statuses", {"dossier_code": code}))
    except ApiProblem as problem:
        if problem.status != 404:  # 404: nothing told to the portal yet
            log.warning("statuses of %s at the portal connector not shown: %s", code, problem)
        return []
    except Unreachable:
        return []


class PortalPages(Pages):
    @http("GET", HOME)
    @page("admin")
    def admin_portal(self, request: Any, view: Any) -> Response:
        overview, unavailable = _read(view, "/api/portal/overview")
        if overview is None:
            return view.render("portal/overview.html", status=503, section=SECTION, unavailable=unavailable)
        last = overview.get("last_pull")
        return view.render(
            "portal/overview.html",
            section=SECTION,
            unavailable=None,
            portal=reachability(overview.get("portal") or {}),
            url=(overview.get("portal") or {}).get("url"),
            counts=overview.get("statuses") or {},
            arrivals=overview.get("arrivals") or {},
            parked=[status_row(s) for s in overview.get("parked") or ()],
            latest=[arrival_row(a) for a in overview.get("arrivals_latest") or ()],
            last_pull=pull_rows([last])[0] if last else None,
        )

    @http("POST", HOME + "/gui-lai")
    @page("admin")
    def admin_portal_resend(self, request: Any, view: Any) -> Response:
        """A parked status sent again (the dossier's later ones follow it); back to the
        page with what happened."""
        target = resend_target(view.form)
        if target is None:
            raise PageRefused(400, "Chưa chọn trạng thái cần gửi lại (dossier_key và seq của trạng thái)")
        key, seq = target
        back = HOME + "#bi-giu"
        try:
            status = view.api.post("portal", f"/api/portal/statuses/{quote(key, safe='')}/{seq}/resend")
        except ApiProblem as problem:
            if problem.status == 401:
                raise
            return view.redirect(back, flash=f"Không gửi lại được trạng thái {key}/{seq}: {problem.message}")
        except Unreachable as exc:
            return view.redirect(back, flash=f"Chưa gửi lại được trạng thái {key}/{seq}: {exc}")
        log.info("portal status %s/%s resent by %s", key, seq, view.user.username)
        done = (
            f"Đã đưa trạng thái {status['number']} “{status['name']}” của hồ sơ {status['dossier_code']} "
            "vào hàng chờ gửi lại Cổng Dịch vụ công quốc gia"
        )
        return view.redirect(back, flash=done)

    @http("GET", CATALOGUE)
    @page("admin")
    def admin_portal_catalogue(self, request: Any, view: Any) -> Response:
        return self._catalogue_page(view, (request.args.get("lan") or "").strip()[:60])

    @http("POST", CATALOGUE)
    @page("admin")
    def admin_portal_pull(self, request: Any, view: Any) -> Response:
        """ "Xem trước" or "Đồng bộ ngay": the connector pulls the national catalogue now;
        its report is shown on the page (after a redirect, so that reloading the page
        does not pull again)."""
        dry_run = run_choice(view.form)
        if dry_run is None:
            return self._catalogue_page(view, "", 400, "Chọn “Xem trước” hoặc “Đồng bộ ngay”")
        try:
            report = view.api.post("portal", "/api/portal/catalog/pull", {"dry_run": dry_run})
        except ApiProblem as problem:
            if problem.status == 401:
                raise
            return self._catalogue_page(view, "", problem.status, f"Chưa đồng bộ được danh mục: {problem.message}")
        except Unreachable as exc:
            return self._catalogue_page(view, "", 503, f"Chưa đồng bộ được danh mục: {exc}")
        log.info(
            "catalogue pull%s by %s: %s", " (dry run)" if dry_run else "", view.user.username, report.get("outcome")
        )
        where = CATALOGUE + "?" + urlencode({"lan": report.get("pulled_at") or ""}) + "#bao-cao"
        return view.redirect(where, flash=pull_summary(report))

    def _catalogue_page(self, view: Any, when: str, status: int = 200, message: str | None = None) -> Response:
        staleness, unavailable = _read(view, "/api/portal/catalog/differences")
        listed, pulls_unavailable = _read(view, "/api/portal/catalog/pulls")
        pulls = list((listed or {}).get("pulls") or ())
        chosen = find_pull(pulls, when) if when else None
        report = None
        if chosen is not None:
            found = chosen.get("report") or {}
            report = {
                **pull_rows([chosen])[0],
                "error": pull_error(found),
                "lists": applied_lists(found),
                "unmapped": found.get("unmapped") or [],
                "entries": found.get("entries"),
            }
        elif when and listed is not None:
            message = message or "Không tìm thấy lần đồng bộ này trong các lần gần đây"
        return view.render(
            "portal/catalogue.html",
            status=status,
            section=SECTION,
            message=message,
            unavailable=unavailable,
            staleness=staleness,
            differences=difference_rows((staleness or {}).get("differences") or ()),
            unmapped=(staleness or {}).get("unmapped") or [],
            pulls=pull_rows(pulls),
            pulls_unavailable=pulls_unavailable,
            report=report,
        )
