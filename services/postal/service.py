"""postal: results by post, dossiers collected by post, carrier tracking (bưu chính
công ích). Entrypoints only: they translate HTTP, events and timers into the use
cases of application.py (writes) or adapters/queries.py (reads)."""

import logging

from services.postal import application
from services.postal.adapters import queries
from services.postal.adapters.repository import PostalWork
from services.postal.answers import SHIPMENT, SHIPMENTS, TRACKED
from services.postal.dependencies import CarrierAdapter, Rules
from services.postal.domain.model import Requester, TrackingReport
from services.postal.schemas import PickupRequest, ShipmentsQuery, TrackingUpdate, split_pickup
from shared import clock, logs, scope
from shared.events import EventType
from shared.http import CALLBACK_MAX_BYTES, ApiError, api, http, json_response, read_body, request_hash
from shared.messaging import handles
from shared.scope import DossierScope
from shared.service import ServiceBase
from shared.signing import fresh, signature_ok
from shared.timer import every

log = logging.getLogger(__name__)


def carrier_signature(service, request):
    """A tracking callback is the carrier's only when signed with the shared secret."""
    raw = read_body(request, CALLBACK_MAX_BYTES)
    if not signature_ok(service.config["CARRIER_SECRET"], raw, request.headers.get("X-Signature")):
        raise ApiError(401, "bad_signature", "Chữ ký không hợp lệ")


def reader(claims):
    """The scope of `claims` as a test of who asked for a pickup (shared.scope: the
    portal client itself, a counter of its agency, an administrator)."""
    return lambda requester: scope.allowed(claims, agency=requester.agency, created_by=(requester.role, requester.sub))


class PostalService(ServiceBase):
    name = "postal"
    work = PostalWork

    carrier = CarrierAdapter()
    rules = Rules()
    dossier_scope = DossierScope()

    def _works(self):
        return self.db.work(self.work)

    def _place_order(self, shipment_id):
        return application.place_order(
            self._works, self.carrier, shipment_id, self.config["CALLBACK_URL"], self.rules, clock.now
        )

    def _order_after_commit(self, shipment_id):
        """What runs after the commit: the carrier order (a carrier that is down leaves
        the shipment pending: retry_orders tries again)."""

        def order():
            shipment = self._place_order(shipment_id)
            if shipment is not None and shipment.waybill:
                log.info("shipment %s, expected %s", shipment.waybill, shipment.expected_delivery)

        return order

    @handles("processing", EventType.RESULT_READY)
    def on_result_ready(self, env, work):
        if env["data"]["return_method"] != "postal":
            return None
        shipment_id = application.ship_result(
            work, env["dossier_code"], env["data"].get("postal_address"), env["correlation_id"], clock.now(), self.rules
        )
        return self._order_after_commit(shipment_id)

    @handles("processing", EventType.DOSSIER_REJECTED)
    def on_dossier_rejected(self, env, work):
        """The refusal notice and the original papers go back by post when the
        applicant chose postal return (processing's `return_method`; older events
        without it: collected at the counter)."""
        if env["data"].get("return_method") != "postal":
            return None
        shipment_id = application.ship_rejection(
            work, env["dossier_code"], env["data"].get("postal_address"), env["correlation_id"], clock.now(), self.rules
        )
        return self._order_after_commit(shipment_id)

    @every("CARRIER_RETRY_POLL_SECONDS", 5)
    def retry_orders(self):
        application.retry_orders(self._works, self.carrier, self.config["CALLBACK_URL"], self.rules, clock.now)

    @http("POST", "/api/carrier/callback")
    @api(
        before=carrier_signature,
        signed=True,
        body=TrackingUpdate,
        max_bytes=CALLBACK_MAX_BYTES,
        answers={200: TRACKED},
        errors=(404, 422),
    )
    def carrier_callback(self, request, body):
        if not fresh(body["timestamp"], self.config["CALLBACK_WINDOW_SECONDS"]):
            raise ApiError(401, "stale_callback", "Thông báo đã quá hạn (timestamp ngoài khung cho phép)")
        report = TrackingReport(
            waybill=body["waybill"],
            status=body["status"],
            at=body["at"],
            attempt=body.get("attempt") or 0,
            reason=body.get("reason"),
            collected_amount=body.get("collected_amount"),
            reference=body.get("reference"),
            postage=body.get("postage"),
        )
        with self._works() as work:
            shipment, recorded = application.track(work, report, clock.now(), self.rules)
        with logs.about(shipment.dossier_code, shipment.correlation_id):
            log.info("tracking %s: %s%s", report.waybill, report.status, "" if recorded else " (already known)")
        return json_response(
            200,
            {
                "waybill": report.waybill,
                "status": report.status,
                "recorded": recorded,
                "shipment_status": shipment.status,
            },
        )

    @http("GET", "/api/shipments")
    @api(roles=("counter", "officer", "admin"), query=ShipmentsQuery, answers={200: SHIPMENTS}, errors=(404,))
    def shipments(self, request, claims, query):
        code = query["dossier_code"]
        self.dossier_scope.require(claims, code)  # 404 out of scope (shared.scope)
        with self.db.transaction() as session:
            return json_response(200, {"dossier_code": code, "shipments": queries.shipments_view(session, code)})

    @http("POST", "/api/pickups")
    @api(
        roles=("portal", "counter"),
        body=PickupRequest,
        idempotent=True,
        answers={200: SHIPMENT, 201: SHIPMENT},
        errors=(409,),
    )
    def request_pickup(self, request, claims, body, sent):
        order, submission = split_pickup(body)
        key = request.headers.get("Idempotency-Key")
        with self._works() as work:
            pickup, created = application.request_pickup(
                work,
                order["pickup_address"],
                order["fees_to_collect"],
                submission,
                Requester.of(claims["role"], claims["sub"], claims.get("agency")),
                request_hash(sent),  # the Idempotency-Key is checked against the body as sent
                clock.now(),
                self.rules,
                request_key=f"{scope.caller(claims)}:{key}"[:250] if key else None,
            )
        if created:
            self._place_order(pickup.id)  # carrier down: stays pending, retry_orders tries again
        return json_response(201 if created else 200, self._pickup_view(pickup.id))

    @http("GET", "/api/pickups/<string:pickup_id>")
    @api(roles=("portal", "counter", "admin"), answers={200: SHIPMENT})
    def pickup(self, request, pickup_id, claims):
        with self.db.transaction() as session:
            return json_response(200, queries.pickup_view(session, pickup_id, reader(claims)))

    @http("POST", "/api/pickups/<string:pickup_id>/cancel")
    @api(roles=("portal", "counter"), answers={200: SHIPMENT}, errors=(409,))
    def cancel_pickup(self, request, pickup_id, claims):
        application.cancel_pickup(self._works, self.carrier, pickup_id, reader(claims), clock.now)
        return json_response(200, self._pickup_view(pickup_id))

    def _pickup_view(self, pickup_id):
        with self.db.transaction() as session:
            return queries.pickup_view(session, pickup_id)

    @handles("intake", EventType.CALENDAR_CHANGED)
    def on_calendar_changed(self, env, work):
        work.keep_calendar(env["data"])
