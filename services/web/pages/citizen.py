"""The citizens' pages (/tra-cuu, /nop-ho-so), public: nobody signs in.

The lookup asks intake's POST /api/lookup with the citizen's own address (intake
limits lookups per address and per code) and shows nothing personal: not even the
identifier typed. The online submission posts to intake's POST /api/dossiers as the
portal (channel `online`), with an Idempotency-Key made when the form is shown, and
at most ONLINE_SUBMISSIONS_PER_HOUR dossiers per address."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from services.web import citizen_forms, file_forms, words
from services.web.backends import Api, ApiProblem
from services.web.form_errors import unplaced
from services.web.pages import files, payments
from services.web.pages.base import PageRefused, Pages, View, page
from shared.http import http
from shared.rate_limit import WindowLimiter

PROCEDURE_CODE = re.compile(r"[0-9]\.[0-9]{6}\Z")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
PORTAL_SUBJECT = "web.nop-ho-so"  # who intake records as the submitter of the web's online dossiers
NOT_FOUND = (
    "Không tìm thấy hồ sơ với mã hồ sơ và số giấy tờ đã nhập. Hãy kiểm tra lại mã hồ sơ trên giấy tiếp nhận "
    "(hoặc số đăng ký trực tuyến TN-...) và số giấy tờ đã khai khi nộp hồ sơ."
)
KIND_OPTIONS = list(citizen_forms.IDENTIFIER_WORDS.items())
MAX_ONLINE_FILES = 10  # files sent with one online dossier (the page takes MAX_FORM_BYTES in all)
SUBMISSION_FIELDS = (
    *(f"applicant.{name}" for name in citizen_forms.APPLICANT_FIELDS),
    "return_method",
    "delivery_address",
    "notify",
    "notify.sms",
    "notify.email",
    "documents",
)

_submissions: WindowLimiter | None = None


def submissions(cfg: Any) -> WindowLimiter:
    """This process's limit of online submissions per address."""
    global _submissions
    if _submissions is None:
        _submissions = WindowLimiter(int(cfg.get("ONLINE_SUBMISSIONS_PER_HOUR", 10)), 3600.0)
    return _submissions


def citizen_api(service: Any, view: View) -> Api:
    """The APIs as the citizen: no token, the citizen's own address (never a signed-in
    officer's token, so staff using /tra-cuu count as the address they come from)."""
    return service.backends.api(None, client=view.client)


def portal_api(service: Any, view: View) -> Api:
    """The APIs as the online portal (role `portal`): intake takes online dossiers only from it."""
    return service.backends.as_portal(PORTAL_SUBJECT, client=view.client)


def wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} giây"
    minutes = (seconds + 59) // 60
    return f"{minutes} phút" if minutes < 90 else f"{(minutes + 59) // 60} giờ"


def too_many(view: View, message: str, seconds: int | None) -> Response:
    """429: what was refused and when to come back."""
    response = view.render(
        "citizen/too_many.html",
        status=429,
        message=message,
        wait=wait_words(seconds) if seconds else None,
        again_at=view.now + timedelta(seconds=seconds) if seconds else None,
    )
    if seconds:
        response.headers["Retry-After"] = str(seconds)
    return response


def retry_seconds(problem: ApiProblem) -> int | None:
    """The API's Retry-After."""
    if problem.retry_after and problem.retry_after.strip().isdigit():
        return max(1, int(problem.retry_after.strip()))
    return None


