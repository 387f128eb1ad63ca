"""intake: the one-stop counter (Bộ phận Một cửa). Thin entrypoints only."""
import logging

from nameko.dependency_providers import Config

from shared import health, logs
from shared.auth import Auth
from shared.db import Database
from shared.http import api, http, json_response, load, read_json
from shared.messaging import handles
from shared.reliability import first_time
from shared.relay import OutboxRelay
from services.intake import reception
from services.intake.schemas import Submission

log = logging.getLogger(__name__)


class IntakeService:
    name = "intake"

    config = Config()
    db = Database()
    relay = OutboxRelay()
    auth = Auth()

    @http("GET", "/health")
    def health(self, request):
        return health.check(self.db, self.config["AMQP_URI"])

    @http("POST", "/api/dossiers")
    @api
    def submit(self, request):
        claims = self.auth.require(request, "counter", "portal")
        body = read_json(request)
        data = load(Submission(), body)
        key = request.headers.get("Idempotency-Key")
        with self.db.transaction() as session:
            earlier = reception.replay_idempotent(session, claims["sub"], key, body)
            if earlier:
                return json_response(*earlier)
            dossier, procedure = reception.submit(session, data, claims)
            answer = reception.submission_answer(dossier, procedure)
            reception.remember_idempotent(session, claims["sub"], key, body, 201, answer)
        with logs.about(dossier.code, dossier.correlation_id):
            log.info("dossier %s for procedure %s (applicant %s)", dossier.status, procedure.code,
                     logs.mask_id(dossier.id_number))
        return json_response(201, answer)

    @http("GET", "/api/dossiers/<string:code>")
    @api
    def get_dossier(self, request, code):
        claims = self.auth.require(request, "counter", "officer", "admin")
        with self.db.transaction() as session:
            dossier = reception.get_dossier(session, code)
            reception.check_agency(dossier, claims)
            return json_response(200, reception.dossier_view(session, dossier))

    @http("POST", "/api/dossiers/<string:code>/return")
    @api
    def hand_back(self, request, code):
        claims = self.auth.require(request, "counter")
        with self.db.transaction() as session:
            dossier = reception.hand_back(session, code, claims)
            view = reception.dossier_view(session, dossier)
        return json_response(200, view)

    def _follow(self, env):
        with logs.about(env["dossier_code"], env.get("correlation_id")), self.db.transaction() as session:
            if first_time(session, f"intake.follow.{env['event_type']}", env):
                reception.follow(session, env)

    # One handler per event type: each gets its own durable queue.
    @handles("processing", "processing_started")
    def on_processing_started(self, env):
        self._follow(env)

    @handles("processing", "dossier_transferred")
    def on_dossier_transferred(self, env):
        self._follow(env)

    @handles("processing", "supplement_requested")
    def on_supplement_requested(self, env):
        self._follow(env)

    @handles("processing", "dossier_rejected")
    def on_dossier_rejected(self, env):
        self._follow(env)

    @handles("processing", "deadline_extended")
    def on_deadline_extended(self, env):
        self._follow(env)

    @handles("processing", "dossier_overdue")
    def on_dossier_overdue(self, env):
        self._follow(env)

    @handles("processing", "result_ready")
    def on_result_ready(self, env):
        self._follow(env)

    @handles("postal", "shipment_created")
    def on_shipment_created(self, env):
        self._follow(env)

    @handles("postal", "shipment_delivered")
    def on_shipment_delivered(self, env):
        self._follow(env)

    @handles("postal", "shipment_failed")
    def on_shipment_failed(self, env):
        self._follow(env)

    @handles("postal", "shipment_returned")
    def on_shipment_returned(self, env):
        self._follow(env)


def on_start(uow, config):
    """Run once by the runner after migrations."""
    if config.get("SEED_DEMO_CATALOG"):
        from services.intake.catalog import seed_demo
        with uow.transaction() as session:
            added = seed_demo(session)
        if added:
            log.info("loaded %d demo procedures into an empty catalogue", added)
