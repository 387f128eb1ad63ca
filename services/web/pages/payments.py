"""The fees' pages: what a dossier owes and its payments on the counter's dossier page
(recording a cash or card payment, the printable receipt), the citizen's online
payment from the lookup page (the web, as the portal, opens an order at payments and
sends the browser to the gateway), the page the gateway sends the browser back to,
and the administrator's day of payments with its CSV and Excel and each paid
order's refund.

Everything through payments' API (GET /api/payments?dossier_code=, POST
/api/payments/counter, POST /api/payments, GET /api/payments/daily, POST
/api/payments/{order_id}/refund). The helpers above the mixin are framework-free
(tests/unit/web/test_payment_pages.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from werkzeug.wrappers import Response

from services.web import words
from services.web.backends import ApiProblem, Unreachable
from services.web.form_errors import Errors, flatten, rename, unplaced
from services.web.pages import citizen, counter, files
from services.web.pages.base import CONTENT_SECURITY_POLICY, PageRefused, Pages, page
from shared.http import http

PAID = "00"  # the gateway's response_code of a payment made (shared/payment_gateway.py)
RETURN_PATH = "/thanh-toan/ket-qua"
PAYMENT_FIELDS = ("pay.method", "pay.amount", "pay.receipt_number")
# the API's body fields (and the refusals without one) as the counter's form names them
FORM_NAMES = {"method": "pay.method", "amount": "pay.amount", "receipt_number": "pay.receipt_number"}
CODE_FIELDS = {"amount_mismatch": "pay.amount", "receipt_number_used": "pay.receipt_number"}
DOWNLOADS = {"csv": "Tải CSV", "xlsx": "Tải Excel"}
# payments' refusals of a refund the administrator reads on the day's page
REFUND_REFUSALS = (404, 409, 422, 503)
REFUND_REASON_NEEDED = "Nhập lý do hoàn tiền"


def fee_rows(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each obligation of payments' dossier view with the order that paid it (None
    while unpaid), oldest first."""
    orders = {o["id"]: o for o in answer.get("orders") or ()}
    return [{**owed, "order": orders.get(owed.get("paid_by_order") or "")} for owed in answer.get("obligations") or ()]


def whole_dong(text: str) -> int | None:
    """An amount typed at the counter: digits, the thousands grouped by dots, spaces or
    commas as people write them ("75.000"); None when it is not a whole number."""
    digits = "".join(ch for ch in text.strip() if ch not in ". ,")
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


def counter_payment(form: Mapping[str, str], dossier_code: str) -> tuple[dict[str, Any], Errors]:
    """The form "Ghi nhận thanh toán" as payments' body, and what is wrong beside its fields."""
    errors: Errors = {}
    method = form.get("pay.method", "")
    if method not in dict(words.COUNTER_METHODS):
        errors["pay.method"] = ["Chọn hình thức: tiền mặt hoặc thẻ"]
    amount = whole_dong(form.get("pay.amount", ""))
    if amount is None:
        errors["pay.amount"] = ["Nhập số tiền bằng chữ số (đồng), ví dụ 75.000"]
    receipt = form.get("pay.receipt_number", "").strip()
    if not receipt:
        errors["pay.receipt_number"] = ["Nhập số biên lai"]
    body = {
        "dossier_code": dossier_code,
        "stage": form.get("pay.stage", ""),
        "method": method,
        "amount": amount,
        "receipt_number": receipt,
    }
    return body, errors


def payment_errors(problem: ApiProblem) -> Errors:
    """payments' refusal beside the form's fields (a refusal of the amount or of the
    receipt number beside that field even when it names no field)."""
    errors = rename(flatten(problem.fields), FORM_NAMES)
    if problem.code in CODE_FIELDS and not errors:
        errors[CODE_FIELDS[problem.code]] = [problem.message]
    return errors


def return_url(base: str, dossier_code: str) -> str:
    """Where the gateway sends the citizen back: this site's result page, with the
    dossier's code for the link back to the lookup."""
    return base.rstrip("/") + RETURN_PATH + "?" + urlencode({"ma": dossier_code})


