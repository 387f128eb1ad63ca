"""A payment gateway simulator (`motcua payment-gateway-sim`): a real HTTP server that
plays a Vietnamese online payment gateway for the payments service, in tests and in
`motcua up`. It speaks shared/payment_gateway.py's protocol and signs and checks
with that module; a request whose signature is wrong is refused (the /pay page with
an error page, the API with 401 JSON).

- `GET /pay?...` opens the transaction (pending) and shows the citizen a page with
  the amount and two buttons, "Thanh toán" (`POST /pay/confirm`) and "Hủy"
  (`POST /pay/cancel`), plain forms. Either settles the transaction, calls the IPN
  URL (server to server, one attempt) and sends the browser back to `return_url`,
  both with the signed result.
- `GET /api/transactions/<order_id>`, `GET /api/transactions?date=`,
  `POST /api/refunds`: query, the day's list (transactions the gateway opened that
  day, Vietnam time), refund (once per order).

The mode (`POST /control/mode` {"mode", "delay_seconds"}) decides how a result
reaches the merchant: `success` (paid), `failure` (response code "24", not paid),
`timeout` (no IPN and no redirect: the transaction stays pending until it is
queried, which settles it, or `POST /control/pay` sends the IPN), `duplicate` (the
IPN twice), `late` (the IPN `delay_seconds` later, in the background),
`wrong_amount` (the IPN says 1,000 đồng less, signed correctly).

Tests also use `POST /control/orders` (open a transaction from the signed /pay
parameters, as JSON, without a browser), `POST /control/pay` {order_id} (press
"Thanh toán" without a browser; for a settled transaction, send its IPN again, as
gateways retry), `GET /control/ipn-log` (every IPN sent and what came back) and
`POST /control/forget` {order_id} (the gateway loses a transaction: reconciliation).
"""

import html
import logging
import threading
import time
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from devtools.fake_server import JsonHandler, Running, Server
from shared import clock
from shared import payment_gateway as protocol

log = logging.getLogger("payment-gateway-sim")

MODES = protocol.SIMULATOR_MODES
CANCELLED = "24"  # the customer cancelled or the payment failed
WRONG_AMOUNT_OFF = 1000
TIME_FORMAT = "%Y%m%d%H%M%S"  # the gateways' yyyyMMddHHmmss, Vietnam time
PAY_PARAMS = ("merchant", "order_id", "amount", "order_info", "return_url", "created_at")


def gateway_time(moment: datetime) -> str:
    return clock.local(moment).strftime(TIME_FORMAT)


def format_dong(amount: int) -> str:
    """75000 -> "75.000 đ" (Vietnamese thousands separator)."""
    return f"{amount:,}".replace(",", ".") + " đ"


