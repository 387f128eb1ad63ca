"""processing: department work queues (hàng đợi thụ lý), decisions, supplements,
deadlines and the control slip. Thin entrypoints only; the rules are in workflow."""
import logging
import os

from marshmallow import ValidationError
from nameko.timer import timer

from shared import calendar_store, logs, scope
from shared.http import ApiError, api, error_response, html_response, http, json_response
from shared.messaging import handles, rpc
from shared.openapi import Media
from shared.reliability import first_time
from shared.service import ServiceBase
from services.processing import forms, workflow
from services.processing.automation import TaskDispatch
from services.processing.answers import AUTOMATED, AUTOMATION, CONTROL_SLIP, EXTENSION, QUEUE, TASK
from services.processing.schemas import (Automation, Decision, DepartmentPath, Extension, PrintableQuery,
                                         QueueQuery)

log = logging.getLogger(__name__)
# nameko reads timer intervals when the class is defined: environment, not config.yaml
DISPATCH_SECONDS = float(os.environ.get("MOTCUA_DISPATCH_SECONDS", 0.5))
SWEEP_SECONDS = float(os.environ.get("MOTCUA_DEADLINE_SWEEP_SECONDS", 60))
BATCH = 200
STAFF = ("officer", "counter", "admin")


def check_scope(session, claims, code):
    """404 unless the reader may see the dossier: its agency's counter, an officer of
    a department that has or had one of its tasks, admin (shared.scope)."""
    scope.require(claims, f"Không có hồ sơ {code}", agency=scope.agency_of(code),
                  departments=workflow.departments_of(session, code) if claims["role"] == "officer" else ())


def check_department(claims, department):
    if claims["role"] == "officer" and claims.get("department") != department:
        raise ApiError(403, "other_department", "Cán bộ chỉ làm việc trong phòng ban của mình")