def outcome(params: Mapping[str, str]) -> str | None:
    """What the gateway's parameters say: "paid", "failed", or None when it sent none."""
    code = params.get("response_code")
    if not code:
        return None
    return "paid" if code == PAID else "failed"


def origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def to_gateway(response: Response, gateway_url: str) -> Response:
    """A page with the online payment form: its POST answers a redirect to the gateway,
    which the browser follows only if the page's form-action allows the gateway."""
    allowed = origin(gateway_url)
    if allowed:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {allowed}"
        )
    return response


def _fees_of(view: Any, code: str) -> list[dict[str, Any]]:
    try:
        return fee_rows(view.api.get("payments", "/api/payments", {"dossier_code": code}))
    except ApiProblem as problem:
        if problem.status == 404:  # payments knows no obligation of this dossier
            return []
        raise


def dossier_fees(view: Any, dossier: Mapping[str, Any]) -> dict[str, Any]:
    """The counter's section "Phí, lệ phí": the exemption, the obligations of a received
    dossier, or why they cannot be shown (payments down must not take the dossier page
    with it)."""
    fees: dict[str, Any] = {"rows": [], "unavailable": None, "exemption": dossier.get("fee_exemption")}
    if dossier.get("code"):
        try:
            fees["rows"] = _fees_of(view, dossier["code"])
        except (Unreachable, ApiProblem) as exc:
            fees["unavailable"] = str(exc)
    return fees