class Refused(Exception):
    """A request the gateway turns down: HTTP status and the reason."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status, self.reason = status, reason


class PaymentGatewaySimulator:
    def __init__(self, merchant, secret, ipn_url=None, mode="success", delay_seconds=5.0):
        self.merchant, self.secret, self.ipn_url = merchant, secret, ipn_url
        self.mode, self.delay_seconds = "success", 0.0
        self.configure(mode=mode, delay_seconds=delay_seconds)
        self.transactions = {}  # order_id -> transaction
        self.ipn_log = []
        self.next_number = 14000001
        self.lock = threading.Lock()

    def configure(self, mode=None, delay_seconds=None):
        if mode is not None and mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if delay_seconds is not None and (
            isinstance(delay_seconds, bool) or not isinstance(delay_seconds, (int, float)) or delay_seconds < 0
        ):
            raise ValueError("delay_seconds must be a number of seconds, 0 or more")
        self.mode = mode or self.mode
        self.delay_seconds = self.delay_seconds if delay_seconds is None else float(delay_seconds)

    def settings(self):
        return {"mode": self.mode, "delay_seconds": self.delay_seconds, "ipn_url": self.ipn_url}

    def check(self, params):
        """Refuse what this merchant did not sign."""
        if params.get("merchant") != self.merchant or not protocol.verify(params, self.secret):
            raise Refused(401, "invalid signature")

    # transactions

    def open(self, params, required=("merchant", "order_id", "amount", "return_url")):
        """The pending transaction of signed /pay parameters (the same order opened again
        gives the same transaction)."""
        params = {name: str(value) for name, value in params.items() if value is not None}  # JSON: numbers too
        self.check(params)
        missing = [name for name in required if not params.get(name)]
        if missing:
            raise Refused(400, f"missing {', '.join(missing)}")
        amount = params["amount"]
        if not (amount.isascii() and amount.isdigit() and int(amount) > 0):
            raise Refused(400, "amount must be a whole number of đồng")
        with self.lock:
            known = self.transactions.get(params["order_id"])
            if known is not None:
                if known["amount"] != int(amount):
                    raise Refused(409, "order_id already used with another amount")
                return known
            transaction = {
                **{name: params.get(name) for name in PAY_PARAMS},
                "amount": int(amount),
                "opened_at": clock.now(),
                "status": "pending",
                "response_code": None,  # decided by the button, even while held back (timeout)
                "transaction_no": None,
                "paid_at": None,
                "refunded_at": None,
            }
            self.transactions[transaction["order_id"]] = transaction
            return transaction

    def find(self, order_id):
        with self.lock:
            transaction = self.transactions.get(order_id)
        if transaction is None:
            raise Refused(404, "unknown order")
        return transaction

    def press(self, order_id, pay=True):
        """The citizen presses "Thanh toán" (pay) or "Hủy": the result under the current
        mode. Returns the transaction and the result parameters, None when the gateway
        holds it back (timeout)."""
        with self.lock:
            transaction = self.transactions.get(order_id)
            if transaction is None:
                raise Refused(404, "unknown order")
            if transaction["response_code"] is not None:
                raise Refused(409, "transaction already processed")
            transaction["response_code"] = protocol.PAID if pay and self.mode != "failure" else CANCELLED
            mode = self.mode
            if mode != "timeout":
                self._settle(transaction)
        return transaction, None if mode == "timeout" else self.deliver(transaction, mode)

    def release(self, order_id):
        """`POST /control/pay`: pay a transaction not yet paid and send its IPN, whatever
        the mode's timeout; a settled one gets its IPN again."""
        transaction = self.find(order_id)
        with self.lock:
            if transaction["response_code"] is None:
                transaction["response_code"] = CANCELLED if self.mode == "failure" else protocol.PAID
            self._settle(transaction)
        return self.deliver(transaction, "success" if self.mode == "timeout" else self.mode)

    def _settle(self, transaction):
        """Pending -> success/failed, with a transaction number (under the lock)."""
        if transaction["status"] != "pending":
            return
        transaction["transaction_no"] = str(self.next_number)
        self.next_number += 1
        paid = transaction["response_code"] == protocol.PAID
        transaction["status"] = "success" if paid else "failed"
        transaction["paid_at"] = gateway_time(clock.now()) if paid else None

    def result(self, transaction, amount=None):
        """The signed result parameters (IPN and return_url)."""
        return protocol.signed(
            {
                "merchant": self.merchant,
                "order_id": transaction["order_id"],
                "amount": transaction["amount"] if amount is None else amount,
                "transaction_no": transaction["transaction_no"],
                "response_code": transaction["response_code"],
                "paid_at": transaction["paid_at"],
            },
            self.secret,
        )

    def deliver(self, transaction, mode):
        """Send the IPN as the mode says; returns the result parameters (the redirect's)."""
        amount = transaction["amount"] - WRONG_AMOUNT_OFF if mode == "wrong_amount" else None
        params = self.result(transaction, amount)
        if mode == "late":
            threading.Thread(target=self._late, args=(params, self.delay_seconds), daemon=True).start()
        else:
            for _ in range(2 if mode == "duplicate" else 1):
                self.notify(params)
        return params

    def _late(self, params, delay):
        time.sleep(delay)
        self.notify(params)

    def notify(self, params):
        """One IPN call (GET with the parameters); what it got back goes to the log."""
        entry = {"order_id": params["order_id"], "params": params, "at": clock.now().isoformat()}
        if not self.ipn_url:
            entry["error"] = "no IPN URL configured"
        else:
            try:
                answer = requests.get(self.ipn_url, params=params, timeout=10)
                entry["status"] = answer.status_code
                try:
                    entry["answer"] = answer.json()
                except ValueError:
                    entry["answer"] = answer.text
            except requests.RequestException as exc:
                entry["error"] = str(exc)
                log.warning("IPN for %s not delivered: %s", params["order_id"], exc)
        with self.lock:
            self.ipn_log.append(entry)
        return entry

    def sent(self):
        with self.lock:
            return list(self.ipn_log)

    def query(self, order_id):
        """The signed state of a transaction; querying settles one held back (timeout)."""
        transaction = self.find(order_id)
        with self.lock:
            if transaction["response_code"] is not None:
                self._settle(transaction)
            return self.state(transaction)

    def state(self, transaction):
        """A transaction as the query and the day's list answer it, signed."""
        fields = {name: transaction[name] for name in ("order_id", "amount", "transaction_no", "status", "paid_at")}
        return {**fields, protocol.SIGNATURE: protocol.sign(fields, self.secret)}

    def day(self, day: date):
        with self.lock:
            return [self.state(t) for t in self.transactions.values() if clock.local(t["opened_at"]).date() == day]

    def refund(self, params):
        """A refund of the whole amount, once per order."""
        self.check(params)
        transaction = self.find(params.get("order_id"))
        with self.lock:
            if transaction["status"] != "success":
                outcome = ("failed", "Giao dịch chưa được thanh toán")
            elif str(params.get("amount")) != str(transaction["amount"]):
                outcome = ("failed", "Số tiền hoàn không khớp giao dịch")
            elif params.get("transaction_no") != transaction["transaction_no"]:
                outcome = ("failed", "Mã giao dịch không khớp")
            elif transaction["refunded_at"] is not None:
                outcome = ("failed", "Giao dịch đã được hoàn tiền")
            else:
                transaction["refunded_at"] = clock.now()
                outcome = ("success", "Hoàn tiền thành công")
        fields = {
            "order_id": transaction["order_id"],
            "amount": transaction["amount"],
            "status": outcome[0],
            "message": outcome[1],
        }
        return {**fields, protocol.SIGNATURE: protocol.sign(fields, self.secret)}

    def forget(self, order_id):
        with self.lock:
            if self.transactions.pop(order_id, None) is None:
                raise Refused(404, "unknown order")