class ProcessingService(ServiceBase):
    name = "processing"

    dispatcher = TaskDispatch()

    # --- events ---

    def _apply(self, env, consumer, rule):
        """Apply an event's rule once (inbox), logging the step it queued."""
        with logs.about(env["dossier_code"], env.get("correlation_id")):
            with self.db.transaction() as session:
                task = rule(session, env) if first_time(session, consumer, env) else None
            if task is not None:
                log.info("step %d queued in %s, due %s", task.step, task.department, task.due_at.isoformat())

    @handles("intake", "dossier_received")
    def on_dossier_received(self, env):
        self._apply(env, "processing.plan", workflow.plan)

    @handles("intake", "dossier_supplemented")
    def on_dossier_supplemented(self, env):
        self._apply(env, "processing.supplemented", workflow.supplemented)

    @handles("intake", "dossier_withdrawn")
    def on_dossier_withdrawn(self, env):
        self._apply(env, "processing.withdrawn", workflow.withdrawn)

    @handles("intake", "calendar_changed")
    def on_calendar_changed(self, env):
        with self.db.transaction() as session:
            if first_time(session, "processing.calendar", env):
                calendar_store.store(session, env["data"])
        workflow.forget_calendar()

    # --- timers ---

    @timer(interval=DISPATCH_SECONDS)
    def dispatch_automated(self):
        """Publish newly available work of automated departments to their queues."""
        while self.dispatcher.dispatch_once(self.db) == BATCH:
            pass

    @timer(interval=SWEEP_SECONDS)
    def sweep_deadlines(self):
        with self.db.transaction() as session:
            overdue = workflow.sweep_deadlines(session)
            soon = workflow.due_soon_steps(session)
        for code in overdue:
            with logs.about(code):
                log.warning("overdue: dossier_overdue emitted")
        if soon:
            log.info("steps due within one working day: %s", soon)

    # --- the work queues ---

    @http("GET", "/api/departments/<string:department>/queue")
    @api(roles=("officer", "admin"), query=QueueQuery, answers={200: QUEUE}, errors=(403,))
    def queue(self, request, department, claims, query):
        check_department(claims, department)
        limit = min(max(query["limit"], 1), 500)
        with self.db.transaction() as session:
            body = workflow.queue(session, department, limit)
        return json_response(200, body)

    @http("POST", "/api/departments/<string:department>/claim")
    @api(roles=("officer",), answers={200: TASK}, errors=(403,))
    def claim(self, request, department, claims):
        check_department(claims, department)
        with self.db.transaction() as session:
            task = workflow.claim(session, department, claims["sub"], float(self.config["CLAIM_IDLE_SECONDS"]))
            view = workflow.task_view(task) if task else None
        if view is None:
            return error_response(404, "queue_empty", "Không có hồ sơ đang chờ")
        return json_response(200, view)

    @http("POST", "/api/tasks/<string:task_id>/decision")
    @api(roles=("officer",), body=Decision, answers={200: TASK}, errors=(403, 409, 422))
    def decide(self, request, task_id, claims, body):
        return json_response(200, self._decide(task_id, body, claims))

    def _decide(self, task_id, decision, actor):
        with self.db.transaction() as session:
            task, case = workflow.decide(session, task_id, decision, actor)
            with logs.about(case.dossier_code, case.correlation_id):
                log.info("%s by %s at step %d", decision["action"], actor["sub"], task.step)
            return workflow.task_view(task)

    @rpc
    def decide_task(self, task_id, decision, department=None, token=None):
        """A department's system answers a task from processing.tasks.<department>.
        The authority is the caller's credential (`token`: role department_system,
        claim department), never the task message; 401 without a valid one, 403 for
        another department's task or a department that is not automated.
        Returns {"status": 200, "task": ...} or {"status": 4xx, "error": {...}}."""
        try:
            claims = self.auth.require_token(token, "department_system")
            actor = workflow.system_actor(claims, department)
            return {"status": 200, "task": self._decide(task_id, Decision().load(decision), actor)}
        except ValidationError as exc:
            return {"status": 400, "error": {"code": "invalid_input", "message": "Quyết định chưa hợp lệ",
                                             "fields": exc.messages}}
        except ApiError as exc:
            return {"status": exc.status, "error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}

    @rpc
    def dossier_departments(self, code):
        """Departments of which a task of the dossier is or was: what intake, postal
        and notify need to scope an officer's reads (shared.scope). [] when unknown."""
        with self.db.transaction() as session:
            return list(workflow.departments_of(session, str(code)))

    @http("GET", "/api/departments/automated")
    @api(roles=("admin",), answers={200: AUTOMATED})
    def automated(self, request):
        with self.db.transaction() as session:
            return json_response(200, {"departments": workflow.automated_departments(session)})

    @http("PUT", "/api/departments/<string:department>/automation")
    @api(roles=("admin",), path=DepartmentPath, body=Automation, answers={200: AUTOMATION})
    def set_automation(self, request, department, claims, body):
        with self.db.transaction() as session:
            answer = workflow.set_automated(session, department, body["automated"], claims["sub"])
        return json_response(200, answer)

    # --- deadlines and forms ---

    @http("POST", "/api/dossiers/<string:code>/extension")
    @api(roles=("officer", "admin"), body=Extension, answers={200: EXTENSION}, errors=(403, 409, 422))
    def extend(self, request, code, claims, body):
        with self.db.transaction() as session:
            check_scope(session, claims, code)
            workflow.extend(session, code, body, claims)
            view = workflow.extension(session, code)
        return json_response(200, view)

    @http("GET", "/api/dossiers/<string:code>/extension")
    @api(roles=STAFF, query=PrintableQuery, answers={200: Media({"application/json": EXTENSION, "text/html": None})})
    def extension(self, request, code, claims, query):
        return self._printable(request, claims, workflow.extension, code, "extension.html.j2")

    @http("GET", "/api/dossiers/<string:code>/control-slip")
    @api(roles=STAFF, query=PrintableQuery,
         answers={200: Media({"application/json": CONTROL_SLIP, "text/html": None})})
    def control_slip(self, request, code, claims, query):
        return self._printable(request, claims, workflow.control_slip, code, "control_slip.html.j2")

    def _printable(self, request, claims, read, code, template):
        """JSON, or the printable form with ?format=html / Accept: text/html."""
        with self.db.transaction() as session:
            check_scope(session, claims, code)
            view = read(session, code)
        if forms.wants_html(request):
            return html_response(forms.render(template, **view))
        return json_response(200, view)
