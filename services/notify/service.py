"""notify: messages to citizens (SMS and e-mail). Thin entrypoints only."""


from shared import logs
from shared.http import CALLBACK_MAX_BYTES, ApiError, api, http, json_response, read_body
from shared.messaging import handles
from shared.scope import DossierScope
from shared.service import ServiceBase
from shared.signing import fresh, signature_ok
from services.notify import messages
from services.notify.answers import NOTIFICATIONS, RECEIPT_APPLIED
from services.notify.dependencies import DispatchProvider, configured_timer
from services.notify.receipts import ReceiptSchema
from services.notify.schemas import NotificationsQuery


def gateway_signature(service, request):
    """A delivery receipt is the gateway's only when signed with the shared secret."""
    raw = read_body(request, CALLBACK_MAX_BYTES)
    if not signature_ok(service.config.get("SMS_GATEWAY_SECRET") or "", raw, request.headers.get("X-Signature")):
        raise ApiError(401, "bad_signature", "Chữ ký của báo cáo phát tin không hợp lệ")


class NotifyService(ServiceBase):
    name = "notify"

    dispatch = DispatchProvider()
    dossier_scope = DossierScope()

    def _notify(self, env):
        with logs.about(env["dossier_code"], env.get("correlation_id")):
            messages.handle(self.db, self.dispatch, env, f"notify.{env['event_type']}")

    # Every citizen-facing event of the contract (rules.CITIZEN_EVENTS).
    @handles("intake", "dossier_received")
    def on_dossier_received(self, env):
        self._notify(env)

    @handles("intake", "dossier_refused")
    def on_dossier_refused(self, env):
        self._notify(env)

    @handles("processing", "supplement_requested")
    def on_supplement_requested(self, env):
        self._notify(env)

    @handles("processing", "dossier_rejected")
    def on_dossier_rejected(self, env):
        self._notify(env)

    @handles("processing", "deadline_extended")
    def on_deadline_extended(self, env):
        self._notify(env)

    @handles("processing", "result_ready")
    def on_result_ready(self, env):
        self._notify(env)

    @handles("postal", "shipment_created")
    def on_shipment_created(self, env):
        self._notify(env)

    @handles("postal", "shipment_delivered")
    def on_shipment_delivered(self, env):
        self._notify(env)

    @handles("postal", "shipment_returned")
    def on_shipment_returned(self, env):
        self._notify(env)

    @handles("intake", "dossier_returned")
    def on_dossier_returned(self, env):
        self._notify(env)

    @configured_timer("SWEEP_SECONDS", 5)
    def sweep(self):
        """Send what is due: left in `created` by a crash, retries, held by quiet
        hours, or cut off in `sending` by a restart."""
        with self.db.transaction() as session:
            batch = messages.due(session, self.dispatch.settings)
        for message_id, channel, resume in batch:
            messages.deliver(self.db, self.dispatch, message_id, channel, resume)

    @http("POST", "/api/sms/receipts")
    @api(before=gateway_signature, signed=True, body=ReceiptSchema, max_bytes=CALLBACK_MAX_BYTES,
         answers={200: RECEIPT_APPLIED}, errors=(404,))
    def sms_receipt(self, request, body):
        """The SMS gateway's delivery receipt, signed like carrier callbacks."""
        receipt = body
        if not fresh(receipt["timestamp"], self.config.get("SMS_RECEIPT_WINDOW_SECONDS") or 300):
            raise ApiError(401, "stale_callback", "Báo cáo phát tin đã quá hạn (timestamp ngoài khung cho phép)")
        with self.db.transaction() as session:
            message, changed = messages.apply_receipt(session, receipt)
            answer = {"message_id": message.id, "status": message.status, "changed": changed}
        return json_response(200, answer)

    @http("GET", "/api/notifications")
    @api(roles=("counter", "officer", "admin"), query=NotificationsQuery, answers={200: NOTIFICATIONS},
         errors=(404,))
    def notifications(self, request, claims, query):
        code = query["dossier_code"]
        self.dossier_scope.require(claims, code)  # 404 out of scope (shared.scope)
        with self.db.transaction() as session:
            return json_response(200, {"dossier_code": code, "notifications": messages.listing(session, code)})