# the pages a citizen sees

PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}
.amount{{font-size:2rem;font-weight:bold}} button{{font-size:1.1rem;margin-right:1rem}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


def page(title, body):
    return PAGE.format(title=html.escape(title), body=body)


def pay_page(transaction):
    order_id = html.escape(transaction["order_id"])
    hidden = f'<input type="hidden" name="order_id" value="{order_id}">'
    return page(
        "Cổng thanh toán (mô phỏng)",
        f"<p>Mã đơn hàng: <b>{order_id}</b></p><p>Nội dung: {html.escape(transaction['order_info'] or '')}</p>"
        f'<p>Số tiền: <span class="amount">{format_dong(transaction["amount"])}</span></p>'
        f'<form method="post" action="/pay/confirm" style="display:inline">{hidden}'
        '<button type="submit">Thanh toán</button></form>'
        f'<form method="post" action="/pay/cancel" style="display:inline">{hidden}'
        '<button type="submit">Hủy</button></form>',
    )


PAGE_ERRORS = {
    400: "Yêu cầu thanh toán không hợp lệ",
    401: "Chữ ký không hợp lệ: yêu cầu thanh toán bị từ chối",
    404: "Không tìm thấy giao dịch",
    409: "Giao dịch đã được xử lý",
}


def with_params(url, params):
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


def make_server(sim, host="127.0.0.1", port=8011):
    class Handler(JsonHandler):
        def send_html(self, status, text):
            raw = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def redirect(self, url):
            self.send_response(302)
            self.send_header("Location", url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def form(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return dict(parse_qsl(raw.decode("utf-8", "replace")))

        def do_GET(self):
            url = urlsplit(self.path)
            params = dict(parse_qsl(url.query))
            try:
                if url.path == "/health":
                    return self.answer(200, {"status": "ok"})
                if url.path == "/pay":
                    return self._pay_page(params)
                if url.path == "/api/transactions":
                    sim.check(params)
                    try:
                        day = date.fromisoformat(params.get("date", ""))
                    except ValueError:
                        return self.answer(400, {"error": "date must be YYYY-MM-DD"})
                    return self.answer(200, {"transactions": sim.day(day)})
                if url.path.startswith("/api/transactions/"):
                    sim.check(params)
                    return self.answer(200, sim.query(url.path.removeprefix("/api/transactions/")))
                if url.path == "/control/ipn-log":
                    return self.answer(200, {**sim.settings(), "ipn_log": sim.sent()})
                self.answer(404, {"error": "not found"})
            except Refused as refused:
                self.answer(refused.status, {"error": refused.reason})

        def _pay_page(self, params):
            try:
                transaction = sim.open(params)
            except Refused as refused:
                return self.send_html(refused.status, page(PAGE_ERRORS[refused.status], ""))
            if transaction["response_code"] is not None:
                return self.send_html(409, page(PAGE_ERRORS[409], ""))
            self.send_html(200, pay_page(transaction))

        def do_POST(self):
            path = urlsplit(self.path).path
            if path in ("/pay/confirm", "/pay/cancel"):
                return self._press(self.form().get("order_id", ""), pay=path == "/pay/confirm")
            try:
                if path == "/api/refunds":
                    return self.answer(200, sim.refund(self.form()))
                if path.startswith("/control/"):
                    return self._control(path)
                self.answer(404, {"error": "not found"})
            except Refused as refused:
                self.answer(refused.status, {"error": refused.reason})

        def _press(self, order_id, pay):
            try:
                transaction, params = sim.press(order_id, pay)
            except Refused as refused:
                return self.send_html(refused.status, page(PAGE_ERRORS[refused.status], ""))
            if params is None:  # timeout: the gateway never finishes in the browser
                return self.send_html(202, page("Giao dịch đang được xử lý", "<p>Vui lòng chờ trong giây lát.</p>"))
            self.redirect(with_params(transaction["return_url"], params))

        def _control(self, path):
            body = self.json_body()
            if body is None:
                return self.answer(400, {"error": "bad json"})
            if path == "/control/mode":
                try:
                    sim.configure(body.get("mode"), body.get("delay_seconds"))
                except ValueError as exc:
                    return self.answer(400, {"error": str(exc)})
                return self.answer(200, sim.settings())
            if path == "/control/orders":
                transaction = sim.open(body, required=("merchant", "order_id", "amount"))
                return self.answer(201, sim.state(transaction))
            if path == "/control/pay":
                return self.answer(200, {"result": sim.release(str(body.get("order_id", "")))})
            if path == "/control/forget":
                sim.forget(str(body.get("order_id", "")))
                return self.answer(200, {"forgotten": body["order_id"]})
            self.answer(404, {"error": "not found"})

        def log_message(self, fmt, *args):
            log.debug(fmt, *args)

    return Server((host, port), Handler)


def start(merchant, secret, ipn_url=None, host="127.0.0.1", port=0, **settings):
    """Serve a new simulator in a background thread (port 0: any free port); `.stop()` ends it."""
    sim = PaymentGatewaySimulator(merchant, secret, ipn_url, **settings)
    return Running(sim, make_server(sim, host, port))


def command(port, merchant, secret, ipn_url, host="127.0.0.1"):
    """The `motcua` arguments that run the simulator as a process (tests/system.py's
    `System.start(name, *command(...))`, `motcua up`)."""
    return [
        "payment-gateway-sim",
        "--host",
        host,
        "--port",
        str(port),
        "--merchant",
        merchant,
        "--secret",
        secret,
        "--ipn-url",
        ipn_url,
    ]
