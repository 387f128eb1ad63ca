"""postal: results by post, dossiers collected by post, carrier tracking (bưu chính
công ích). Thin entrypoints only: the rules are in shipping, pickups and transit."""
import logging


from shared import calendar_store, logs
from shared.http import CALLBACK_MAX_BYTES, ApiError, api, http, json_response, read_body, read_json
from shared.messaging import handles
from shared.reliability import first_time
from shared.scope import DossierScope
from shared.service import ServiceBase
from shared.signing import fresh, signature_ok
from services.postal import pickups, shipping
from services.postal.answers import SHIPMENT, SHIPMENTS, TRACKED
from services.postal.carrier import CarrierError
from services.postal.dependencies import CarrierAdapter, Rules, every
from services.postal.schemas import PickupRequest, ShipmentsQuery, TrackingUpdate, split_pickup

log = logging.getLogger(__name__)


def carrier_signature(service, request):
    """A tracking callback is the carrier's only when signed with the shared secret."""
    raw = read_body(request, CALLBACK_MAX_BYTES)
    if not signature_ok(service.config["CARRIER_SECRET"], raw, request.headers.get("X-Signature")):
        raise ApiError(401, "bad_signature", "Chữ ký không hợp lệ")


class PostalService(ServiceBase):
    name = "postal"

    carrier = CarrierAdapter()
    rules = Rules()
    dossier_scope = DossierScope()

    def _place_order(self, shipment_id):
        return shipping.place_order(self.db, self.carrier, shipment_id, self.config["CALLBACK_URL"], self.rules)

    @handles("processing", "result_ready")
    def on_result_ready(self, env):
        if env["data"]["return_method"] != "postal":
            return
        with logs.about(env["dossier_code"], env.get("correlation_id")):
            with self.db.transaction() as session:
                shipment_id = shipping.shipment_for_result(session, env, self.rules)
            # A carrier that is down leaves the shipment pending; retry_orders tries again.
            shipment = self._place_order(shipment_id)
            if shipment is not None and shipment.waybill:
                log.info("shipment %s, expected %s", shipment.waybill, shipment.expected_delivery)

    @every("CARRIER_RETRY_POLL_SECONDS", 5)
    def retry_orders(self):
        with self.db.transaction() as session:
            due = shipping.due_for_retry(session)
        for shipment_id in due:
            self._place_order(shipment_id)

    @http("POST", "/api/carrier/callback")
    @api(before=carrier_signature, signed=True, body=TrackingUpdate, max_bytes=CALLBACK_MAX_BYTES,
         answers={200: TRACKED}, errors=(404, 422))
    def carrier_callback(self, request, body):
        update = body
        if not fresh(update["timestamp"], self.config["CALLBACK_WINDOW_SECONDS"]):
            raise ApiError(401, "stale_callback", "Thông báo đã quá hạn (timestamp ngoài khung cho phép)")
        with self.db.transaction() as session:
            shipment, recorded = shipping.apply_tracking(session, update, self.rules)
            code, correlation_id, status = shipment.dossier_code, shipment.correlation_id, shipment.status
        with logs.about(code, correlation_id):
            log.info("tracking %s: %s%s", update["waybill"], update["status"], "" if recorded else " (already known)")
        return json_response(200, {"waybill": update["waybill"], "status": update["status"], "recorded": recorded,
                                   "shipment_status": status})

    @http("GET", "/api/shipments")
    @api(roles=("counter", "officer", "admin"), query=ShipmentsQuery, answers={200: SHIPMENTS}, errors=(404,))
    def shipments(self, request, claims, query):
        code = query["dossier_code"]
        self.dossier_scope.require(claims, code)  # 404 out of scope (shared.scope)
        with self.db.transaction() as session:
            return json_response(200, {"dossier_code": code, "shipments": shipping.shipments_view(session, code)})

    @http("POST", "/api/pickups")
    @api(roles=("portal", "counter"), body=PickupRequest, idempotent=True, answers={200: SHIPMENT, 201: SHIPMENT}, errors=(409,))
    def request_pickup(self, request, claims, body):
        order, submission = split_pickup(body)
        with self.db.transaction() as session:
            # the Idempotency-Key is checked against the body as sent
            pickup, created = pickups.request_pickup(session, order, submission, claims, self.rules,
                                                     request.headers.get("Idempotency-Key"), read_json(request))
            pickup_id = pickup.id
        if created:
            self._place_order(pickup_id)  # carrier down: stays pending, retry_orders tries again
        with self.db.transaction() as session:
            view = shipping.shipment_view(session, pickups.get_pickup(session, pickup_id))
        return json_response(201 if created else 200, view)

    @http("GET", "/api/pickups/<string:pickup_id>")
    @api(roles=("portal", "counter", "admin"), answers={200: SHIPMENT})
    def pickup(self, request, pickup_id, claims):
        with self.db.transaction() as session:
            pickup = pickups.requested_pickup(session, pickup_id, claims)
            return json_response(200, shipping.shipment_view(session, pickup))

    @http("POST", "/api/pickups/<string:pickup_id>/cancel")
    @api(roles=("portal", "counter"), answers={200: SHIPMENT}, errors=(409,))
    def cancel_pickup(self, request, pickup_id, claims):
        with self.db.transaction() as session:
            pickup = pickups.requested_pickup(session, pickup_id, claims)
            pickups.check_cancellable(pickup)
            waybill = pickup.waybill
        if waybill:
            try:
                self.carrier.cancel(waybill)
            except CarrierError as exc:
                raise ApiError(503, "carrier_unavailable", f"Bưu chính chưa nhận lệnh huỷ, thử lại sau ({exc})")
        with self.db.transaction() as session:
            return json_response(200, shipping.shipment_view(session, pickups.cancelled(session, pickup_id)))

    @handles("intake", "calendar_changed")
    def on_calendar_changed(self, env):
        with self.db.transaction() as session:
            if first_time(session, "postal.calendar", env):
                calendar_store.store(session, env["data"])
