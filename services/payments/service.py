"""payments: what dossiers owe (phí, lệ phí) and the payments of it, at the counter or
online through a payment gateway. Entrypoints only: they translate HTTP and events
into the use cases of application.py (writes) or adapters/queries.py (reads)."""

import logging
from urllib.parse import urlencode

from werkzeug.utils import redirect

from services.payments import application
from services.payments.adapters import queries
from services.payments.adapters.gateway import report_of
from services.payments.adapters.repository import PaymentsWork
from services.payments.answers import DAILY, DOSSIER_PAYMENTS, IPN, OPENED, ORDER, QUERIED
from services.payments.dependencies import GatewayAdapter
from services.payments.domain.errors import ObligationNotFound, UnknownOrder
from services.payments.domain.model import Outcome
from services.payments.schemas import CounterPayment, DailyQuery, DossierQuery, OnlineOrder, OrderPath, RefundBody
from shared import clock, exports, logs, payment_gateway, scope
from shared.events import EventType
from shared.http import api, http, json_response
from shared.messaging import handles
from shared.openapi import Media
from shared.service import ServiceBase

log = logging.getLogger(__name__)

# the HTTP status of each answer to the gateway (its body: shared.payment_gateway.ipn_answer)
IPN_STATUS = {
    Outcome.CONFIRMED: 200,
    Outcome.ALREADY_CONFIRMED: 200,
    Outcome.UNKNOWN_ORDER: 404,
    Outcome.WRONG_AMOUNT: 422,
}


def may_see(claims):
    """A counter sees its agency's obligations, an administrator all (shared.scope)."""
    return lambda obligation: scope.allowed(claims, agency=obligation.agency_code)


class PaymentsService(ServiceBase):
    name = "payments"
    work = PaymentsWork

    gateway = GatewayAdapter()

    def _works(self):
        return self.db.work(self.work)

    def _dossier_of(self, order_id):
        """The dossier an order id names, for the log of a refused notice (None: no such order)."""
        view = self._order_view(str(order_id)[:40]) if order_id else None
        return view["dossier_code"] if view else None

    def _order_view(self, order_id):
        with self.db.transaction() as session:
            return queries.order_view(session, order_id)

    @handles("intake", EventType.PAYMENT_REQUESTED)
    def on_payment_requested(self, env, work):
        if application.record_obligation(work, env["dossier_code"], env["data"], env["correlation_id"], clock.now()):
            log.info("obligation %s: %s đồng by %s", env["data"]["stage"], env["data"]["amount"], env["data"]["pay_by"])

    # --- at the counter ------------------------------------------------------------

    @http("POST", "/api/payments/counter")
    @api(roles=("counter",), body=CounterPayment, answers={201: ORDER}, errors=(404, 409, 422))
    def pay_at_counter(self, request, claims, body):
        with self._works() as work:
            order = application.pay_at_counter(work, body, may_see(claims), scope.caller(claims), clock.now())
        return json_response(201, self._order_view(order.id))

    # --- online ------------------------------------------------------------------------

    @http("POST", "/api/payments")
    @api(roles=("portal", "admin"), body=OnlineOrder, answers={201: OPENED}, errors=(404, 409, 422))
    def open_order(self, request, claims, body):
        return_url = self.config["PUBLIC_URL"].rstrip("/") + "/api/payments/return"
        with self._works() as work:
            order, pay_url = application.open_online_order(
                work, self.gateway, body, return_url, scope.caller(claims), clock.now()
            )
        return json_response(201, {"order_id": order.id, "amount": order.amount, "pay_url": pay_url})

    @http("GET", "/api/payments/ipn")
    @api(
        answers={200: IPN},
        summary="the gateway's signed notice (no token: the signature is the authentication); "
        "401 RspCode 97 wrong signature, 404 01 unknown order, 422 04 wrong amount, 200 02 already confirmed",
    )
    def ipn(self, request):
        params = request.args.to_dict()
        if not self.gateway.verify(params):
            with logs.about(self._dossier_of(params.get("order_id"))):
                log.warning("IPN refused: wrong signature (order %s)", params.get("order_id"))
            return json_response(401, payment_gateway.ipn_answer("wrong_signature"))
        report = report_of(params, paid=params.get("response_code") == payment_gateway.PAID)
        with self._works() as work:
            outcome = application.confirm(work, report, clock.now())
        return json_response(IPN_STATUS[outcome], payment_gateway.ipn_answer(str(outcome)))

    @http("GET", "/api/payments/return")
    @api(
        answers={200: QUERIED, 303: Media("text/html")},
        errors=(404,),
        summary="where the citizen's browser comes back from the gateway: to the order's return_url "
        "when it gave one, else the order as JSON (the IPN, not this, records the payment)",
    )
    def came_back(self, request):
        params = request.args.to_dict()
        view = self._order_view(params.get("order_id") or "") if self.gateway.verify(params) else None
        if view is None:
            raise UnknownOrder("Không có giao dịch này")
        with self.db.transaction() as session:
            back = queries.return_url(session, view["id"])
        if back:  # with the gateway's verdict, checked above, for the page to say it
            verdict = urlencode({"order_id": view["id"], "response_code": params.get("response_code", "")})
            return redirect(f"{back}{'&' if '?' in back else '?'}{verdict}", code=303)
        return json_response(200, {"outcome": params.get("response_code"), "order": view})

    @http("POST", "/api/payments/<string:order_id>/query")
    @api(roles=("admin",), path=OrderPath, answers={200: QUERIED}, errors=(404, 503))
    def query(self, request, order_id):
        outcome = application.query(self._works, self.gateway, order_id, clock.now)
        return json_response(200, {"outcome": str(outcome) if outcome else None, "order": self._order_view(order_id)})

    @http("POST", "/api/payments/<string:order_id>/refund")
    @api(roles=("admin",), path=OrderPath, body=RefundBody, answers={200: ORDER}, errors=(404, 409, 503))
    def refund(self, request, order_id, body):
        application.refund(self._works, self.gateway, order_id, body["reason"], clock.now)
        return json_response(200, self._order_view(order_id))

    # --- reads ---------------------------------------------------------------------------

    @http("GET", "/api/payments")
    @api(roles=("counter", "admin"), query=DossierQuery, answers={200: DOSSIER_PAYMENTS}, errors=(404,))
    def dossier_payments(self, request, claims, query):
        code = query["dossier_code"]
        with self.db.transaction() as session:
            agency = queries.agency_of_dossier(session, code)
            if agency is None or not scope.allowed(claims, agency=agency):
                raise ObligationNotFound(scope.dossier_not_found(code))
            return json_response(200, queries.dossier_view(session, code))

    @http("GET", "/api/payments/daily")
    @api(
        roles=("admin",),
        query=DailyQuery,
        answers={200: Media({"application/json": DAILY, "text/csv": None, exports.XLSX_TYPE: None})},
        summary="the payments of a day (Vietnam's time), format=json, csv or xlsx",
    )
    def daily(self, request, query):
        day = query["date"]
        with self.db.transaction() as session:
            rows = queries.paid_on(session, day)
        if query["format"] == "json":
            return json_response(200, {"date": day, "total": sum(r["amount"] for r in rows), "payments": rows})
        return exports.download(query["format"], f"thu-phi-le-phi-{day}", [queries.daily_table(day, rows)])
