"""processing: department work queues (hàng đợi thụ lý), decisions, supplements,
deadlines and the control slip. Entrypoints only: they translate events, timers,
HTTP and RPC into calls of application.py (writes) or adapters/queries.py (reads)."""

import logging
import uuid

from marshmallow import ValidationError

from services.processing import application
from services.processing.adapters import forms, queries
from services.processing.adapters.repository import ProcessingWork
from services.processing.adapters.result_files import PdfOnly
from services.processing.dependencies import Files, TaskDispatch
from services.processing.domain import policies
from services.processing.domain.errors import QueueEmpty
from services.processing.domain.model import Actor, ResultFile
from services.processing.schemas import (
    AUTOMATED,
    AUTOMATION,
    CONTROL_SLIP,
    DEPARTMENTS,
    DOSSIER_TASKS,
    EXTENSION,
    QUEUE,
    RESULT,
    TASK,
    Automation,
    Decision,
    DepartmentPath,
    Extension,
    PrintableQuery,
    QueueQuery,
    ResultForm,
)
from shared import clock, file_links, logs, scope, uploads
from shared.domain import DomainError
from shared.errors import rpc_error
from shared.events import EventType
from shared.http import ApiError, api, html_response, http, json_response
from shared.messaging import handles, rpc
from shared.openapi import Media, multipart_body
from shared.service import ServiceBase
from shared.timer import every

log = logging.getLogger(__name__)
BATCH = 200
STAFF = ("officer", "counter", "admin")


def check_scope(session, claims, code):
    """404 unless the reader may see the dossier: its agency's counter, an officer of
    a department that has or had one of its tasks, admin (shared.scope)."""
    scope.require(
        claims,
        f"Không có hồ sơ {code}",
        agency=scope.agency_of(code),
        departments=queries.departments_of(session, code) if claims["role"] == "officer" else (),
    )


def wants_html(request):
    """?format=html, or a browser asking for HTML before JSON."""
    if request.args.get("format") == "html":
        return True
    accept = request.accept_mimetypes
    return accept.quality("text/html") > accept.quality("application/json")


def queued(task):
    """After the commit: log the step a handler put into a queue."""
    if task is None:
        return None
    return lambda: log.info("step %d queued in %s, due %s", task.step, task.department, task.due_at.isoformat())


