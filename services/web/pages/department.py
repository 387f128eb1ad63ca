"""A department's pages (/phong/{department}): the queue, taking the next dossier,
a dossier with its documents, history and deadlines, the decisions (approve,
transfer, request a supplement, reject), the apology with a new date (Form 04) and
the control slip (Form 05).

Only the officers of that department open them: another department's pages answer
the 403 page before any API is called (processing would refuse too). Everything
goes through processing's and intake's APIs with the officer's token."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from services.web import file_forms
from services.web import queue_view as qv
from services.web.backends import ApiProblem
from services.web.form_errors import flatten, rename
from services.web.pages import files
from services.web.pages.base import PageRefused, Pages, page
from shared.http import http

# the API refusals a form shows beside its fields (anything else is the error page)
FORM_PROBLEMS = (400, 409, 422)
# the catalogue's route departments (for the transfer's list), re-read at most this often
CATALOGUE_SECONDS = 300

DONE = {
    "approve": "Đã duyệt hồ sơ {code}; hồ sơ chuyển sang bước tiếp theo",
    "transfer": "Đã chuyển liên thông hồ sơ {code} sang {to}",
    "request_supplement": "Đã gửi yêu cầu bổ sung hồ sơ {code} về Bộ phận Một cửa",
    "reject": "Đã từ chối giải quyết hồ sơ {code}; lý do được gửi về Bộ phận Một cửa",
}
# the API's field -> the form's field, per action (two forms have a "reason")
FIELD_NAMES = {
    "approve": {"note": "note"},
    "transfer": {"reason": "transfer_reason", "to_department": "to_department"},
    "request_supplement": {"reason": "items"},
    "reject": {"reason": "reject_reason"},
}


def own_department(view: Any, department: str) -> None:
    """An officer works only in their own department's pages."""
    if view.user.department != department:
        raise PageRefused(403, f"Bạn chỉ làm việc với hồ sơ của phòng {view.user.department}")


def queue_url(department: str) -> str:
    return f"/phong/{quote(department, safe='')}"


def dossier_url(department: str, code: str) -> str:
    return f"{queue_url(department)}/ho-so/{quote(code, safe='')}"


def catalogue_departments(view: Any) -> set[str]:
    """The departments of the catalogue's routes (intake's procedures in effect today)."""
    procedures = view.api.get_shared("intake", "/api/procedures", CATALOGUE_SECONDS).get("procedures") or []
    return set(qv.transfer_choices((), procedures, ""))


