"""The payment gateway simulator as a real HTTP server, with a real HTTP server of the
test's own as the merchant's IPN endpoint (it checks each call's signature)."""

import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from devtools import payment_gateway_sim
from devtools.fake_server import JsonHandler
from shared import clock
from shared import payment_gateway as protocol
from shared.config import ROOT
from tests.helpers import wait_for
from tests.system import free_port

MERCHANT = "MOTCUA"
SECRET = "gateway-sim-test-secret"
RETURN_URL = "http://127.0.0.1:8005/api/payments/return"


class Merchant:
    """The merchant's IPN endpoint: records every call, answers as the protocol says."""

    def __init__(self):
        self.calls = []
        calls = self.calls

        class Handler(JsonHandler):
            def do_GET(self):
                params = dict(parse_qsl(urlsplit(self.path).query))
                calls.append({"params": params, "at": time.monotonic()})
                valid = protocol.verify(params, SECRET)
                self.answer(200 if valid else 401, protocol.ipn_answer("confirmed" if valid else "wrong_signature"))

            def log_message(self, fmt, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/payments/ipn"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def merchant():
    m = Merchant()
    yield m
    m.stop()


@pytest.fixture
def gateway(merchant):
    running = payment_gateway_sim.start(MERCHANT, SECRET, merchant.url)
    yield running
    running.stop()


def pay_params(order_id="PAY-0001", amount=75000, secret=SECRET, **overrides):
    params = {
        "merchant": MERCHANT,
        "order_id": order_id,
        "amount": amount,
        "order_info": "Lệ phí hồ sơ H56.26.000123",
        "return_url": RETURN_URL,
        "created_at": clock.now().strftime("%Y%m%d%H%M%S"),
        **overrides,
    }
    return protocol.signed(params, secret)


def open_order(gateway, **kwargs):
    params = pay_params(**kwargs)
    page = requests.get(f"{gateway.url}/pay", params=params, timeout=5)
    assert page.status_code == 200, page.text
    return params


def press(gateway, order_id, button="confirm"):
    return requests.post(f"{gateway.url}/pay/{button}", data={"order_id": order_id}, allow_redirects=False, timeout=5)


def control(gateway, path, body):
    return requests.post(f"{gateway.url}/control/{path}", json=body, timeout=5)


def signed_get(gateway, path, **params):
    return requests.get(
        f"{gateway.url}{path}", params=protocol.signed({"merchant": MERCHANT, **params}, SECRET), timeout=5
    )


def query(gateway, order_id):
    answer = signed_get(gateway, f"/api/transactions/{order_id}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert protocol.verify(body, SECRET), body
    return body


def refund(gateway, order_id, amount, transaction_no, secret=SECRET):
    form = protocol.signed(
        {"merchant": MERCHANT, "order_id": order_id, "amount": amount, "transaction_no": transaction_no}, secret
    )
    return requests.post(f"{gateway.url}/api/refunds", data=form, timeout=5)


def redirect_params(answer):
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(RETURN_URL + "?"), location
    return dict(parse_qsl(urlsplit(location).query))


def test_the_pay_page_shows_the_amount_and_the_two_buttons(gateway):
    answer = requests.get(f"{gateway.url}/pay", params=pay_params(amount=1250000), timeout=5)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "1.250.000 đ" in answer.text
    assert "Lệ phí hồ sơ H56.26.000123" in answer.text
    assert 'action="/pay/confirm"' in answer.text and ">Thanh toán</button>" in answer.text
    assert 'action="/pay/cancel"' in answer.text and ">Hủy</button>" in answer.text
    assert "<script" not in answer.text
    assert query(gateway, "PAY-0001")["status"] == "pending"


@pytest.mark.parametrize(
    "params",
    [
        {**pay_params(), "amount": "7500"},  # tampered after signing
        pay_params(secret="someone-elses-secret"),
        {k: v for k, v in pay_params().items() if k != "signature"},
        pay_params(merchant="OTHER"),
    ],
    ids=["tampered", "wrong-secret", "unsigned", "other-merchant"],
)
def test_a_pay_request_without_the_merchants_signature_is_refused(gateway, params):
    answer = requests.get(f"{gateway.url}/pay", params=params, timeout=5)

    assert answer.status_code == 401
    assert "Chữ ký không hợp lệ" in answer.text and "Thanh toán</button>" not in answer.text
    assert signed_get(gateway, "/api/transactions/PAY-0001").status_code == 404


def test_the_api_refuses_bad_signatures_with_401_json(gateway):
    open_order(gateway)
    forged = protocol.signed({"merchant": MERCHANT}, "someone-elses-secret")

    for answer in (
        requests.get(f"{gateway.url}/api/transactions/PAY-0001", params=forged, timeout=5),
        requests.get(f"{gateway.url}/api/transactions", params={**forged, "date": "2026-11-26"}, timeout=5),
        refund(gateway, "PAY-0001", 75000, "1", secret="someone-elses-secret"),
        control(gateway, "orders", pay_params("PAY-0002", secret="someone-elses-secret")),
    ):
        assert answer.status_code == 401, answer.text
        assert answer.json() == {"error": "invalid signature"}


def test_paying_sends_a_signed_ipn_then_the_browser_back_to_the_return_url(gateway, merchant):
    open_order(gateway)

    back = redirect_params(press(gateway, "PAY-0001"))

    assert len(merchant.calls) == 1
    ipn = merchant.calls[0]["params"]
    assert protocol.verify(ipn, SECRET) and protocol.verify(back, SECRET)
    assert ipn == back
    assert ipn["response_code"] == "00" and ipn["amount"] == "75000" and ipn["order_id"] == "PAY-0001"
    paid_at = clock.local(clock.now()).strftime("%Y%m%d%H%M%S")
    assert abs(int(ipn["paid_at"]) - int(paid_at)) <= 100  # yyyyMMddHHmmss, Vietnam time, within a minute
    log = requests.get(f"{gateway.url}/control/ipn-log", timeout=5).json()["ipn_log"]
    assert [(e["status"], e["answer"]["RspCode"]) for e in log] == [(200, "00")]
    state = query(gateway, "PAY-0001")
    assert (state["status"], state["amount"], state["transaction_no"], state["paid_at"]) == (
        "success",
        75000,
        ipn["transaction_no"],
        ipn["paid_at"],
    )
    assert press(gateway, "PAY-0001").status_code == 409  # pressed twice: one payment
    assert len(merchant.calls) == 1


def test_cancelling_reports_not_paid(gateway, merchant):
    open_order(gateway)

    back = redirect_params(press(gateway, "PAY-0001", "cancel"))

    assert back["response_code"] == "24" and "paid_at" not in back
    assert [c["params"]["response_code"] for c in merchant.calls] == ["24"]
    assert query(gateway, "PAY-0001")["status"] == "failed"


def test_mode_failure_fails_the_payment(gateway, merchant):
    assert control(gateway, "mode", {"mode": "failure"}).json()["mode"] == "failure"
    open_order(gateway)

    back = redirect_params(press(gateway, "PAY-0001"))

    assert back["response_code"] == "24"
    assert [c["params"]["response_code"] for c in merchant.calls] == ["24"]
    assert query(gateway, "PAY-0001")["status"] == "failed"


def test_mode_duplicate_sends_the_ipn_twice(gateway, merchant):
    control(gateway, "mode", {"mode": "duplicate"})
    open_order(gateway)

    redirect_params(press(gateway, "PAY-0001"))

    assert len(merchant.calls) == 2
    assert merchant.calls[0]["params"] == merchant.calls[1]["params"]
    assert merchant.calls[0]["params"]["response_code"] == "00"


def test_mode_wrong_amount_signs_an_amount_1000_dong_short(gateway, merchant):
    control(gateway, "mode", {"mode": "wrong_amount"})
    open_order(gateway)

    press(gateway, "PAY-0001")

    (call,) = merchant.calls
    assert call["params"]["amount"] == "74000"
    assert protocol.verify(call["params"], SECRET)
    assert query(gateway, "PAY-0001")["amount"] == 75000  # the gateway itself knows the real amount


def test_mode_timeout_sends_nothing_until_control_pay(gateway, merchant):
    control(gateway, "mode", {"mode": "timeout"})
    open_order(gateway)

    answer = press(gateway, "PAY-0001")

    assert answer.status_code == 202 and "đang được xử lý" in answer.text
    assert merchant.calls == []
    paid = control(gateway, "pay", {"order_id": "PAY-0001"})
    assert paid.status_code == 200, paid.text
    (call,) = merchant.calls
    assert call["params"]["response_code"] == "00" and protocol.verify(call["params"], SECRET)
    assert query(gateway, "PAY-0001")["status"] == "success"


def test_mode_timeout_a_query_settles_the_transaction(gateway, merchant):
    control(gateway, "mode", {"mode": "timeout"})
    open_order(gateway)
    press(gateway, "PAY-0001")

    state = query(gateway, "PAY-0001")

    assert state["status"] == "success" and state["transaction_no"] and state["paid_at"]
    assert merchant.calls == []


def test_mode_late_sends_the_ipn_after_the_delay(gateway, merchant):
    control(gateway, "mode", {"mode": "late", "delay_seconds": 0.3})
    open_order(gateway)
    started = time.monotonic()

    redirect_params(press(gateway, "PAY-0001"))

    assert merchant.calls == []
    wait_for(lambda: merchant.calls, timeout=5, interval=0.05, message="the late IPN")
    assert merchant.calls[0]["at"] - started >= 0.3
    assert merchant.calls[0]["params"]["response_code"] == "00"


def test_control_orders_and_pay_work_without_a_browser(gateway, merchant):
    created = control(gateway, "orders", {**pay_params("PAY-0009", amount=50000), "amount": 50000})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending"

    result = control(gateway, "pay", {"order_id": "PAY-0009"}).json()["result"]

    assert [c["params"] for c in merchant.calls] == [result]
    assert result["amount"] == "50000" and result["response_code"] == "00"
    assert control(gateway, "pay", {"order_id": "UNKNOWN"}).status_code == 404
    assert control(gateway, "mode", {"mode": "sometimes"}).status_code == 400
    assert control(gateway, "mode", {"delay_seconds": -1}).status_code == 400


def test_the_query_and_the_days_list_answer_signed_transactions(gateway):
    open_order(gateway, order_id="PAY-0001", amount=75000)
    open_order(gateway, order_id="PAY-0002", amount=20000)
    press(gateway, "PAY-0001")
    today = clock.local(clock.now()).date()

    answer = signed_get(gateway, "/api/transactions", date=today.isoformat())

    assert answer.status_code == 200
    listed = answer.json()["transactions"]
    assert all(protocol.verify(t, SECRET) for t in listed)
    assert {t["order_id"]: (t["status"], t["amount"]) for t in listed} == {
        "PAY-0001": ("success", 75000),
        "PAY-0002": ("pending", 20000),
    }
    assert listed == [query(gateway, "PAY-0001"), query(gateway, "PAY-0002")]
    yesterday = signed_get(gateway, "/api/transactions", date=(today - timedelta(days=1)).isoformat())
    assert yesterday.json() == {"transactions": []}
    assert signed_get(gateway, "/api/transactions", date="26/11/2026").status_code == 400
    assert signed_get(gateway, "/api/transactions/NO-SUCH-ORDER").status_code == 404


def test_a_paid_order_is_refunded_once(gateway):
    open_order(gateway)
    unpaid = refund(gateway, "PAY-0001", 75000, "1")
    assert unpaid.json()["status"] == "failed"
    press(gateway, "PAY-0001")
    number = query(gateway, "PAY-0001")["transaction_no"]

    first = refund(gateway, "PAY-0001", 75000, number).json()
    second = refund(gateway, "PAY-0001", 75000, number).json()

    assert protocol.verify(first, SECRET) and protocol.verify(second, SECRET)
    assert (first["order_id"], first["amount"], first["status"]) == ("PAY-0001", 75000, "success")
    assert second["status"] == "failed" and second["message"] == "Giao dịch đã được hoàn tiền"


def test_a_refund_must_match_the_transaction(gateway):
    open_order(gateway)
    press(gateway, "PAY-0001")
    number = query(gateway, "PAY-0001")["transaction_no"]

    assert refund(gateway, "PAY-0001", 74000, number).json()["status"] == "failed"
    assert refund(gateway, "PAY-0001", 75000, "999").json()["status"] == "failed"
    assert refund(gateway, "PAY-0001", 75000, number).json()["status"] == "success"
    assert refund(gateway, "NO-SUCH-ORDER", 75000, number).status_code == 404


def test_forget_drops_a_transaction_from_the_gateways_list(gateway):
    open_order(gateway, order_id="PAY-0001")
    open_order(gateway, order_id="PAY-0002")

    assert control(gateway, "forget", {"order_id": "PAY-0001"}).status_code == 200

    today = clock.local(clock.now()).date().isoformat()
    listed = signed_get(gateway, "/api/transactions", date=today).json()["transactions"]
    assert [t["order_id"] for t in listed] == ["PAY-0002"]
    assert signed_get(gateway, "/api/transactions/PAY-0001").status_code == 404
    assert control(gateway, "forget", {"order_id": "PAY-0001"}).status_code == 404


def test_the_command_serves_it_and_says_where(merchant):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", *payment_gateway_sim.command(port, MERCHANT, SECRET, merchant.url)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith(f"payment gateway simulator on http://127.0.0.1:{port}")
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).json() == {"status": "ok"}
        params = pay_params()
        assert requests.get(f"http://127.0.0.1:{port}/pay", params=params, timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
