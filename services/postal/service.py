"""postal: results by post and carrier tracking (bưu chính công ích). Thin entrypoints only."""
import logging
import time

from nameko.dependency_providers import Config

from shared import calendar_store, health, logs
from shared.auth import Auth
from shared.db import Database
from shared.http import ApiError, api, error_response, http, json_response, load, read_json
from shared.messaging import handles
from shared.reliability import first_time
from shared.relay import OutboxRelay
from services.postal import shipping
from services.postal.carrier import CarrierError, signature_ok
from services.postal.dependencies import Carrier
from services.postal.schemas import TrackingUpdate

log = logging.getLogger(__name__)


class PostalService:
    name = "postal"

    config = Config()
    db = Database()
    relay = OutboxRelay()
    auth = Auth()
    carrier = Carrier()

    @http("GET", "/health")
    def health(self, request):
        return health.check(self.db, self.config["AMQP_URI"])

    @handles("processing", "result_ready")
    def on_result_ready(self, env):
        if env["data"]["return_method"] != "postal":
            return
        with logs.about(env["dossier_code"], env.get("correlation_id")):
            with self.db.transaction() as session:
                shipment = shipping.pending_shipment(session, env)
                if shipment.status != "pending":
                    return  # already ordered: a redelivered result_ready
                shipment_id, reference, address = shipment.id, shipping.reference(shipment), shipment.address
            try:
                order = self.carrier.create_order(reference, address, self.config["CALLBACK_URL"])
            except CarrierError as exc:
                with self.db.transaction() as session:
                    shipping.note_failure(session, shipment_id, str(exc))
                raise  # retried with backoff by the handler; the shipment stays pending
            with self.db.transaction() as session:
                shipment = shipping.record_order(session, shipment_id, order)
            log.info("shipment %s created, expected %s", shipment.waybill, shipment.expected_delivery)

    @http("POST", "/api/carrier/callback")
    @api
    def carrier_callback(self, request):
        cfg = self.config
        raw = request.get_data(cache=True)
        if not signature_ok(cfg["CARRIER_SECRET"], raw, request.headers.get("X-Signature")):
            return error_response(401, "bad_signature", "Chữ ký không hợp lệ")
        update = load(TrackingUpdate(), read_json(request))
        if abs(time.time() - update["timestamp"]) > float(cfg["CALLBACK_WINDOW_SECONDS"]):
            return error_response(401, "stale_callback", "Thông báo đã quá hạn (timestamp ngoài khung cho phép)")
        with self.db.transaction() as session:
            shipment, changed = shipping.apply_tracking(session, update)
            dossier_code, correlation_id = shipment.dossier_code, shipment.correlation_id
        with logs.about(dossier_code, correlation_id):
            log.info("tracking %s: %s%s", update["waybill"], update["status"], "" if changed else " (already known)")
        return json_response(200, {"waybill": update["waybill"], "status": update["status"], "recorded": changed})

    @http("GET", "/api/shipments")
    @api
    def shipments(self, request):
        self.auth.require(request, "counter", "officer", "admin")
        code = request.args.get("dossier_code")
        if not code:
            raise ApiError(400, "invalid_input", "Cần mã hồ sơ", {"dossier_code": ["Bắt buộc"]})
        with self.db.transaction() as session:
            return json_response(200, {"dossier_code": code, "shipments": shipping.shipments_view(session, code)})

    @handles("intake", "calendar_changed")
    def on_calendar_changed(self, env):
        with self.db.transaction() as session:
            if first_time(session, "postal.calendar", env):
                calendar_store.store(session, env["data"])