class CitizenPages(Pages):
    # --- tra cứu hồ sơ ------------------------------------------------------------------

    def _lookup_page(self, view: View, status: int = 200, **context: Any) -> Response:
        context.setdefault("code", "")
        context.setdefault("kind", "id_number")
        context.setdefault("errors", {})
        return view.render("citizen/lookup.html", status=status, kinds=KIND_OPTIONS, **context)

    @http("GET", "/tra-cuu")
    @page()
    def citizen_lookup_form(self, request: Any, view: View) -> Response:
        code = (request.args.get("code") or "").strip()[:60]
        return self._lookup_page(view, code=code)

    @http("POST", "/tra-cuu")
    @page()
    def citizen_lookup(self, request: Any, view: View) -> Response:
        def shown(answer: Any) -> Response:
            response = view.render(
                "citizen/lookup_result.html",
                answer=answer,
                steps=citizen_forms.timeline(answer),
                collect=citizen_forms.collect_words(answer),
                kinds=KIND_OPTIONS,
            )
            if (answer.get("payment_due") or {}).get("online"):  # its pay button goes on to the gateway
                return payments.to_gateway(response, self.config.get("PAYMENT_GATEWAY_URL") or "")
            return response

        return self._looked_up(view, lambda api, body: api.post("intake", "/api/lookup", body), shown)

    @http("POST", "/tra-cuu/ket-qua")
    @page()
    def citizen_result_download(self, request: Any, view: View) -> Response:
        """The electronic result (PDF) with the code and the identifier typed again
        (never kept in the page): intake's POST /api/lookup/result passed through as an
        attachment; anything that does not match is the lookup's not-found page."""
        return self._looked_up(
            view,
            lambda api, body: api.stream("intake", "/api/lookup/result", method="POST", json=body),
            lambda answer: files.passed_through(view, answer, download=True),
        )

    def _looked_up(self, view: View, ask: Any, shown: Any) -> Response:
        """The lookup form's code and identifier asked of intake (`ask(api, body)`), its
        answer `shown`; a missing field, not found (the same page whatever was wrong) and
        too many tries as the lookup's own pages."""
        typed = citizen_forms.lookup_form(view.form)
        if typed.errors:
            return self._lookup_page(
                view, 400, code=typed.code, kind=typed.kind, errors=typed.errors, message="Vui lòng nhập đủ thông tin"
            )
        try:
            answer = ask(citizen_api(self, view), typed.body)
        except ApiProblem as problem:
            if problem.status == 404:
                return self._lookup_page(view, 404, not_found=NOT_FOUND)
            if problem.status == 429:
                return too_many(view, problem.message, retry_seconds(problem))
            if problem.status in (400, 422):
                errors = citizen_forms.lookup_errors(problem.fields)
                return self._lookup_page(
                    view, problem.status, code=typed.code, kind=typed.kind, errors=errors, message=problem.message
                )
            raise
        return shown(answer)

    # --- nộp hồ sơ trực tuyến -------------------------------------------------------------

    @http("GET", "/nop-ho-so")
    @page()
    def online_procedures(self, request: Any, view: View) -> Response:
        listed = citizen_api(self, view).get("intake", "/api/procedures")
        online = [p for p in listed.get("procedures", []) if citizen_forms.offered_online(p)]
        online.sort(key=lambda p: (p.get("field") or "", p.get("name") or ""))
        return view.render(
            "citizen/procedures.html", procedures=online, online_words=citizen_forms.ONLINE_SERVICE_WORDS
        )

    def _online_procedure(self, view: View, code: str) -> dict[str, Any]:
        """The procedure in effect today, if it is submitted online; else the 404 page."""
        refused = PageRefused(404, f"Thủ tục {code[:20]} không có trong danh mục nộp hồ sơ trực tuyến")
        if not PROCEDURE_CODE.match(code):
            raise refused
        try:
            found = citizen_api(self, view).get("intake", f"/api/procedures/{quote(code)}")
        except ApiProblem as problem:
            if problem.status == 404:
                raise refused from None
            raise
        procedure = found.get("in_effect") if isinstance(found, dict) else None
        if not procedure or not citizen_forms.offered_online(procedure):
            raise refused
        return dict(procedure)

    def _submission_page(self, view: View, procedure: dict[str, Any], status: int = 200, **context: Any) -> Response:
        context.setdefault("errors", {})
        context.setdefault("general", [])
        return view.render(
            "citizen/submit.html",
            status=status,
            procedure=procedure,
            methods=words.RETURN_METHOD,
            accept=file_forms.ACCEPT,
            other_document=file_forms.OTHER_DOCUMENT,
            ff=file_forms,
            **context,
        )

    @http("GET", "/nop-ho-so/<string:procedure>")
    @page()
    def online_submission_form(self, request: Any, view: View, procedure: str) -> Response:
        found = self._online_procedure(view, procedure)
        values = citizen_forms.submission_values({}, found)
        return self._submission_page(view, found, values=values, key=str(uuid.uuid4()))

    @http("POST", "/nop-ho-so/<string:procedure>")
    @page(max_bytes=file_forms.MAX_FORM_BYTES)
    def online_submission(self, request: Any, view: View, procedure: str) -> Response:
        found = self._online_procedure(view, procedure)
        form = view.form
        key = form.get("idempotency_key", "")
        if not UUID.match(key):
            key = str(uuid.uuid4())
        typed = citizen_forms.submission_form(form, found)
        values = citizen_forms.submission_values(form, found)
        chosen, file_errors = chosen_files(view, found)
        if typed.errors or file_errors:
            typed.errors.update(file_errors)
            return self._submission_page(
                view,
                found,
                400,
                values=values,
                key=key,
                errors=typed.errors,
                message="Hồ sơ chưa gửi được: vui lòng xem các ô được đánh dấu",
            )
        limit = submissions(self.config)
        place = limit.begin(view.client)
        if place is None:
            return too_many(
                view,
                f"Mỗi địa chỉ mạng chỉ được nộp {limit.limit} hồ sơ trực tuyến trong một giờ.",
                limit.retry_after(view.client),
            )
        made = False
        try:
            answer = portal_api(self, view).post("intake", "/api/dossiers", typed.body, idempotency_key=key)
            made = True
        except ApiProblem as problem:
            if problem.status not in (400, 409, 422):
                raise
            errors = citizen_forms.submission_errors(problem.fields, typed.documents)
            message = problem.message
            if problem.code in ("idempotency_key_reused", "request_in_progress"):
                key = str(uuid.uuid4())  # a new submission from here on, if the citizen sends it again
                message = (
                    "Biểu mẫu này đã được gửi trước đó với nội dung khác. Hãy kiểm tra lại thông tin; "
                    "bấm “Nộp hồ sơ” nếu bạn muốn nộp thêm một hồ sơ mới."
                )
            return self._submission_page(
                view,
                found,
                problem.status,
                values=values,
                key=key,
                errors=errors,
                general=unplaced(errors, self._shown(found)),
                message=message,
            )
        finally:
            if not made:
                limit.forgive(place)
        sent: list[dict[str, Any]] = []
        refused: list[str] = []
        reference = answer.get("reference") or answer.get("code")
        for document, papers in chosen:
            done, not_sent, _ = files.upload_all(
                portal_api(self, view), f"/api/dossiers/{quote(str(reference), safe='')}/files", document, papers
            )
            sent += done
            refused += not_sent
        return view.render(
            "citizen/submitted.html", answer=answer, procedure=found, sent=sent, refused=refused, ff=file_forms
        )

    @staticmethod
    def _shown(procedure: dict[str, Any]) -> list[str]:
        rows = range(len(procedure.get("documents") or []))
        return [
            *SUBMISSION_FIELDS,
            *(f"documents.{i}.copies" for i in rows),
            *(f"documents.{i}" for i in rows),
            *(f"tep.{i}" for i in rows),
            "tep.khac",
        ]


Papers = list[tuple[str, list[tuple[str, bytes]]]]  # [(document, [(file name, bytes)])]


def chosen_files(view: View, procedure: dict[str, Any]) -> tuple[Papers, dict[str, list[str]]]:
    """The files chosen for each paper ([(document, [(name, bytes)])]) and what is wrong
    with them, beside their field (checked before the dossier is sent: a refused file
    sends nothing)."""
    if view.request.mimetype != "multipart/form-data":
        return [], {}
    chosen: Papers = []
    errors: dict[str, list[str]] = {}
    inputs = [(f"tep.{i}", str(name)) for i, name in enumerate(procedure.get("documents") or [])]
    count = 0
    for field, document in [*inputs, ("tep.khac", file_forms.OTHER_DOCUMENT)]:
        papers = view.file_list(field)
        count += len(papers)
        wrong = [found for found in (file_forms.check(name, data) for name, data in papers) if found]
        if wrong:
            errors[field] = wrong
        elif papers:
            chosen.append((document, papers))
    if count > MAX_ONLINE_FILES:
        errors.setdefault("tep.khac", []).append(f"Gửi tối đa {MAX_ONLINE_FILES} tệp cùng hồ sơ")
    return chosen, errors