class DepartmentPages(Pages):
    # --- the queue ---------------------------------------------------------------------

    @http("GET", "/phong/<string:department>")
    @page("officer")
    def department_queue(self, request: Any, view: Any, department: str) -> Response:
        own_department(view, department)
        answer = view.api.get("processing", f"/api/departments/{quote(department, safe='')}/queue", {"limit": 500})
        queue = qv.queue_view(answer, view.user.username, view.now)
        return view.render("department/queue.html", department=department, queue=queue, qv=qv)

    @http("POST", "/phong/<string:department>/nhan-ho-so")
    @page("officer")
    def department_claim(self, request: Any, view: Any, department: str) -> Response:
        own_department(view, department)
        try:
            task = view.api.post("processing", f"/api/departments/{quote(department, safe='')}/claim")
        except ApiProblem as problem:
            if problem.status == 404:
                return view.redirect(queue_url(department), flash="Không có hồ sơ nào đang chờ nhận")
            raise
        code = task["dossier_code"]
        return view.redirect(dossier_url(department, code), flash=f"Bạn đã nhận hồ sơ {code} để xử lý")

    # --- one dossier ------------------------------------------------------------------------

    @http("GET", "/phong/<string:department>/ho-so/<string:code>")
    @page("officer")
    def department_dossier(self, request: Any, view: Any, department: str, code: str) -> Response:
        own_department(view, department)
        return dossier_page(view, department, code)

    @http("GET", "/phong/<string:department>/ho-so/<string:code>/tep/<string:file_id>")
    @page("officer")
    def department_file(self, request: Any, view: Any, department: str, code: str, file_id: str) -> Response:
        """A file of the dossier, shown in the page (an image, a PDF in a frame) or
        downloaded (?tai=1), passed through from intake as it arrives."""
        own_department(view, department)
        return files.dossier_file(view, code, file_id, download=request.args.get("tai") == "1")

    @http("POST", "/phong/<string:department>/ho-so/<string:code>/quyet-dinh")
    @page("officer", max_bytes=file_forms.MAX_FILE_BYTES + file_forms.MB)
    def department_decide(self, request: Any, view: Any, department: str, code: str) -> Response:
        own_department(view, department)
        form = view.form
        action = form.get("action", "")
        if action not in qv.DECISION:
            raise PageRefused(400, "Chưa chọn quyết định hợp lệ")
        task_id = form.get("task_id", "").strip()
        body: dict[str, Any] = {"action": action}
        typed: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        rows = None
        if action == "approve":
            typed["note"] = form.get("note", "").strip()
            body["note"] = typed["note"] or None
        elif action == "transfer":
            typed["to_department"] = form.get("to_department", "").strip()
            typed["transfer_reason"] = form.get("transfer_reason", "").strip()
            body.update(to_department=typed["to_department"] or None, reason=typed["transfer_reason"])
            if not typed["to_department"]:
                errors["to_department"] = ["Chọn phòng ban nhận hồ sơ"]
            if not typed["transfer_reason"]:
                errors["transfer_reason"] = ["Cần nêu lý do chuyển liên thông"]
        elif action == "request_supplement":
            rows = qv.supplement_rows(form.items(multi=True), more=bool(form.get("more")))
            typed["rows"] = rows.rows
            if form.get("more"):  # one more row to type in: nothing is sent
                return dossier_page(view, department, code, typed=typed, open_form=action)
            body["items"] = rows.items
            errors.update(rows.errors)
        else:
            typed["reject_reason"] = form.get("reject_reason", "").strip()
            body["reason"] = typed["reject_reason"]
            if not typed["reject_reason"]:
                errors["reject_reason"] = ["Cần nêu lý do từ chối; lý do được gửi cho người nộp"]
        if not task_id:
            raise PageRefused(400, "Biểu mẫu thiếu việc cần quyết định; hãy mở lại hồ sơ")
        if errors:
            message = "Quyết định chưa gửi: xem các ô được đánh dấu"
            return dossier_page(view, department, code, 400, typed, action, errors, message)
        result = view.file_list("result_file") if action == "approve" else []
        if result:  # the result first: the approval of the last step is sent only once it is in
            refused = send_result(view, task_id, result)
            if refused:
                status, found = refused
                message = "Chưa duyệt: tệp kết quả chưa gửi được"
                return dossier_page(view, department, code, status, typed, action, found, message)
        try:
            view.api.post("processing", f"/api/tasks/{quote(task_id, safe='')}/decision", body)
        except ApiProblem as problem:
            if problem.status not in FORM_PROBLEMS:
                raise
            if problem.status == 409 and already_decided(view, code, task_id, action):  # sent twice
                return view.redirect(
                    queue_url(department), flash=DONE[action].format(code=code, to=body.get("to_department"))
                )
            flat = flatten(problem.fields)
            found = rows.api_errors(flat) if rows is not None else rename(flat, FIELD_NAMES[action])
            return dossier_page(view, department, code, problem.status, typed, action, found, problem.message)
        done = DONE[action].format(code=code, to=typed.get("to_department", ""))
        return view.redirect(queue_url(department), flash=done)

    @http("POST", "/phong/<string:department>/ho-so/<string:code>/hen-lai")
    @page("officer")
    def department_extend(self, request: Any, view: Any, department: str, code: str) -> Response:
        own_department(view, department)
        form = view.form
        typed = {
            "new_date": form.get("new_date", "").strip(),
            "new_time": form.get("new_time", "").strip(),
            "extension_reason": form.get("extension_reason", "").strip(),
        }
        new_due, errors = qv.new_due_at(typed["new_date"], typed["new_time"])
        if not typed["extension_reason"]:
            errors["extension_reason"] = ["Cần nêu lý do chậm trễ (ghi trong phiếu gửi người nộp)"]
        if errors:
            message = "Phiếu hẹn lại chưa gửi: xem các ô được đánh dấu"
            return dossier_page(view, department, code, 400, typed, "extension", errors, message)
        body = {"reason": typed["extension_reason"], "new_due_at": new_due}
        try:
            view.api.post("processing", f"/api/dossiers/{quote(code, safe='')}/extension", body)
        except ApiProblem as problem:
            if problem.status not in FORM_PROBLEMS:
                raise
            found = rename(flatten(problem.fields), {"new_due_at": "new_date", "reason": "extension_reason"})
            return dossier_page(view, department, code, problem.status, typed, "extension", found, problem.message)
        done = "Đã lập phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04); hãy in phiếu"
        return view.redirect(dossier_url(department, code), flash=done)

    # --- printable forms (rendered by processing) ---------------------------------------------

    @http("GET", "/phong/<string:department>/ho-so/<string:code>/mau-04")
    @page("officer")
    def department_form_04(self, request: Any, view: Any, department: str, code: str) -> Response:
        own_department(view, department)
        answer = view.api.get("processing", f"/api/dossiers/{quote(code, safe='')}/extension", {"format": "html"})
        return view.passthrough(answer)

    @http("GET", "/phong/<string:department>/ho-so/<string:code>/mau-05")
    @page("officer")
    def department_form_05(self, request: Any, view: Any, department: str, code: str) -> Response:
        own_department(view, department)
        answer = view.api.get("processing", f"/api/dossiers/{quote(code, safe='')}/control-slip", {"format": "html"})
        return view.passthrough(answer)


