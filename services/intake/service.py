"""intake: the one-stop counter (Bộ phận Một cửa). Thin entrypoints only."""
import logging
from urllib.parse import parse_qs

from shared import calendar_store, clock, logs, scope
from shared.http import (ApiError, api, client_address, describe, error_response, html_response, http,
                         json_response, load, read_body, read_json)
from shared.messaging import handles
from shared.openapi import Media
from shared.reliability import first_time
from shared.service import ServiceBase
from services.intake import answers, calendar_admin, catalog, lookup, receipt, reception
from services.intake.lookup import LookupQuery
from services.intake.models import Procedure
from services.intake.schemas import (Acceptance, CalendarOverrideBody, CatalogueFile, DayPath, DayQuery, DueQuery,
                                     Expiry, Guidance, LookupPageQuery, Reason, Submission, Supplement)

log = logging.getLogger(__name__)

STAFF = ("counter", "officer", "admin")
CATALOGUE_MAX_BYTES = 8 * 1024 * 1024  # a province's whole catalogue in one file
LOOKUP_MAX_BYTES = 4 * 1024  # a code and an ID number


def admit_lookup(service, request):
    """The lookup's rate limits come before anything of the request is read."""
    lookup.admit(service.lookups, client_address(request, service.lookups.trusted_proxies))


