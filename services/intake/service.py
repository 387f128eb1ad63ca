"""intake: the one-stop counter (Bộ phận Một cửa). Thin entrypoints only."""
import logging
from datetime import date, datetime

from werkzeug.wrappers import Response

from shared import calendar_store, clock, logs
from shared.http import ApiError, api, http, json_response, load, read_json
from shared.messaging import handles
from shared.reliability import first_time
from shared.service import ServiceBase
from services.intake import calendar_admin, catalog, lookup, receipt, reception
from services.intake.models import Procedure
from services.intake.schemas import (Acceptance, CalendarOverrideBody, Expiry, Guidance, Reason, Submission,
                                     Supplement)

log = logging.getLogger(__name__)

STAFF = ("counter", "officer", "admin")
CATALOGUE_MAX_BYTES = 8 * 1024 * 1024  # a province's whole catalogue in one file


def _day(text, name):
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ApiError(400, "invalid_input", "Ngày có dạng YYYY-MM-DD", {name: ["Ngày có dạng YYYY-MM-DD"]})


def _moment(text, name):
    try:
        # an unescaped "+" of the offset arrives as a space
        moment = datetime.fromisoformat(text[:11] + text[11:].replace(" ", "+"))
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(400, "invalid_input", "Thời điểm theo ISO 8601 có múi giờ, ví dụ 2026-11-26T08:15:00+07:00",
                       {name: ["Thời điểm theo ISO 8601 có múi giờ"]})
    return moment