class ProcessingService(ServiceBase):
    name = "processing"
    work = ProcessingWork

    dispatcher = TaskDispatch()
    files = Files()

    # --- events ---

    @handles("intake", EventType.DOSSIER_RECEIVED)
    def on_dossier_received(self, env, work):
        return queued(application.plan(work, env["dossier_code"], env["data"], env["correlation_id"], clock.now()))

    @handles("intake", EventType.DOSSIER_SUPPLEMENTED)
    def on_dossier_supplemented(self, env, work):
        return queued(application.resume(work, env["dossier_code"], env["data"]["received_at"], clock.now()))

    @handles("intake", EventType.DOSSIER_WITHDRAWN)
    def on_dossier_withdrawn(self, env, work):
        application.withdraw(work, env["dossier_code"], clock.now())

    @handles("intake", EventType.CALENDAR_CHANGED)
    def on_calendar_changed(self, env, work):
        application.store_calendar(work, env["data"])
        return queries.forget_calendar

    # --- timers ---

    @every("DISPATCH_SECONDS", 0.5)
    def dispatch_automated(self):
        """Publish newly available work of automated departments to their queues."""
        while self.dispatcher.dispatch_once(self.db) == BATCH:
            pass

    @every("DEADLINE_SWEEP_SECONDS", 60)
    def sweep_deadlines(self):
        now = clock.now()
        with self.db.work(self.work) as work:
            overdue = application.sweep_deadlines(work, now)
            soon = queries.due_soon_steps(work.session, now)
        for code in overdue:
            with logs.about(code):
                log.warning("overdue: dossier_overdue emitted")
        if soon:
            log.info("steps due within one working day: %s", soon)

    # --- the work queues ---

    @http("GET", "/api/departments/<string:department>/queue")
    @api(roles=("officer", "admin"), query=QueueQuery, answers={200: QUEUE}, errors=(403,))
    def queue(self, request, department, claims, query):
        Actor.from_claims(claims).require_department(department)
        limit = min(max(query["limit"], 1), 500)
        with self.db.transaction() as session:
            body = queries.queue(session, department, clock.now(), limit)
        return json_response(200, body)

    @http("POST", "/api/departments/<string:department>/claim")
    @api(roles=("officer",), answers={200: TASK}, errors=(403,))
    def claim(self, request, department, claims):
        now = clock.now()
        with self.db.work(self.work) as work:
            task = application.claim(
                work, department, Actor.from_claims(claims), now, float(self.config["CLAIM_IDLE_SECONDS"])
            )
            view = queries.task_view(task, now) if task else None
        if view is None:
            raise QueueEmpty("Không có hồ sơ đang chờ")
        return json_response(200, view)

    @http("POST", "/api/tasks/<string:task_id>/decision")
    @api(roles=("officer",), body=Decision, answers={200: TASK}, errors=(403, 409, 422))
    def decide(self, request, task_id, claims, body):
        return json_response(200, self._decide(task_id, body, Actor.from_claims(claims)))

    def _decide(self, task_id, decision, actor):
        now = clock.now()
        with self.db.work(self.work) as work:
            task, case = application.decide(work, task_id, decision, actor, now, link=file_links.signer(now))
            with logs.about(case.dossier_code, case.correlation_id):
                log.info("%s by %s at step %d", decision["action"], actor.sub, task.step)
            return queries.task_view(task, now)

    @http("POST", "/api/tasks/<string:task_id>/result")
    @multipart_body(ResultForm)
    @api(
        roles=("officer",),
        answers={200: RESULT},
        errors=(403, 408, 409, 411, 413, 415, 422),
        summary="attach the result file (a PDF, at most 20 MB) to the last step held by the officer; "
        "result_ready carries it when the step is approved (a second upload replaces it)",
    )
    def upload_result(self, request, task_id, claims):
        """Everything that can be checked is checked before the body is read; the file
        part streams into the store (a PDF by its first bytes: 415 otherwise, nothing
        stored), then the case refers to it. The content a second upload replaces, or
        one refused after the store answered, no row names: the sweep removes it."""
        actor = Actor.from_claims(claims)
        uploads.refuse_early(request, policies.RESULT_MAX_BYTES)
        with self.db.work(self.work) as work:
            application.check_result_upload(work, task_id, actor, clock.now())
        upload = uploads.receive(request, lambda reader: self.files.put(PdfOnly(reader), policies.RESULT_MAX_BYTES))
        stored, now = upload.stored, clock.now()
        if stored.media_type != policies.RESULT_MEDIA_TYPE:  # PdfOnly let nothing else through
            raise ApiError(415, "unsupported_media_type", "Tệp kết quả phải là tệp PDF", {"file": ["Chỉ nhận tệp PDF"]})
        file = ResultFile(
            id=str(uuid.uuid4()),
            sha256=stored.sha256,
            size=stored.size,
            media_type=stored.media_type,
            name=policies.result_file_name(upload.filename),
            uploaded_by=actor.sub,
            uploaded_at=now,
        )
        with self.db.work(self.work) as work:
            case, replaced = application.attach_result(work, task_id, actor, file, now)
            code, correlation_id = case.dossier_code, case.correlation_id
        with logs.about(code, correlation_id):
            log.info(
                "result file %s (%d bytes) attached to step %s%s",
                file.id,
                file.size,
                task_id,
                f", replacing {replaced}" if replaced else "",
            )
        answer = {"id": file.id, "sha256": file.sha256, "size": file.size, "type": file.media_type, "name": file.name}
        return json_response(200, {"result_file": answer})

    @rpc
    def referenced_files(self, candidates):
        """Which of these SHA-256s a case names as its result file: the file store is
        shared, and intake's sweep keeps what processing still refers to."""
        with self.db.work(self.work) as work:
            return sorted(application.referenced_results(work, [str(c) for c in candidates or ()]))

    @rpc
    def decide_task(self, task_id, decision, department=None, token=None):
        """A department's system answers a task from processing.tasks.<department>.
        The authority is the caller's credential (`token`: role department_system,
        claim department), never the task message; 401 without a valid one, 403 for
        another department's task or a department that is not automated.
        Returns {"status": 200, "task": ...} or {"status": 4xx, "error": {...}}."""
        try:
            claims = self.auth.require_token(token, "department_system")
            actor = Actor.department_system(claims.get("department"), department)
            return {"status": 200, "task": self._decide(task_id, Decision().load(decision), actor)}
        except ValidationError as exc:
            return {
                "status": 400,
                "error": {"code": "invalid_input", "message": "Quyết định chưa hợp lệ", "fields": exc.messages},
            }
        except DomainError as exc:
            return rpc_error(exc)
        except ApiError as exc:  # the credential's check (shared.auth)
            return {"status": exc.status, "error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}

    @rpc
    def dossier_departments(self, code):
        """Departments of which a task of the dossier is or was: what intake, postal
        and notify need to scope an officer's reads (shared.scope). [] when unknown."""
        with self.db.transaction() as session:
            return list(queries.departments_of(session, str(code)))

    @http("GET", "/api/departments")
    @api(roles=STAFF, answers={200: DEPARTMENTS})
    def departments(self, request):
        """The departments processing knows (had a task, or automated): e.g. where a
        dossier may be transferred. The catalogue's routes are intake's."""
        with self.db.transaction() as session:
            return json_response(200, {"departments": queries.known_departments(session)})

    @http("GET", "/api/dossiers/<string:code>/tasks")
    @api(roles=STAFF, answers={200: DOSSIER_TASKS})
    def dossier_tasks(self, request, code, claims):
        """Every step of the dossier in the departments' queues (who holds it, its due,
        its decision): the reader's scope as for the control slip."""
        with self.db.transaction() as session:
            check_scope(session, claims, code)
            return json_response(200, queries.dossier_tasks(session, code, clock.now()))

    @http("GET", "/api/departments/automated")
    @api(roles=("admin",), answers={200: AUTOMATED})
    def automated(self, request):
        with self.db.transaction() as session:
            return json_response(200, {"departments": queries.automated_departments(session)})

    @http("PUT", "/api/departments/<string:department>/automation")
    @api(roles=("admin",), path=DepartmentPath, body=Automation, answers={200: AUTOMATION})
    def set_automation(self, request, department, claims, body):
        with self.db.work(self.work) as work:
            answer = application.set_automated(work, department, body["automated"], claims["sub"], clock.now())
        return json_response(200, answer)

    # --- deadlines and forms ---

    @http("POST", "/api/dossiers/<string:code>/extension")
    @api(roles=("officer", "admin"), body=Extension, answers={200: EXTENSION}, errors=(403, 409, 422))
    def extend(self, request, code, claims, body):
        with self.db.work(self.work) as work:
            check_scope(work.session, claims, code)
            case = application.extend(
                work, code, body["new_due_at"], body["reason"], Actor.from_claims(claims), clock.now()
            )
            view = queries.extension_answer(case)
        return json_response(200, view)

    @http("GET", "/api/dossiers/<string:code>/extension")
    @api(roles=STAFF, query=PrintableQuery, answers={200: Media({"application/json": EXTENSION, "text/html": None})})
    def extension(self, request, code, claims, query):
        return self._printable(request, claims, queries.extension, code, "extension.html.j2")

    @http("GET", "/api/dossiers/<string:code>/control-slip")
    @api(roles=STAFF, query=PrintableQuery, answers={200: Media({"application/json": CONTROL_SLIP, "text/html": None})})
    def control_slip(self, request, code, claims, query):
        return self._printable(request, claims, queries.control_slip, code, "control_slip.html.j2")

    def _printable(self, request, claims, read, code, template):
        """JSON, or the printable form with ?format=html / Accept: text/html."""
        with self.db.transaction() as session:
            check_scope(session, claims, code)
            view = read(session, code)
        if wants_html(request):
            return html_response(forms.render(template, **view))
        return json_response(200, view)
