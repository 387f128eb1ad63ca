"""The counter's pages (/quay): the procedures in effect, the reception form built from
a procedure, today's dossiers and those waiting for acceptance, a dossier with the
actions its status allows (accept, refuse, supplement, hand back, withdraw) and its
printable forms, and finding a dossier. Everything through intake's API with the
officer's token; the form <-> API conversion is services/web/counter_forms.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from services.web import counter_forms as forms
from services.web import file_forms, words
from services.web.backends import ApiProblem
from services.web.form_errors import unplaced
from services.web.pages import files, payments, portal
from services.web.pages.base import Pages, page
from shared.http import http

# what the officer may correct in a form: the API's refusal is shown beside the fields
FORM_PROBLEMS = (400, 409, 422)
PROCEDURES_SHOWN = 30
LISTED = 50
# the statuses a dossier may be withdrawn in (intake's rule), and handed back from
WITHDRAWABLE = ("submitted", "received", "in_progress", "supplement_requested", "awaiting_payment")
HANDED_BACK = ("result_ready", "rejected")
SUPPLEMENT_ROWS = 3
PRINTABLE = {"01": "bien-nhan", "02": "mau-02", "03": "mau-03"}
# the statuses the counter scans papers in (intake's model.TAKES_PAPERS for the counter)
SCANNABLE = ("submitted", "received", "in_progress", "supplement_requested")


def _path(code: str) -> str:
    return quote(code, safe="")


def dossier_url(code: str) -> str:
    return f"/quay/ho-so/{_path(code)}"


def _procedure(view: Any, code: str) -> dict[str, Any]:
    """The procedure's version in effect today (404 page when there is none)."""
    answer = view.api.get_shared("intake", f"/api/procedures/{_path(code)}")
    if not answer.get("in_effect"):
        raise ApiProblem(422, "not_in_effect", f"Thủ tục {code} hiện không còn hiệu lực")
    return dict(answer["in_effect"])


def _procedure_version(view: Any, code: str, version: int) -> dict[str, Any] | None:
    """The version a dossier was received under (its name and documents)."""
    try:
        answer = view.api.get_shared("intake", f"/api/procedures/{_path(code)}")
    except ApiProblem:
        return None
    return next((v for v in answer.get("versions", []) if v.get("version") == version), answer.get("in_effect"))


def _listed(view: Any, **params: Any) -> list[dict[str, Any]]:
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return list(view.api.get("intake", "/api/dossiers", {"limit": LISTED, **params})["dossiers"])


