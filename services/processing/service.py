"""processing: department work queues (hàng đợi thụ lý), decisions, supplements,
deadlines and the control slip. Thin entrypoints only; the rules are in workflow."""
import logging
import os

from marshmallow import ValidationError
from nameko.timer import timer
from werkzeug.wrappers import Response

from shared import calendar_store, logs
from shared.http import ApiError, api, error_response, http, json_response, load, read_json
from shared.messaging import handles, rpc
from shared.reliability import first_time
from shared.service import ServiceBase
from services.processing import forms, workflow
from services.processing.automation import TaskDispatch
from services.processing.schemas import Automation, Decision, Extension, DEPARTMENT

log = logging.getLogger(__name__)
# nameko reads timer intervals when the class is defined: environment, not config.yaml
DISPATCH_SECONDS = float(os.environ.get("MOTCUA_DISPATCH_SECONDS", 0.5))
SWEEP_SECONDS = float(os.environ.get("MOTCUA_DEADLINE_SWEEP_SECONDS", 60))
BATCH = 200
STAFF = ("officer", "counter", "admin")


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
    @api
    def queue(self, request, department):
        claims = self.auth.require(request, "officer", "admin")
        check_department(claims, department)
        try:
            limit = min(max(int(request.args.get("limit", 100)), 1), 500)
        except ValueError:
            raise ApiError(400, "invalid_input", "limit phải là số nguyên", {"limit": ["1-500"]})
        with self.db.transaction() as session:
            body = workflow.queue(session, department, limit)
        return json_response(200, body)

    @http("POST", "/api/departments/<string:department>/claim")
    @api
    def claim(self, request, department):
        claims = self.auth.require(request, "officer")
        check_department(claims, department)
        with self.db.transaction() as session:
            task = workflow.claim(session, department, claims["sub"], float(self.config["CLAIM_IDLE_SECONDS"]))
            view = workflow.task_view(task) if task else None
        if view is None:
            return error_response(404, "queue_empty", "Không có hồ sơ đang chờ")
        return json_response(200, view)

    @http("POST", "/api/tasks/<string:task_id>/decision")
    @api
    def decide(self, request, task_id):
        claims = self.auth.require(request, "officer")
        decision = load(Decision(), read_json(request))
        return json_response(200, self._decide(task_id, decision, claims))

    def _decide(self, task_id, decision, actor):
        with self.db.transaction() as session:
            task, case = workflow.decide(session, task_id, decision, actor)
            with logs.about(case.dossier_code, case.correlation_id):
                log.info("%s by %s at step %d", decision["action"], actor["sub"], task.step)
            return workflow.task_view(task)

    @rpc
    def decide_task(self, task_id, decision, department):
        """A department's system answers a task from processing.tasks.<department>.
        Returns {"status": 200, "task": ...} or {"status": 4xx, "error": {...}}."""
        actor = {"role": workflow.SYSTEM, "sub": f"system.{department}", "department": department}
        try:
            return {"status": 200, "task": self._decide(task_id, Decision().load(decision), actor)}
        except ValidationError as exc:
            return {"status": 400, "error": {"code": "invalid_input", "message": "Quyết định chưa hợp lệ",
                                             "fields": exc.messages}}
        except ApiError as exc:
            return {"status": exc.status, "error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}

    @http("GET", "/api/departments/automated")
    @api
    def automated(self, request):
        self.auth.require(request, "admin")
        with self.db.transaction() as session:
            return json_response(200, {"departments": workflow.automated_departments(session)})

    @http("PUT", "/api/departments/<string:department>/automation")
    @api
    def set_automation(self, request, department):
        claims = self.auth.require(request, "admin")
        try:
            DEPARTMENT(department)
        except ValidationError as exc:
            raise ApiError(400, "invalid_input", "Mã phòng ban không hợp lệ", {"department": exc.messages})
        body = load(Automation(), read_json(request))
        with self.db.transaction() as session:
            answer = workflow.set_automated(session, department, body["automated"], claims["sub"])
        return json_response(200, answer)

    # --- deadlines and forms ---

    @http("POST", "/api/dossiers/<string:code>/extension")
    @api
    def extend(self, request, code):
        claims = self.auth.require(request, "officer", "admin")
        body = load(Extension(), read_json(request))
        with self.db.transaction() as session:
            workflow.extend(session, code, body, claims)
            view = workflow.extension(session, code)
        return json_response(200, view)

    @http("GET", "/api/dossiers/<string:code>/extension")
    @api
    def extension(self, request, code):
        return self._printable(request, workflow.extension, code, "extension.html.j2")

    @http("GET", "/api/dossiers/<string:code>/control-slip")
    @api
    def control_slip(self, request, code):
        return self._printable(request, workflow.control_slip, code, "control_slip.html.j2")

    def _printable(self, request, read, code, template):
        """JSON, or the printable form with ?format=html / Accept: text/html."""
        self.auth.require(request, *STAFF)
        with self.db.transaction() as session:
            view = read(session, code)
        if forms.wants_html(request):
            return Response(forms.render(template, **view), status=200, mimetype="text/html")
        return json_response(200, view)