def dossier_page(
    view: Any,
    department: str,
    code: str,
    status: int = 200,
    typed: dict[str, Any] | None = None,
    open_form: str | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
) -> Response:
    """The dossier as the department sees it, with the forms of what the officer may
    do now (re-rendered with what was typed and the problems beside the fields)."""
    path = quote(code, safe="")
    dossier = view.api.get("intake", f"/api/dossiers/{path}")
    tasks = view.api.get("processing", f"/api/dossiers/{path}/tasks")["tasks"]
    slip = view.api.get("processing", f"/api/dossiers/{path}/control-slip")
    me = view.user.username
    step = qv.current_step(tasks, department, me)
    holding = bool(step and step["status"] == "claimed" and step["claimed_by"] == me)
    open_here = any(t["department"] == department and t["status"] in ("waiting", "claimed") for t in tasks)
    choices: list[tuple[str, str]] = []
    if holding:
        known = view.api.get_shared("processing", "/api/departments", CATALOGUE_SECONDS).get("departments") or []
        found = set(qv.transfer_choices(known, (), department)) | (catalogue_departments(view) - {department})
        choices = [(d, d) for d in sorted(found)]
    can_extend = open_here and slip.get("extension") is None and slip.get("status") == "in_progress"
    # a refusal whose form is no longer shown (the task went to someone else) is said at the top
    in_form = (open_form in qv.DECISION and holding) or (open_form == "extension" and can_extend)
    procedure = procedure_name(view, dossier["procedure"])
    typed = dict(typed or {})
    typed.setdefault("rows", qv.supplement_rows(()).rows)
    return view.render(
        "department/dossier.html",
        status=status,
        department=department,
        code=code,
        dossier=dossier,
        procedure=procedure,
        tasks=tasks,
        step=step,
        step_state=qv.classify(step, view.now) if step and step["status"] in ("waiting", "claimed") else None,
        holding=holding,
        can_extend=can_extend,
        message_at_top=None if in_form else message,
        slip=slip,
        choices=choices,
        typed=typed,
        open_form=open_form,
        errors=errors or {},
        message=message,
        qv=qv,
        queue_url=queue_url(department),
        dossier_url=dossier_url(department, code),
        files=file_forms.previews(dossier.get("files") or ()),
        result_file=dossier.get("result_file"),
        takes_result=holding and last_step(view, dossier, step),
        ff=file_forms,
    )


def send_result(view: Any, task_id: str, chosen: list[tuple[str, bytes]]) -> tuple[int, dict[str, list[str]]] | None:
    """The result file (one PDF) to processing; (status, errors beside the field) when refused."""
    if len(chosen) > 1:
        return 400, {"result_file": ["Chỉ gửi một tệp kết quả (PDF)"]}
    name, data = chosen[0]
    found = file_forms.check(name, data)
    if found is None and file_forms.media_type(data) != "application/pdf":
        found = f"{name}: kết quả giải quyết phải là tệp PDF"
    if found:
        return (413 if len(data) > file_forms.MAX_FILE_BYTES else 415), {"result_file": [found]}
    try:
        view.api.upload(
            "processing", f"/api/tasks/{quote(task_id, safe='')}/result", {}, (name, data, "application/pdf")
        )
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        return problem.status, {"result_file": [file_forms.refusal(name, problem.status, problem.message)]}
    return None


def last_step(view: Any, dossier: dict[str, Any], step: dict[str, Any] | None) -> bool:
    """Whether the officer's step is the last of the dossier's route (the approval
    then ends the processing: the result file goes with it)."""
    if not step:
        return False
    procedure = dossier.get("procedure") or {}
    try:
        answer = view.api.get_shared("intake", f"/api/procedures/{quote(str(procedure.get('code')), safe='')}")
    except ApiProblem:
        return False
    for version in answer.get("versions") or ():
        if version.get("version") == procedure.get("version"):
            return int(step.get("step") or 0) >= len(version.get("route") or ())
    return False


def already_decided(view: Any, code: str, task_id: str, action: str) -> bool:
    """Did this very decision already go through (a form sent twice)?"""
    tasks = view.api.get("processing", f"/api/dossiers/{quote(code, safe='')}/tasks")["tasks"]
    return any(
        t["task_id"] == task_id
        and t["status"] == "done"
        and t["decision"] == action
        and t["claimed_by"] == view.user.username
        for t in tasks
    )


def procedure_name(view: Any, procedure: dict[str, Any]) -> str | None:
    """The name of the dossier's procedure version, from the catalogue (None if gone)."""
    try:
        answer = view.api.get_shared("intake", f"/api/procedures/{quote(str(procedure['code']), safe='')}")
    except ApiProblem:
        return None
    for version in answer.get("versions") or ():
        if version.get("version") == procedure.get("version"):
            return str(version.get("name"))
    return None