class IntakeService(ServiceBase):
    name = "intake"

    lookups = lookup.LookupLimiter()

    # --- dossiers -------------------------------------------------------------

    @http("POST", "/api/dossiers")
    @api
    def submit(self, request):
        claims = self.auth.require(request, "counter", "portal")
        body = read_json(request)
        data = load(Submission, body)
        key = request.headers.get("Idempotency-Key")
        with self.db.transaction() as session:
            earlier = reception.claim_idempotency_key(session, claims["sub"], key, body)
            if earlier:
                return json_response(*earlier)
            dossier, procedure = reception.submit(session, data, claims)
            answer = reception.submission_answer(dossier, procedure)
            reception.remember_answer(session, claims["sub"], key, 201, answer)
        with logs.about(dossier.code, dossier.correlation_id):
            log.info("dossier %s for procedure %s (applicant %s)", dossier.status, procedure.code,
                     logs.mask_id(dossier.id_number))
        return json_response(201, answer)

    @http("GET", "/api/dossiers/<string:code>")
    @api
    def get_dossier(self, request, code):
        claims = self.auth.require(request, *STAFF)
        with self.db.transaction() as session:
            dossier = reception.get_dossier(session, code)
            reception.check_agency(dossier, claims)
            return json_response(200, reception.dossier_view(session, dossier))

    def _counter_action(self, request, code, action, schema=None):
        claims = self.auth.require(request, "counter")
        # an empty body is an empty form (accept with nothing missing)
        data = load(schema, read_json(request) if request.get_data(cache=True) else {}) if schema else None
        with self.db.transaction() as session:
            action(session, code, data, claims)
            view = reception.dossier_view(session, reception.get_dossier(session, code))
        return json_response(200, view)

    @http("POST", "/api/dossiers/<string:code>/accept")
    @api
    def accept(self, request, code):
        return self._counter_action(request, code, reception.accept, Acceptance)

    @http("POST", "/api/dossiers/<string:code>/refuse")
    @api
    def refuse(self, request, code):
        return self._counter_action(request, code, lambda s, c, d, cl: reception.refuse(s, c, d["reason"], cl),
                                    Reason)

    @http("POST", "/api/dossiers/<string:code>/supplement")
    @api
    def supplement(self, request, code):
        return self._counter_action(request, code, reception.supplement, Supplement)

    @http("POST", "/api/dossiers/<string:code>/withdraw")
    @api
    def withdraw(self, request, code):
        return self._counter_action(request, code, lambda s, c, d, cl: reception.withdraw(s, c, d["reason"], cl),
                                    Reason)

    @http("POST", "/api/dossiers/<string:code>/return")
    @api
    def hand_back(self, request, code):
        return self._counter_action(request, code, lambda s, c, d, cl: reception.hand_back(s, c, cl))

    @http("GET", "/api/dossiers/<string:code>/receipt")
    @api
    def receipt(self, request, code):
        claims = self.auth.require(request, "counter", "admin")
        with self.db.transaction() as session:
            dossier = reception.get_dossier(session, code)
            reception.check_agency(dossier, claims)
            html = receipt.render(dossier, session.get(Procedure, dossier.procedure_id), self.config["PUBLIC_URL"])
        return Response(html, status=200, mimetype="text/html")

    @http("POST", "/api/guidance")
    @api
    def guidance(self, request):
        self.auth.require(request, "counter")
        data = load(Guidance, read_json(request))
        with self.db.transaction() as session:
            return json_response(200, reception.guidance(session, data))

    # --- the citizen ------------------------------------------------------------

    @http("GET", "/api/lookup")
    @api
    def lookup(self, request):
        if not self.lookups.allow(request.remote_addr):
            raise ApiError(429, "rate_limited", "Tra cứu quá nhiều lần; vui lòng thử lại sau ít phút")
        with self.db.transaction() as session:
            view = lookup.lookup(session, request.args.get("code"), request.args.get("id_number"))
        return json_response(200, view)

    @http("GET", "/tra-cuu")
    def lookup_page(self, request):
        return Response(receipt.lookup_page(request.args.get("code")), mimetype="text/html")

    # --- the catalogue ----------------------------------------------------------

    @http("GET", "/api/procedures")
    @api
    def procedures(self, request):
        day = _day(request.args["at"], "at") if request.args.get("at") else clock.now().date()
        with self.db.transaction() as session:
            listed = [catalog.procedure_view(v) for v in catalog.listed_on(session, day)]
        return json_response(200, {"at": day, "procedures": listed})

    @http("GET", "/api/procedures/<string:code>")
    @api
    def procedure(self, request, code):
        day = _day(request.args["at"], "at") if request.args.get("at") else clock.now().date()
        with self.db.transaction() as session:
            versions = catalog.versions_of(session, code)
            if not versions:
                raise ApiError(404, "not_found", f"Thủ tục {code} không có trong danh mục")
            current = next((v for v in versions if catalog.effective_on(v, day)), None)
            return json_response(200, {
                "code": code, "at": day, "in_effect": catalog.procedure_view(current) if current else None,
                "versions": [catalog.procedure_view(v) for v in versions]})

    @http("POST", "/api/procedures/import")
    @api
    def import_catalogue(self, request):
        self.auth.require(request, "admin")
        document = read_json(request, CATALOGUE_MAX_BYTES)
        with self.db.transaction() as session:
            answer = catalog.import_catalogue(session, document, clock.now().date())
        return json_response(200, answer)

    @http("POST", "/api/procedures/<string:code>/expire")
    @api
    def expire_procedure(self, request, code):
        self.auth.require(request, "admin")
        data = load(Expiry, read_json(request))
        with self.db.transaction() as session:
            version = catalog.expire(session, code, data["last_day"])
            return json_response(200, catalog.procedure_view(version))

    # --- the calendar -----------------------------------------------------------

    @http("GET", "/api/calendar/due")
    @api
    def due(self, request):
        self.auth.require(request)
        code = request.args.get("procedure_code")
        if not code:
            raise ApiError(400, "invalid_input", "Cần mã thủ tục", {"procedure_code": ["Bắt buộc nhập"]})
        received_at = _moment(request.args["received_at"], "received_at") if request.args.get("received_at") \
            else clock.now()
        with self.db.transaction() as session:
            procedure = catalog.in_effect(session, code, clock.local(received_at).date())
            due_at = calendar_admin.appointment(calendar_store.load(session), procedure, received_at)
        return json_response(200, {"procedure_code": code, "procedure_version": procedure.version,
                                   "received_at": clock.local(received_at), "due_at": due_at})

    @http("GET", "/api/calendar/overrides")
    @api
    def calendar_overrides(self, request):
        self.auth.require(request, "admin", "counter")
        with self.db.transaction() as session:
            return json_response(200, calendar_admin.listing(session))

    @http("PUT", "/api/calendar/overrides/<string:day>")
    @api
    def set_calendar_override(self, request, day):
        claims = self.auth.require(request, "admin")
        data = load(CalendarOverrideBody, read_json(request))
        with self.db.transaction() as session:
            override, version = calendar_admin.set_override(session, _day(day, "day"), data["kind"], data["note"],
                                                            claims["sub"])
            return json_response(200, {"version": version, **calendar_admin.override_view(override)})

    @http("DELETE", "/api/calendar/overrides/<string:day>")
    @api
    def remove_calendar_override(self, request, day):
        self.auth.require(request, "admin")
        with self.db.transaction() as session:
            version = calendar_admin.remove_override(session, _day(day, "day"))
        return json_response(200, {"version": version, "removed": _day(day, "day")})

    # --- events from the other services ------------------------------------------

    @handles("postal", "pickup_completed")
    def on_pickup_completed(self, env):
        with logs.about(env["dossier_code"], env.get("correlation_id")), self.db.transaction() as session:
            if first_time(session, "intake.pickup_completed", env):
                reception.register_pickup(session, env)

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
        with uow.transaction() as session:
            added = catalog.seed_demo(session, clock.now().date())
        if added:
            log.info("loaded %d demo procedures into an empty catalogue", added)