class PaymentPages(Pages):
    # the counter's dossier page and the citizen's lookup, from their own mixins
    _counter_dossier: Any  # CounterPages
    _looked_up: Any  # CitizenPages

    # --- the counter -------------------------------------------------------------------

    @http("POST", "/quay/ho-so/<string:code>/thanh-toan")
    @page("counter")
    def counter_record_payment(self, request: Any, view: Any, code: str) -> Response:
        body, errors = counter_payment(view.form, code)
        values = view.form.to_dict()
        if errors:
            message = "Chưa ghi nhận được thanh toán: xem các ô được đánh dấu"
            return self._counter_dossier(view, code, errors, message, 400, values)
        try:
            order = view.api.post("payments", "/api/payments/counter", body)
        except ApiProblem as problem:
            if problem.status not in (400, 409, 422):
                raise
            errors = payment_errors(problem)
            general = unplaced(errors, PAYMENT_FIELDS)
            message = "; ".join(general) if general else problem.message
            return self._counter_dossier(view, code, errors, message, problem.status, values)
        amount, number = words.dong(order["amount"]), order["receipt_number"]
        done = f"Đã ghi nhận thanh toán {amount} của hồ sơ {code}, biên lai số {number}"
        return view.redirect(counter.dossier_url(code) + "#phi-le-phi", flash=done)

    @http("GET", "/quay/ho-so/<string:code>/bien-lai/<string:order_id>")
    @page("counter")
    def counter_payment_receipt(self, request: Any, view: Any, code: str, order_id: str) -> Response:
        dossier = view.api.get("intake", f"/api/dossiers/{quote(code, safe='')}")
        rows = _fees_of(view, dossier.get("code") or code)
        paid = next((r for r in rows if r["order"] and r["order"]["id"] == order_id), None)
        if paid is None:
            raise PageRefused(404, f"Hồ sơ {code} không có khoản thanh toán {order_id[:40]}")
        return view.render(
            "payments/receipt.html", d=dossier, fee=paid, order=paid["order"], url=counter.dossier_url(code)
        )

    # --- the citizen -------------------------------------------------------------------

    @http("POST", "/thanh-toan")
    @page()
    def citizen_pay_online(self, request: Any, view: Any) -> Response:
        """The lookup's code and identifier typed again (nothing personal is kept between
        pages), asked of intake; what it says is owed is opened at payments as the portal
        and the browser sent to the gateway."""

        def pay(answer: Mapping[str, Any]) -> Response:
            due = answer.get("payment_due")
            if not answer.get("code") or not due or not due.get("online"):
                raise PageRefused(409, "Hồ sơ này không có khoản phí, lệ phí nộp trực tuyến")
            base = self.config.get("PUBLIC_URL") or request.host_url
            body = {
                "dossier_code": answer["code"],
                "stage": due["stage"],
                "return_url": return_url(base, answer["code"]),
            }
            opened = citizen.portal_api(self, view).post("payments", "/api/payments", body)
            return view.redirect(opened["pay_url"])

        return self._looked_up(view, lambda api, body: api.post("intake", "/api/lookup", body), pay)

    @http("GET", RETURN_PATH)
    @page()
    def citizen_payment_result(self, request: Any, view: Any) -> Response:
        code = (request.args.get("ma") or "").strip()[:60]
        return view.render("payments/result.html", outcome=outcome(request.args), code=code)

    # --- the administrator ---------------------------------------------------------------

    def _day(self, view: Any) -> str:
        return (view.request.args.get("date") or "").strip()[:10] or view.now.date().isoformat()

    @http("GET", "/quan-tri/thanh-toan")
    @page("admin")
    def admin_daily_payments(self, request: Any, view: Any) -> Response:
        return self._daily_payments(view, self._day(view))

    @http("POST", "/quan-tri/thanh-toan/<string:order_id>/hoan-tien")
    @page("admin")
    def admin_refund(self, request: Any, view: Any, order_id: str) -> Response:
        """A paid order refunded with its reason; payments' refusal (already refunded,
        the gateway down) is said on the day's page, beside the order's form."""
        day = self._day(view)
        reason = view.form.get("refund.reason", "").strip()
        if not reason:
            errors = {"refund.reason": [REFUND_REASON_NEEDED]}
            return self._daily_payments(view, day, errors, "Chưa hoàn tiền: xem ô được đánh dấu", 400, order_id)
        try:
            order = view.api.post("payments", f"/api/payments/{quote(order_id, safe='')}/refund", {"reason": reason})
        except ApiProblem as problem:
            if problem.status not in REFUND_REFUSALS:
                raise
            errors = rename(flatten(problem.fields), {"reason": "refund.reason"})
            return self._daily_payments(view, day, errors, problem.message, problem.status, order_id)
        number = order.get("receipt_number") or order["id"]
        done = f"Đã hoàn tiền giao dịch {number} của hồ sơ {order['dossier_code']}: {words.dong(order['amount'])}"
        return view.redirect("/quan-tri/thanh-toan?" + urlencode({"date": day}), flash=done)

    def _daily_payments(
        self,
        view: Any,
        day: str,
        errors: Errors | None = None,
        message: str | None = None,
        status: int = 200,
        refusing: str | None = None,
    ) -> Response:
        """The day's page; `refusing`: the order whose refund was refused (`errors`
        beside its reason)."""
        listed = None
        try:
            listed = view.api.get("payments", "/api/payments/daily", {"date": day, "format": "json"})
        except ApiProblem as problem:
            if problem.status not in (400, 422):
                raise
            errors, message, status = flatten(problem.fields), problem.message, problem.status
        downloads = [
            (label, "/quan-tri/thanh-toan/tai?" + urlencode({"date": day, "format": fmt}))
            for fmt, label in DOWNLOADS.items()
        ]
        return view.render(
            "payments/daily.html",
            status=status,
            section="thanh-toan",
            day=day,
            listed=listed,
            downloads=downloads,
            errors=errors or {},
            message=message,
            refusing=refusing,
            typed=view.form.get("refund.reason", "") if refusing else "",
        )

    @http("GET", "/quan-tri/thanh-toan/tai")
    @page("admin")
    def admin_daily_payments_download(self, request: Any, view: Any) -> Response:
        fmt = request.args.get("format", "")
        if fmt not in DOWNLOADS:
            raise PageRefused(400, "Định dạng tải về là CSV hoặc Excel (xlsx)")
        answer = view.api.stream("payments", "/api/payments/daily", params={"date": self._day(view), "format": fmt})
        return files.passed_through(view, answer, download=True)