class CounterPages(Pages):
    # --- the counter's home -----------------------------------------------------------

    @http("GET", "/quay")
    @page("counter")
    def counter_home(self, request: Any, view: Any) -> Response:
        q = request.args.get("q", "").strip()[:100]
        procedures = view.api.get_shared("intake", "/api/procedures")["procedures"]
        found = forms.matching_procedures(procedures, q)
        context = {"q": q, "procedures": found[:PROCEDURES_SHOWN], "more": max(0, len(found) - PROCEDURES_SHOWN)}
        if request.headers.get("HX-Request") and request.headers.get("HX-Trigger-Name") == "q":
            return view.render("counter/home.html", partial=True, **context)  # the live search's own part
        today = view.now.date()
        return view.render(
            "counter/home.html",
            partial=False,
            today=today,
            received_today=_listed(view, received_on=today.isoformat()),
            waiting=_listed(view, status="submitted"),
            **context,
        )

    @http("GET", "/quay/tim-ho-so")
    @page("counter")
    def counter_find(self, request: Any, view: Any) -> Response:
        q = request.args.get("q", "").strip()
        found, message = None, None
        if q:
            try:
                found = _listed(view, q=q)
            except ApiProblem as problem:
                if problem.status not in FORM_PROBLEMS:
                    raise
                message = problem.message
                errors = forms.form_errors(problem.fields)
                return view.render(
                    "counter/find.html", status=problem.status, q=q, found=None, message=message, errors=errors
                )
        return view.render("counter/find.html", q=q, found=found, message=message, errors={})

    # --- reception ----------------------------------------------------------------------

    @http("GET", "/quay/nop/<string:procedure_code>")
    @page("counter")
    def counter_reception_form(self, request: Any, view: Any, procedure_code: str) -> Response:
        procedure = _procedure(view, procedure_code)
        values = forms.blank_reception(procedure)
        kind = request.args.get("loai", "")
        values["applicant.kind"] = kind if kind in forms.KINDS else "citizen"
        return self._counter_reception(view, procedure, values)

    @http("POST", "/quay/nop/<string:procedure_code>")
    @page("counter")
    def counter_receive(self, request: Any, view: Any, procedure_code: str) -> Response:
        procedure = _procedure(view, procedure_code)
        values = view.form.to_dict()
        key = values.get("idempotency_key") or forms.new_idempotency_key()
        values["idempotency_key"] = key
        conversion = forms.submission(values, procedure["code"])
        if conversion.errors:
            return self._counter_reception(
                view, procedure, values, conversion.errors, "Thông tin chưa hợp lệ, xem các ô được đánh dấu", 400
            )
        try:
            answer = view.api.post("intake", "/api/dossiers", conversion.body, idempotency_key=key)
        except ApiProblem as problem:
            if problem.status not in FORM_PROBLEMS:
                raise
            errors = forms.form_errors(problem.fields, conversion.rows)
            return self._counter_reception(view, procedure, values, errors, problem.message, problem.status)
        code = answer.get("code") or answer.get("reference")
        due = answer.get("due_at")
        flash = f"Đã tiếp nhận hồ sơ {code}"
        if due:
            flash += f"; hẹn trả kết quả {words.moment(due)}"
        return view.redirect(dossier_url(code), flash=flash)

    def _counter_reception(
        self,
        view: Any,
        procedure: dict[str, Any],
        values: dict[str, str],
        errors: dict[str, list[str]] | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Response:
        kind = forms.kind_of(values)
        rows = forms.rows_of(values)
        postal = "postal" in (procedure.get("return_methods") or [])
        exemptions = [(e["code"], e["name"]) for e in procedure.get("fee_exemptions") or ()]
        errors = errors or {}
        return view.render(
            "counter/reception.html",
            status=status,
            procedure=procedure,
            values=values,
            kind=kind,
            kinds=forms.KINDS,
            kind_fields=forms.KIND_FIELDS[kind],
            rows=rows,
            fixed_rows=len(procedure.get("documents") or []),
            postal=postal,
            exemptions=exemptions,
            errors=errors,
            message=message,
            unplaced=unplaced(errors, forms.reception_fields(kind, rows, postal, bool(exemptions))),
        )

    # --- a dossier ----------------------------------------------------------------------

    @http("GET", "/quay/ho-so/<string:code>")
    @page("counter")
    def counter_dossier(self, request: Any, view: Any, code: str) -> Response:
        return self._counter_dossier(view, code)

    def _counter_dossier(
        self,
        view: Any,
        code: str,
        errors: dict[str, list[str]] | None = None,
        message: str | None = None,
        status: int = 200,
        values: dict[str, Any] | None = None,
        form_02: bool = False,
    ) -> Response:
        dossier = view.api.get("intake", f"/api/dossiers/{_path(code)}")
        procedure = _procedure_version(view, dossier["procedure"]["code"], dossier["procedure"]["version"]) or {}
        name = dossier.get("code") or dossier.get("reference")
        flags = dossier.get("flags") or {}
        hand_back = dossier["status"] in HANDED_BACK and (
            dossier.get("return_method") == "counter" or flags.get("postal_status") == "returned_to_counter"
        )
        return view.render(
            "counter/dossier.html",
            status=status,
            d=dossier,
            name=name,
            url=dossier_url(name),
            procedure=procedure,
            printable={form: f"{dossier_url(name)}/{slug}" for form, slug in PRINTABLE.items()},
            can_withdraw=dossier["status"] in WITHDRAWABLE,
            can_hand_back=hand_back,
            supplement_rows=range(SUPPLEMENT_ROWS),
            errors=errors or {},
            message=message,
            values=values or {},
            missing=view.form.getlist("accept.missing") if view.request.method == "POST" else [],
            form_02=form_02,
            files=dossier.get("files") or [],
            can_scan=dossier["status"] in SCANNABLE,
            scan_documents=[
                (name, name)
                for name in file_forms.document_choices(
                    procedure.get("documents") or (), (doc.get("name", "") for doc in dossier.get("documents") or ())
                )
            ],
            accept=file_forms.ACCEPT,
            ff=file_forms,
            fees=payments.dossier_fees(view, dossier),
            portal_sent=portal.dossier_statuses(view, dossier),
        )

    def _counter_act(
        self, view: Any, code: str, action: str, body: dict[str, Any], prefix: str, done: str, rows: Any = ()
    ) -> Response:
        """Post a counter action; back to the dossier with a flash, or the dossier again
        with the API's message beside the action's fields."""
        try:
            answer = view.api.post("intake", f"/api/dossiers/{_path(code)}/{action}", body)
        except ApiProblem as problem:
            if problem.status not in FORM_PROBLEMS:
                raise
            errors = forms.form_errors(problem.fields, rows, prefix=prefix, documents_at=prefix)
            incomplete = problem.code == "dossier_incomplete"
            return self._counter_dossier(
                view, code, errors, problem.message, problem.status, view.form.to_dict(), incomplete
            )
        name = answer.get("code") or answer.get("reference") or code
        return view.redirect(dossier_url(name), flash=done.format(code=name))

    @http("POST", "/quay/ho-so/<string:code>/tiep-nhan")
    @page("counter")
    def counter_accept(self, request: Any, view: Any, code: str) -> Response:
        body = forms.acceptance(view.form)
        return self._counter_act(view, code, "accept", body, "accept", "Đã tiếp nhận hồ sơ, mã hồ sơ {code}")

    @http("POST", "/quay/ho-so/<string:code>/tu-choi")
    @page("counter")
    def counter_refuse(self, request: Any, view: Any, code: str) -> Response:
        body = forms.reason(view.form, "refuse")
        return self._counter_act(
            view, code, "refuse", body, "refuse", "Đã từ chối tiếp nhận hồ sơ {code}; in Mẫu 03 để giao cho người nộp"
        )

    @http("POST", "/quay/ho-so/<string:code>/bo-sung")
    @page("counter")
    def counter_supplement(self, request: Any, view: Any, code: str) -> Response:
        conversion = forms.supplement(view.form)
        if conversion.errors:
            return self._counter_dossier(
                view,
                code,
                conversion.errors,
                "Thông tin chưa hợp lệ, xem các ô được đánh dấu",
                400,
                view.form.to_dict(),
            )
        return self._counter_act(
            view,
            code,
            "supplement",
            conversion.body,
            "supplement",
            "Đã nhận giấy tờ bổ sung của hồ sơ {code}",
            conversion.rows,
        )

    @http("POST", "/quay/ho-so/<string:code>/tra-ket-qua")
    @page("counter")
    def counter_hand_back(self, request: Any, view: Any, code: str) -> Response:
        return self._counter_act(view, code, "return", {}, "return", "Đã trả kết quả hồ sơ {code}")

    @http("POST", "/quay/ho-so/<string:code>/rut")
    @page("counter")
    def counter_withdraw(self, request: Any, view: Any, code: str) -> Response:
        body = forms.reason(view.form, "withdraw")
        return self._counter_act(view, code, "withdraw", body, "withdraw", "Đã ghi nhận rút hồ sơ {code}")

    # --- the dossier's files (scans) ------------------------------------------------------

    @http("POST", "/quay/ho-so/<string:code>/tep")
    @page("counter", max_bytes=file_forms.MAX_FORM_BYTES)
    def counter_attach(self, request: Any, view: Any, code: str) -> Response:
        """The scans of one document (several files): each to intake; what it refuses is
        said beside the file field, what went in is listed."""
        document = view.form.get("scan.document", "").strip()
        chosen = view.file_list("scan.files")
        errors: dict[str, list[str]] = {}
        if not document:
            errors["scan.document"] = ["Chọn giấy tờ của các tệp"]
        if not chosen:
            errors["scan.files"] = ["Chọn ít nhất một tệp (PDF, JPEG, PNG)"]
        elif len(chosen) > file_forms.MAX_FILES:
            errors["scan.files"] = [f"Mỗi lần gửi tối đa {file_forms.MAX_FILES} tệp"]
        if errors:
            values = {"scan.document": document}
            return self._counter_dossier(view, code, errors, "Chưa đính kèm được tệp", 400, values)
        done, refused, status = files.upload_all(view.api, f"/api/dossiers/{_path(code)}/files", document, chosen)
        if refused:
            message = "Có tệp chưa đính kèm được, xem bên dưới"
            if done:
                message += "; đã đính kèm: " + ", ".join(f["name"] for f in done)
            values = {"scan.document": document}
            return self._counter_dossier(view, code, {"scan.files": refused}, message, status, values)
        names = ", ".join(f["name"] for f in done)
        return view.redirect(dossier_url(code) + "#tep", flash=f"Đã đính kèm {len(done)} tệp vào hồ sơ: {names}")

    @http("GET", "/quay/ho-so/<string:code>/tep/<string:file_id>")
    @page("counter")
    def counter_file(self, request: Any, view: Any, code: str, file_id: str) -> Response:
        return files.dossier_file(view, code, file_id, download=request.args.get("tai") == "1")

    # --- the printable forms (intake renders them) -------------------------------------

    @http("GET", "/quay/ho-so/<string:code>/bien-nhan")
    @page("counter")
    def counter_print_receipt(self, request: Any, view: Any, code: str) -> Response:
        return view.passthrough(view.api.get("intake", f"/api/dossiers/{_path(code)}/receipt"))

    @http("GET", "/quay/ho-so/<string:code>/mau-02")
    @page("counter")
    def counter_print_form_02(self, request: Any, view: Any, code: str) -> Response:
        return view.passthrough(view.api.get("intake", f"/api/dossiers/{_path(code)}/forms/02"))

    @http("GET", "/quay/ho-so/<string:code>/mau-03")
    @page("counter")
    def counter_print_form_03(self, request: Any, view: Any, code: str) -> Response:
        return view.passthrough(view.api.get("intake", f"/api/dossiers/{_path(code)}/forms/03"))