class IntakeService(ServiceBase):
    name = "intake"

    lookups = lookup.LookupLimiter()
    dossier_scope = scope.DossierScope()

    # --- dossiers -------------------------------------------------------------

    @http("POST", "/api/dossiers")
    @api(roles=("counter", "portal"), body=Submission, idempotent=True, answers={201: answers.SUBMISSION},
         errors=(403, 409, 422))
    def submit(self, request, claims, body):
        data, body = body, read_json(request)  # the Idempotency-Key is checked against the body as sent
        key = request.headers.get("Idempotency-Key")
        with self.db.transaction() as session:
            earlier = reception.claim_idempotency_key(session, scope.caller(claims), key, body)
            if earlier:
                return json_response(*earlier)
            dossier, procedure = reception.submit(session, data, claims)
            answer = reception.submission_answer(dossier, procedure)
            reception.remember_answer(session, scope.caller(claims), key, 201, answer)
        with logs.about(dossier.code, dossier.correlation_id):
            log.info("dossier %s for procedure %s (applicant %s)", dossier.status, procedure.code,
                     logs.mask_id(dossier.id_number))
        return json_response(201, answer)

    @http("GET", "/api/dossiers/<string:code>")
    @api(roles=STAFF, answers={200: answers.DOSSIER}, errors=(403,))
    def get_dossier(self, request, code, claims):
        departments = self.dossier_scope.departments_for(claims, code)  # before the transaction: no connection held
        with self.db.transaction() as session:
            dossier = reception.readable_dossier(session, code, claims, departments)
            return json_response(200, reception.dossier_view(session, dossier))

    def _counter_action(self, code, claims, data, action):
        with self.db.transaction() as session:
            action(session, code, data, claims)
            view = reception.dossier_view(session, reception.get_dossier(session, code))
        return json_response(200, view)

    # an empty body is an empty form (accept with nothing missing)
    @http("POST", "/api/dossiers/<string:code>/accept")
    @api(roles=("counter",), body=Acceptance, body_optional=True, answers={200: answers.DOSSIER},
         errors=(403, 409, 422))
    def accept(self, request, code, claims, body):
        return self._counter_action(code, claims, body, reception.accept)

    @http("POST", "/api/dossiers/<string:code>/refuse")
    @api(roles=("counter",), body=Reason, answers={200: answers.DOSSIER}, errors=(403, 409))
    def refuse(self, request, code, claims, body):
        return self._counter_action(code, claims, body, lambda s, c, d, cl: reception.refuse(s, c, d["reason"], cl))

    @http("POST", "/api/dossiers/<string:code>/supplement")
    @api(roles=("counter",), body=Supplement, answers={200: answers.DOSSIER}, errors=(403, 409, 422))
    def supplement(self, request, code, claims, body):
        return self._counter_action(code, claims, body, reception.supplement)

    @http("POST", "/api/dossiers/<string:code>/withdraw")
    @api(roles=("counter",), body=Reason, answers={200: answers.DOSSIER}, errors=(403, 409))
    def withdraw(self, request, code, claims, body):
        return self._counter_action(code, claims, body, lambda s, c, d, cl: reception.withdraw(s, c, d["reason"], cl))

    @http("POST", "/api/dossiers/<string:code>/return")
    @api(roles=("counter",), answers={200: answers.DOSSIER}, errors=(403, 409))
    def hand_back(self, request, code, claims):
        return self._counter_action(code, claims, None, lambda s, c, d, cl: reception.hand_back(s, c, cl))

    @http("GET", "/api/dossiers/<string:code>/receipt")
    @api(roles=("counter", "admin"), answers={200: Media("text/html")}, errors=(403, 409))
    def receipt(self, request, code, claims):
        with self.db.transaction() as session:
            dossier = reception.readable_dossier(session, code, claims)
            html = receipt.render(dossier, session.get(Procedure, dossier.procedure_id), self.config["PUBLIC_URL"])
        return html_response(html, inline_scripts=receipt.SCRIPTS)

    @http("POST", "/api/guidance")
    @api(roles=("counter",), body=Guidance, answers={200: answers.GUIDANCE}, errors=(422,))
    def guidance(self, request, body):
        with self.db.transaction() as session:
            return json_response(200, reception.guidance(session, body))

    # --- the citizen ------------------------------------------------------------

    @http("POST", "/api/lookup")
    @api(before=admit_lookup, body=LookupQuery, max_bytes=LOOKUP_MAX_BYTES, answers={200: answers.LOOKUP},
         errors=(404, 429))
    def lookup(self, request, body):
        return json_response(200, lookup.guarded_lookup(self.db, self.lookups, body["code"], body["id_number"]))

    @http("GET", "/api/lookup")
    @api(errors=(405,), summary="refused: the lookup is POST /api/lookup")
    def lookup_by_url(self, request):
        """Refused on purpose: a CCCD in a URL stays in proxy and access logs, browser
        history and Referer headers."""
        answer = error_response(405, "method_not_allowed",
                                "Tra cứu hồ sơ bằng phương thức POST với nội dung JSON {\"code\", \"id_number\"}; "
                                "không đưa số CCCD vào địa chỉ URL")
        answer.headers["Allow"] = "POST"
        return answer

    @http("GET", "/tra-cuu")
    @describe(query=LookupPageQuery, answers={200: Media("text/html")}, summary="the citizen's lookup page")
    def lookup_page(self, request):
        return html_response(receipt.lookup_page(request.args.get("code")))

    @http("POST", "/tra-cuu")
    @describe(form=LookupQuery, answers={s: Media("text/html") for s in (200, 400, 404, 408, 413, 429)},
              summary="the citizen's lookup form, answered as a page")
    def lookup_form(self, request):
        """The citizen's form (form-encoded), answered as a page."""
        code = ""
        try:
            lookup.admit(self.lookups, client_address(request, self.lookups.trusted_proxies))
            form = parse_qs(read_body(request, LOOKUP_MAX_BYTES).decode("utf-8", "replace"), max_num_fields=10)
            code = (form.get("code") or [""])[0].strip()
            data = load(lookup.LookupQuery, {"code": code, "id_number": (form.get("id_number") or [""])[0].strip()})
            view = lookup.guarded_lookup(self.db, self.lookups, data["code"], data["id_number"])
        except ApiError as exc:
            return html_response(receipt.lookup_page(code, error=exc), status=exc.status)
        except ValueError:  # more fields than any form of ours has
            problem = ApiError(400, "invalid_input", "Biểu mẫu không hợp lệ")
            return html_response(receipt.lookup_page(code, error=problem), status=400)
        except Exception:  # no @api here: the page must not become nameko's plain-text error
            log.exception("unexpected error in lookup_form")
            problem = ApiError(500, "internal_error", "Lỗi hệ thống; vui lòng thử lại sau")
            return html_response(receipt.lookup_page(code, error=problem), status=500)
        return html_response(receipt.lookup_result_page(view))

    # --- the catalogue ----------------------------------------------------------

    @http("GET", "/api/procedures")
    @api(query=DayQuery, answers={200: answers.PROCEDURES})
    def procedures(self, request, query):
        day = query["at"] or clock.now().date()
        with self.db.transaction() as session:
            listed = [catalog.procedure_view(v) for v in catalog.listed_on(session, day)]
        return json_response(200, {"at": day, "procedures": listed})

    @http("GET", "/api/procedures/<string:code>")
    @api(query=DayQuery, answers={200: answers.PROCEDURE_VERSIONS})
    def procedure(self, request, code, query):
        day = query["at"] or clock.now().date()
        with self.db.transaction() as session:
            versions = catalog.versions_of(session, code)
            if not versions:
                raise ApiError(404, "not_found", f"Thủ tục {code} không có trong danh mục")
            current = next((v for v in versions if catalog.effective_on(v, day)), None)
            return json_response(200, {
                "code": code, "at": day, "in_effect": catalog.procedure_view(current) if current else None,
                "versions": [catalog.procedure_view(v) for v in versions]})

    # catalog.import_catalogue loads the file with CatalogueFile itself: it is also the CLI's
    @http("POST", "/api/procedures/import")
    @api(roles=("admin",), body=CatalogueFile, raw_body=True, max_bytes=CATALOGUE_MAX_BYTES,
         answers={200: answers.IMPORT}, errors=(422,))
    def import_catalogue(self, request, body):
        document = body
        with self.db.transaction() as session:
            answer = catalog.import_catalogue(session, document, clock.now().date())
        return json_response(200, answer)

    @http("POST", "/api/procedures/<string:code>/expire")
    @api(roles=("admin",), body=Expiry, answers={200: answers.PROCEDURE})
    def expire_procedure(self, request, code, body):
        with self.db.transaction() as session:
            version = catalog.expire(session, code, body["last_day"])
            return json_response(200, catalog.procedure_view(version))

    # --- the calendar -----------------------------------------------------------

    @http("GET", "/api/calendar/due")
    @api(roles=(), query=DueQuery, answers={200: answers.DUE}, errors=(422,))
    def due(self, request, query):
        code, received_at = query["procedure_code"], query["received_at"] or clock.now()
        with self.db.transaction() as session:
            procedure = catalog.in_effect(session, code, clock.local(received_at).date())
            due_at = calendar_admin.appointment(calendar_store.load(session), procedure, received_at)
        return json_response(200, {"procedure_code": code, "procedure_version": procedure.version,
                                   "received_at": clock.local(received_at), "due_at": due_at})

    @http("GET", "/api/calendar/overrides")
    @api(roles=("admin", "counter"), answers={200: answers.OVERRIDES})
    def calendar_overrides(self, request):
        with self.db.transaction() as session:
            return json_response(200, calendar_admin.listing(session))

    @http("PUT", "/api/calendar/overrides/<string:day>")
    @api(roles=("admin",), path=DayPath, body=CalendarOverrideBody, answers={200: answers.OVERRIDE_SET})
    def set_calendar_override(self, request, day, claims, body):
        with self.db.transaction() as session:
            override, version = calendar_admin.set_override(session, day, body["kind"], body["note"], claims["sub"])
            return json_response(200, {"version": version, **calendar_admin.override_view(override)})

    @http("DELETE", "/api/calendar/overrides/<string:day>")
    @api(roles=("admin",), path=DayPath, answers={200: answers.OVERRIDE_REMOVED})
    def remove_calendar_override(self, request, day):
        with self.db.transaction() as session:
            version = calendar_admin.remove_override(session, day)
        return json_response(200, {"version": version, "removed": day})

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
