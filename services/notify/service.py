"""notify: messages to citizens (SMS and e-mail). Entrypoints only: they translate
events, the timer and HTTP into calls of application.py (writes) or
adapters/queries.py (reads)."""

import functools

from services.notify import application
from services.notify.adapters import queries
from services.notify.adapters.repository import NotifyWork
from services.notify.answers import NOTIFICATIONS, RECEIPT_APPLIED
from services.notify.dependencies import DispatchProvider, Sender
from services.notify.schemas import NotificationsQuery, ReceiptSchema
from shared import clock
from shared.events import EventType
from shared.http import CALLBACK_MAX_BYTES, ApiError, api, http, json_response, read_body
from shared.messaging import handles
from shared.scope import DossierScope
from shared.service import ServiceBase
from shared.signing import fresh, signature_ok
from shared.timer import every


def gateway_signature(service, request):
    """A delivery receipt is the gateway's only when signed with the shared secret."""
    raw = read_body(request, CALLBACK_MAX_BYTES)
    if not signature_ok(service.config.get("SMS_GATEWAY_SECRET") or "", raw, request.headers.get("X-Signature")):
        raise ApiError(401, "bad_signature", "Chữ ký của báo cáo phát tin không hợp lệ")


class NotifyService(ServiceBase):
    name = "notify"
    work = NotifyWork

    dispatch = DispatchProvider()
    sender = Sender()
    dossier_scope = DossierScope()

    def start_work(self):
        return self.db.work(self.work)

    # Every citizen-facing event (domain.policies.CITIZEN_EVENTS).
    @handles(
        "intake",
        EventType.DOSSIER_RECEIVED,
        EventType.DOSSIER_REFUSED,
        EventType.DOSSIER_RETURNED,
        EventType.PAYMENT_REQUESTED,
    )
    @handles(
        "processing",
        EventType.SUPPLEMENT_REQUESTED,
        EventType.DOSSIER_REJECTED,
        EventType.DEADLINE_EXTENDED,
        EventType.RESULT_READY,
    )
    @handles("postal", EventType.SHIPMENT_CREATED, EventType.SHIPMENT_DELIVERED, EventType.SHIPMENT_RETURNED)
    def tell_citizen(self, env, work):
        pending = application.tell_citizen(work, self.dispatch, env, clock.now())
        if pending is not None:  # the providers are called once the messages are committed
            return functools.partial(self.sender.hand_over, pending)
        return None

    @every("SWEEP_SECONDS", 5)
    def sweep(self):
        """Send what is due: left in `created` by a crash, retries, held by quiet
        hours, or cut off in `sending` by a restart."""
        application.sweep(self.start_work, self.dispatch, clock.now)

    @http("POST", "/api/sms/receipts")
    @api(
        before=gateway_signature,
        signed=True,
        body=ReceiptSchema,
        max_bytes=CALLBACK_MAX_BYTES,
        answers={200: RECEIPT_APPLIED},
        errors=(404,),
    )
    def sms_receipt(self, request, body):
        """The SMS gateway's delivery receipt, signed like carrier callbacks."""
        receipt = body
        if not fresh(receipt["timestamp"], self.config.get("SMS_RECEIPT_WINDOW_SECONDS") or 300):
            raise ApiError(401, "stale_callback", "Báo cáo phát tin đã quá hạn (timestamp ngoài khung cho phép)")
        with self.start_work() as work:
            message, changed = application.apply_receipt(work, receipt, clock.now())
            answer = {"message_id": message.id, "status": str(message.status), "changed": changed}
        return json_response(200, answer)

    @http("GET", "/api/notifications")
    @api(roles=("counter", "officer", "admin"), query=NotificationsQuery, answers={200: NOTIFICATIONS}, errors=(404,))
    def notifications(self, request, claims, query):
        code = query["dossier_code"]
        self.dossier_scope.require(claims, code)  # 404 out of scope (shared.scope)
        with self.db.transaction() as session:
            return json_response(200, {"dossier_code": code, "notifications": queries.listing(session, code)})
