"""processing: department work queues (hàng đợi thụ lý) and decisions. Thin entrypoints only."""
import logging

from nameko.dependency_providers import Config

from shared import calendar_store, health, logs
from shared.auth import Auth
from shared.db import Database
from shared.http import ApiError, api, error_response, http, json_response, load, read_json
from shared.messaging import handles
from shared.reliability import first_time
from shared.relay import OutboxRelay
from services.processing import workflow
from services.processing.schemas import Decision

log = logging.getLogger(__name__)


def check_department(claims, department):
    if claims["role"] == "officer" and claims.get("department") != department:
        raise ApiError(403, "other_department", "Cán bộ chỉ làm việc trong phòng ban của mình")


class ProcessingService:
    name = "processing"

    config = Config()
    db = Database()
    relay = OutboxRelay()
    auth = Auth()

    @http("GET", "/health")
    def health(self, request):
        return health.check(self.db, self.config["AMQP_URI"])

    @handles("intake", "dossier_received")
    def on_dossier_received(self, env):
        with logs.about(env["dossier_code"], env.get("correlation_id")), self.db.transaction() as session:
            if first_time(session, "processing.plan", env):
                task = workflow.plan(session, env)
                if task:
                    log.info("step 1 queued in %s, due %s", task.department, task.due_at.isoformat())

    @http("GET", "/api/departments/<string:department>/queue")
    @api
    def queue(self, request, department):
        claims = self.auth.require(request, "officer", "admin")
        check_department(claims, department)
        with self.db.transaction() as session:
            items = workflow.queue(session, department)
        return json_response(200, {"department": department, "items": items})

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
        with self.db.transaction() as session:
            task, case = workflow.decide(session, task_id, decision, claims)
            with logs.about(case.dossier_code, case.correlation_id):
                log.info("%s by %s at step %d", decision["action"], claims["sub"], task.step)
            view = workflow.task_view(task)
        return json_response(200, view)

    @handles("intake", "calendar_changed")
    def on_calendar_changed(self, env):
        with self.db.transaction() as session:
            if first_time(session, "processing.calendar", env):
                calendar_store.store(session, env["data"])
